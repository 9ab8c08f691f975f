import test from 'ava';
import { isAlive, processesOfHome, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, listJson, runOk } from '../helpers/proc.js';

test.after.always(sweepAll);

const FORK_AND_EXIT = ['sh', '-c', 'sleep 310 & sleep .3; exit 0'];

async function startForking(t: Parameters<typeof sandbox>[0], box: ReturnType<typeof sandbox>, name: string): Promise<number> {
  const started = await box.run(['start', '--name', name, '--wait', '2s', '--', ...FORK_AND_EXIT]);
  t.is(started.exitCode, 0, started.stderr);
  const left = await waitFor(() => {
    const pids = processesOfHome(box.home);
    return pids.length === 1 ? pids : null;
  }, { timeout: LONG, what: 'only the background sleep left' });
  return left[0]!;
}

test('a program whose main process exits but whose group lives on: list shows it, stop ends it', async (t) => {
  const box = sandbox(t);
  const sleeper = await startForking(t, box, 'daemon');
  const listed = (await listJson(box)).find((p) => p.name === 'daemon')!;
  t.is(listed.status, 'exited');
  t.is(listed.exitCode, 0);
  t.deepEqual(listed.leftovers, [sleeper]);
  const text = await runOk(t, box, ['list']);
  t.regex(text.stdout, /exited \(0\), 1 left/);
  const stopped = await runOk(t, box, ['stop', 'daemon']);
  t.is(stopped.stdout.trim(), `stopped what was left of daemon (pid ${sleeper}): its main process had exited`);
  t.false(isAlive(sleeper));
  const after = (await listJson(box)).find((p) => p.name === 'daemon')!;
  t.is(after.leftovers, undefined);
});

test('rm and restart end the processes left behind too', async (t) => {
  const box = sandbox(t);
  const first = await startForking(t, box, 'a');
  await runOk(t, box, ['rm', 'a']);
  t.false(isAlive(first), 'rm ended it');

  const second = await startForking(t, box, 'b');
  const restarted = await box.run(['restart', 'b', '--wait', '2s']);
  t.is(restarted.exitCode, 0, restarted.stderr);
  t.false(isAlive(second), 'restart ended the old one');
  await runOk(t, box, ['stop', 'all']);
  await waitFor(() => processesOfHome(box.home).length === 0, { timeout: LONG, what: 'nothing left' });
});
