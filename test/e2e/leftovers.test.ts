import fs from 'node:fs';
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

/** The `sleep 31x` processes of this sandbox, with their process group. */
function sleepers(home: string, seconds: string): { pid: number; pgid: number }[] {
  return processesOfHome(home).flatMap((pid) => {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1') !== `sleep\0${seconds}\0`) return [];
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      return [{ pid, pgid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) }];
    } catch {
      return [];
    }
  });
}

test('a supervised program that forks and exits: each restart ends what the run before left in its group', async (t) => {
  const box = sandbox(t);
  // Exits after 1.5 s, each run leaving a sleep in its process group; --min-uptime 1s keeps the backoff short.
  const started = await box.run(['start', '--name', 'forker', '--restart', 'always', '--min-uptime', '1s', '--', 'sh', '-c', 'sleep 311 & sleep 1.5; exit 0']);
  t.is(started.exitCode, 0, started.stderr);
  await waitFor(() => box.record('forker').restarts >= 3, { timeout: LONG, what: 'three restarts' });
  // Only the current run's sleep may live: the older runs' were ended when they were restarted.
  await waitFor(
    () => {
      const record = box.record('forker');
      const left = sleepers(box.home, '311');
      return left.every((s) => s.pgid === record.pid) && left.length <= 1 ? left : null;
    },
    { timeout: LONG, what: `no sleep of an older run left (${JSON.stringify(sleepers(box.home, '311'))})` },
  );
  t.true(fs.readFileSync(`${box.home}/supervisor.log`, 'utf8').includes('left in its process group'));
  await runOk(t, box, ['stop', 'forker']);
  t.deepEqual(sleepers(box.home, '311'), []);
});

test('a supervised program that forks and exits and is not restarted: list shows what it left, stop ends it', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'once', '--restart', 'on-failure', '--', 'sh', '-c', 'sleep 312 & sleep .5; exit 0']);
  t.is(started.exitCode, 0, started.stderr);
  const [sleeper] = await waitFor(() => (box.record('once').status === 'exited' ? sleepers(box.home, '312') : null), { timeout: LONG, what: 'the exit' });
  t.truthy(sleeper);
  const listed = (await listJson(box)).find((p) => p.name === 'once')!;
  t.deepEqual(listed.leftovers, [sleeper!.pid]);
  const stopped = await runOk(t, box, ['stop', 'once']);
  t.is(stopped.stdout.trim(), `stopped what was left of once (pid ${sleeper!.pid}): its main process had exited`);
  t.false(isAlive(sleeper!.pid));
});
