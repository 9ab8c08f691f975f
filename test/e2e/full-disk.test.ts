import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, runOk, startJson } from '../helpers/proc.js';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js';

test.after.always(sweepAll);

const CHATTY = ['sh', '-c', 'while :; do echo "a line of padding padding padding padding"; done'];

test.serial('on a full disk, stop and rm still stop the program that fills it, and say what could not be recorded', async (t) => {
  const box = sandbox(t);
  if (!mountTmpfs(t, box.home)) return t.pass();
  const other = await startJson(t, box, ['--name', 'other', '--', 'sleep', '300']);
  const filler = await startJson(t, box, ['--name', 'filler', '--wait', '0', '--', ...CHATTY]);
  await waitFor(() => fs.statfsSync(box.home).bavail === 0, { timeout: LONG, what: 'the disk to be full' });
  const stopped = await box.run(['stop', 'filler']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.is(stopped.stdout.trim(), `stopped filler (pid ${filler.pid})`);
  t.regex(stopped.stderr, /^bgrun: warning: filler: the stop was done but not recorded \(cannot write the record of 'filler': no space left on device\)/);
  t.false(isAlive(filler.pid));
  // Still full (the log keeps what it wrote): stop by pid and rm work too.
  fillDisk(box.home);
  const byPid = await box.run(['stop', String(other.pid)]);
  t.is(byPid.exitCode, 0, byPid.stderr);
  t.false(isAlive(other.pid));
  const removed = await box.run(['rm', 'filler']);
  t.is(removed.exitCode, 0, removed.stderr);
  t.false(fs.existsSync(path.join(box.home, 'records', 'filler.json')));
  // No temporary record file left behind by the failed writes.
  t.deepEqual(fs.readdirSync(path.join(box.home, 'records')).filter((f) => f.endsWith('.tmp')), []);
});

test.serial('on a full disk, the supervisor survives, and rotation makes room instead of failing for ever', async (t) => {
  const box = sandbox(t);
  if (!mountTmpfs(t, box.home, '4m')) return t.pass();
  const info = await startJson(t, box, ['--name', 'chatty', '--restart', 'always', '--max-log-size', '512K', '--max-log-files', '1', '--', ...CHATTY]);
  // A program that crashes makes the supervisor write (records, its log) on the full disk.
  const crasher = await startJson(t, box, ['--name', 'crasher', '--restart', 'always', '--wait', '0', '--', 'sh', '-c', 'sleep 1; exit 3']);
  const supervisor = JSON.parse(readText(path.join(box.home, 'supervisor.json'))) as { pid: number };
  // Whatever the program leaves free, something else takes.
  fillDisk(box.home);
  await waitFor(() => !isAlive(crasher.pid), { timeout: LONG, what: 'the crasher to exit on the full disk' });
  // The supervisor's next ticks meet the full disk (every 500 ms); give it a few.
  const until = Date.now() + 2500;
  await waitFor(() => !isAlive(supervisor.pid) || Date.now() > until, { timeout: LONG, what: 'a few ticks' });
  t.true(isAlive(supervisor.pid), 'the supervisor did not die of a full disk');
  // The log keeps within its limit (plus what arrives between two checks), rotated or emptied with a marker.
  const size = () => fs.statSync(info.outLog).size;
  await waitFor(() => size() < 4 * 512 * 1024, { timeout: LONG, what: 'the log to be bounded' });
  fs.rmSync(path.join(box.home, 'filler'));
  await runOk(t, box, ['stop', 'all']);
  t.false(isAlive(info.pid));
});

test.serial('supervisor.log is rotated past 1 MiB, one copy kept', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'sup', '--restart', 'always', '--', 'sleep', '300']);
  const log = path.join(box.home, 'supervisor.log');
  fs.appendFileSync(log, `${'x'.repeat(1023)}\n`.repeat(1100));
  await waitFor(() => fs.existsSync(`${log}.1`), { timeout: LONG, what: 'supervisor.log.1' });
  t.true(fs.statSync(log).size < 1024 * 1024);
  await runOk(t, box, ['stop', 'all']);
});
