import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { isAlive, processesOfHome, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, listJson, runOk, spawnOwn, spawnOwnAtPid, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

type Rec = Record<string, unknown>;

function editRecord(home: string, name: string, change: (r: Rec) => void): Rec {
  const file = path.join(home, 'records', `${name}.json`);
  const record = JSON.parse(fs.readFileSync(file, 'utf8')) as Rec;
  change(record);
  fs.writeFileSync(file, JSON.stringify(record, null, 2), { mode: 0o600 });
  return record;
}

/** The record as a `bgrun start` killed between the fork and the pid update leaves it. */
function interrupt(r: Rec): void {
  r.status = 'starting';
  r.pid = null;
  r.identity = null;
  r.startedAt = null;
  // A launcher that is gone: pid 1 with an identity it never had.
  r.launcher = { pid: 1, identity: 'gone:0' };
}

async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !isAlive(pid), { timeout: LONG, what: `pid ${pid} to die` });
}

test.serial('interrupted start, then the pid in its pidfile is reused by the same command much later: not adopted, never signalled, settled as errored', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'victim', '--', 'sleep', '300']);
  const command = box.record('victim').command as unknown as string[];
  editRecord(box.home, 'victim', interrupt);
  await killAndWait(info.pid);
  // Long after the pidfile was written, another process gets the program's pid and runs the very same command.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const stranger = await spawnOwnAtPid(t, info.pid, command[0]!, command.slice(1));
  if (stranger === null) {
    t.log('could not make the pid be reused (ns_last_pid); simulating it with a pidfile naming a newer process');
    const other = spawnOwn(t, command[0]!, command.slice(1));
    fs.writeFileSync(info.pidFile, `${other.pid}\n`);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(info.pidFile, old, old);
    editRecord(box.home, 'victim', (r) => {
      r.createdAt = new Date(Date.now() - 61_000).toISOString();
    });
  }
  const strangerPid = stranger?.pid ?? Number(fs.readFileSync(info.pidFile, 'utf8'));
  t.true(isAlive(strangerPid));

  const listed = (await listJson(box)).find((p) => p.name === 'victim')!;
  t.is(listed.status, 'errored');
  t.is(listed.pid, null);
  // Settled for good on disk, not just displayed.
  t.is(box.record('victim').status, 'errored');
  t.regex(String(box.record('victim').startError), /start was interrupted/);
  await runOk(t, box, ['stop', 'all']);
  t.true(isAlive(strangerPid), 'stop all did not signal the stranger');
});

test.serial('interrupted start, then the pidfile names a process running another command: not adopted', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'victim', '--', 'sleep', '300']);
  editRecord(box.home, 'victim', interrupt);
  await killAndWait(info.pid);
  // Started right after the pidfile was written (so within the time bound), but it is not the program.
  const stranger = spawnOwn(t, 'sleep', ['301']);
  fs.writeFileSync(info.pidFile, `${stranger.pid}\n`);
  const listed = (await listJson(box)).find((p) => p.name === 'victim')!;
  t.is(listed.status, 'errored');
  t.is(box.record('victim').status, 'errored');
  await runOk(t, box, ['stop', 'all']);
  t.true(isAlive(stranger.pid!));
});

test.serial('interrupted start whose program runs: adopted through its pidfile and stoppable', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'kept', '--', 'sleep', '300']);
  editRecord(box.home, 'kept', interrupt);
  const listed = (await listJson(box)).find((p) => p.name === 'kept')!;
  t.is(listed.status, 'running');
  t.is(listed.pid, info.pid);
  t.is(box.record('kept').status, 'running');
  await runOk(t, box, ['stop', 'kept']);
  await waitFor(() => !isAlive(info.pid), { timeout: LONG, what: 'the adopted program to stop' });
});

test.serial('interrupted between the fork and the shell writing its pidfile: still starting while the reset pidfile is fresh, adopted once written; an old empty one is settled', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'late', '--', 'sleep', '300']);
  const command = box.record('late').command as unknown as string[];
  editRecord(box.home, 'late', interrupt);
  await killAndWait(info.pid);
  // What the launcher leaves right before its fork: an empty pidfile, reset now.
  fs.writeFileSync(info.pidFile, '');
  const waiting = (await listJson(box)).find((p) => p.name === 'late')!;
  t.is(waiting.status, 'starting', 'not settled while the launch shell may still write its pid');
  t.is(box.record('late').status, 'starting');
  // The launch shell, slow to be scheduled, writes its pid and execs the program.
  const shell = spawnOwn(t, '/bin/sh', ['-c', 'echo $$ >"$0" && exec "$@"', info.pidFile, ...command]);
  await waitFor(() => fs.readFileSync(info.pidFile, 'utf8').trim() === String(shell.pid), { timeout: LONG, what: 'the pidfile' });
  const adopted = (await listJson(box)).find((p) => p.name === 'late')!;
  t.is(adopted.status, 'running');
  t.is(adopted.pid, shell.pid);
  // An empty pidfile reset long ago: no launch is in flight any more.
  editRecord(box.home, 'late', interrupt);
  process.kill(shell.pid!, 'SIGKILL');
  await waitFor(() => !isAlive(shell.pid!), { timeout: LONG, what: 'the shell to die' });
  fs.writeFileSync(info.pidFile, '');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(info.pidFile, old, old);
  t.is((await listJson(box)).find((p) => p.name === 'late')!.status, 'errored');
});

test.serial('a supervisor killed between spawning a program and recording it: the next one adopts it through the pidfile, no second copy', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'sup', '--restart', 'always', '--', 'sleep', '300']);
  const supervisor = JSON.parse(fs.readFileSync(path.join(box.home, 'supervisor.json'), 'utf8')) as { pid: number };
  await killAndWait(supervisor.pid);
  // What the killed supervisor left: the program runs, its pidfile names it, the record does not.
  editRecord(box.home, 'sup', (r) => {
    r.status = 'starting';
    r.pid = null;
    r.identity = null;
    r.launcher = null;
    r.supervisedBy = null;
  });
  // Any command brings a supervisor back; `start` of another program does not look at 'sup' itself.
  await startJson(t, box, ['--name', 'other', '--restart', 'always', '--', 'sleep', '302']);
  const adopted = await waitFor(() => {
    const r = box.record('sup');
    return r.status === 'running' && r.pid !== null ? r : null;
  }, { timeout: LONG, what: 'sup to be running again' });
  t.is(adopted.pid, info.pid, 'the running program was adopted, not started again');
  const copies = processesOfHome(box.home).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('300');
    } catch {
      return false;
    }
  });
  t.deepEqual(copies, [info.pid]);
  await runOk(t, box, ['stop', 'all']);
  t.false(isAlive(info.pid));
});
