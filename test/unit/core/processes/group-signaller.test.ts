import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { groupSignaller } from '../../../../src/core/processes/identity.js';
import { isAlive, waitFor } from '../../../helpers/bgrun.js';
import { LONG, spawnOwnAtPid } from '../../../helpers/proc.js';

/** A detached child (its own process group), as a health check command or an exit hook is spawned. */
function spawnGroup(t: ExecutionContext, script: string): ChildProcess {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  return child;
}

const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));

/** Pids in process group `pgid` running `sleep <seconds>`. */
function sleepersIn(pgid: number, seconds: string): number[] {
  return fs.readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') return [];
      return fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1') === `sleep\0${seconds}\0` ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

test('a running child: its whole group is signalled', async (t) => {
  const child = spawnGroup(t, 'sleep 321 & sleep 322');
  const signal = groupSignaller(child);
  await waitFor(() => sleepersIn(child.pid!, '321').length === 1, { timeout: LONG, what: 'the background sleep' });
  t.true(signal('SIGKILL'));
  await exited(child);
  await waitFor(() => sleepersIn(child.pid!, '321').length === 0, { timeout: LONG, what: 'the group to be gone' });
});

test('a child that was reaped: only what it left in its group is signalled, each checked', async (t) => {
  const child = spawnGroup(t, 'sleep 323 & exit 0');
  const signal = groupSignaller(child);
  await exited(child);
  const [left] = await waitFor(() => {
    const found = sleepersIn(child.pid!, '323');
    return found.length === 1 ? found : null;
  }, { timeout: LONG, what: 'the background sleep' });
  t.true(signal('SIGKILL'));
  await waitFor(() => !isAlive(left!), { timeout: LONG, what: 'what it left to end' });
});

test("a child that was reaped, whose pid now leads a stranger's group: nothing is signalled", async (t) => {
  const child = spawnGroup(t, 'exit 0');
  const signal = groupSignaller(child);
  await exited(child);
  // setsid in a process that does not lead a group makes it the leader of a new group with its own pid.
  const stranger = await spawnOwnAtPid(t, child.pid!, 'setsid', ['sleep', '324']);
  if (!stranger) {
    t.log('skipped: cannot place a process at a given pid here (needs root)');
    return t.pass();
  }
  await waitFor(() => sleepersIn(child.pid!, '324').length === 1, { timeout: LONG, what: "the stranger's group" });
  t.false(signal('SIGKILL'));
  t.true(isAlive(stranger.pid!));
});
