import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, startJson } from '../helpers/proc.js';
import { mountReadOnly } from '../helpers/tmpfs.js';

test.after.always(sweepAll);

const TICKER = ['sh', '-c', 'while :; do echo tick; sleep 1; done'];

test.serial('a logs folder bgrun cannot write: list, show and logs still work; a start fails with one line saying what to do', async (t) => {
  const box = sandbox(t);
  const plain = await startJson(t, box, ['--name', 'plain', '--', ...TICKER]);
  // A program whose log has a limit needs the supervisor; with the supervisor gone, every command
  // tried to start one and to rotate, and each printed the same error (three lines for one list).
  const limited = await startJson(t, box, ['--name', 'limited', '--max-log-size', '1K', '--', ...TICKER]);
  const supervisor = JSON.parse(readText(path.join(box.home, 'supervisor.json'))) as { pid: number };
  process.kill(supervisor.pid, 'SIGKILL');
  await waitFor(() => !fs.existsSync(`/proc/${supervisor.pid}`), { timeout: LONG, what: 'the supervisor to be gone' });
  await waitFor(() => readText(path.join(box.home, 'logs', 'plain.out.log')).includes('tick'), { timeout: LONG, what: 'a line' });
  const logs = path.join(box.home, 'logs');
  if (!mountReadOnly(t, logs)) return t.pass();

  const list = await box.run(['list']);
  t.is(list.exitCode, 0, list.stderr);
  t.regex(list.stdout, new RegExp(`plain\\s+${plain.pid}\\s+running`));
  t.regex(list.stdout, new RegExp(`limited\\s+${limited.pid}\\s+running`));
  t.true(list.stderr.trim().split('\n').filter(Boolean).length <= 1, list.stderr);
  const json = await box.run(['list', '--json']);
  t.is(json.exitCode, 0, json.stderr);
  t.is((JSON.parse(json.stdout) as unknown[]).length, 2);
  const show = await box.run(['show', 'plain']);
  t.is(show.exitCode, 0, show.stderr);
  t.regex(show.stdout, /status\s+running/);
  const read = await box.run(['logs', 'plain', '--lines', '1']);
  t.is(read.exitCode, 0, read.stderr);
  t.regex(read.stdout, /tick/);
  for (const result of [show, read]) t.true(result.stderr.trim().split('\n').filter(Boolean).length <= 1, result.stderr);

  // A start needs to write there: one line, naming the folder and what to do.
  const start = await box.run(['start', '--name', 'new', '--', 'sleep', '30']);
  t.is(start.exitCode, 1);
  t.is(start.stderr.trim().split('\n').length, 1, start.stderr);
  t.is(firstLine(start.stderr), `bgrun: the folder ${logs} is not writable: read-only file system; make it writable, or set BGRUN_HOME to a folder you can write`);
});
