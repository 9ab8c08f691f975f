import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { LockFailedError, describeLockFailure, withOwnedLock } from '../../../../src/core/records/owned-lock.js';
import { ROOT, isAlive, sandbox, sweepAll, waitFor } from '../../../helpers/bgrun.js';
import { identityOf, spawnOwn } from '../../../helpers/proc.js';

test.after.always(sweepAll);

function lockIn(t: ExecutionContext): { dir: string; lock: string } {
  const box = sandbox(t);
  fs.mkdirSync(box.home, { recursive: true, mode: 0o700 });
  return { dir: box.home, lock: path.join(box.home, 'registry.lock') };
}

/** A process that takes the lock, says so on stdout, and keeps it until killed. */
const HOLDER = `
import { withOwnedLock } from ${JSON.stringify(path.join(ROOT, 'dist/core/records/owned-lock.js'))};
await withOwnedLock(process.argv[1], 30_000, () => {
  process.stdout.write('held\\n');
  return new Promise(() => setInterval(() => {}, 1000));
});
`;

async function holder(t: ExecutionContext, lock: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER, lock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    try {
      process.kill(child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before taking the lock`)));
  });
  return child;
}

/** Writes a lock folder as a holder would, naming `pid` with `identity`. */
function plantLock(lock: string, pid: number, identity: string | null, since = Date.now()): void {
  fs.mkdirSync(lock, { mode: 0o700 });
  fs.writeFileSync(path.join(lock, `${pid}.${since}.1.owner`), JSON.stringify({ pid, identity }));
}

/** With a timeout of 0 the lock is taken only if no waiting is needed: what "at once" means here, without timing anything. */
const takeAtOnce = (lock: string) => withOwnedLock(lock, 0, () => 'taken');

test('holders in one process run one at a time, and the lock folder is gone after the last', async (t) => {
  const { lock } = lockIn(t);
  const events: string[] = [];
  const hold = (who: string) =>
    withOwnedLock(lock, 30_000, async () => {
      events.push(`${who} in`);
      t.true(fs.readdirSync(lock).some((e) => e.startsWith(`${process.pid}.`)), 'the owner file names this process');
      await new Promise((r) => setTimeout(r, 20));
      events.push(`${who} out`);
    });
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map(hold));
  for (let i = 0; i < events.length; i += 2) t.is(events[i]!.replace(' in', ' out'), events[i + 1]!, events.join(', '));
  t.false(fs.existsSync(lock));
});

test('an error of the holder passes as it is, and the lock is released', async (t) => {
  const { lock } = lockIn(t);
  const boom = new Error('boom');
  await t.throwsAsync(withOwnedLock(lock, 30_000, () => Promise.reject(boom)), { is: boom });
  t.false(fs.existsSync(lock));
  t.is(await takeAtOnce(lock), 'taken');
});

test('a SIGKILLed holder’s lock is taken at once', async (t) => {
  const { lock } = lockIn(t);
  const child = await holder(t, lock);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Alive, it holds: no waiting allowed means no lock.
  await t.throwsAsync(takeAtOnce(lock), { instanceOf: LockFailedError });
  child.kill('SIGKILL');
  await exited;
  t.is(await takeAtOnce(lock), 'taken');
  t.false(fs.existsSync(lock));
});

test('a lock whose pid now belongs to another process is taken at once; one of a live holder is not', async (t) => {
  const { lock } = lockIn(t);
  const other = spawnOwn(t, 'sleep', ['300']);
  await waitFor(() => other.pid !== undefined && isAlive(other.pid));
  // Its pid, but another start time: the holder that wrote it is gone and its pid was reused.
  const [boot, start] = identityOf(other.pid!).split(':');
  plantLock(lock, other.pid!, `${boot}:${Number(start) - 1}`);
  t.is(await takeAtOnce(lock), 'taken');

  plantLock(lock, other.pid!, identityOf(other.pid!));
  const error = await t.throwsAsync(takeAtOnce(lock), { instanceOf: LockFailedError });
  t.is(error?.holder?.pid, other.pid);
  t.regex(describeLockFailure(error!), new RegExp(`^process ${other.pid} has held it for \\d+ s and is still running; wait for it, or end it with 'kill ${other.pid}' if it is stuck$`));
});

test('a stopped holder keeps the lock; the error after the timeout names it and says how to resume or end it', async (t) => {
  const { lock } = lockIn(t);
  const child = await holder(t, lock);
  child.kill('SIGSTOP');
  t.teardown(() => child.kill('SIGCONT'));
  await waitFor(() => fs.readFileSync(`/proc/${child.pid}/stat`, 'latin1').match(/\) T /), { what: 'the holder stopped' });
  const error = await t.throwsAsync(withOwnedLock(lock, 300, () => 'taken'), { instanceOf: LockFailedError });
  t.regex(
    describeLockFailure(error!),
    new RegExp(`^process ${child.pid} has held it for \\d+ s and is stopped; resume it with 'kill -CONT ${child.pid}', or end it with 'kill ${child.pid}'$`),
  );
});

test('a lock folder without an owner (an older bgrun’s) is waited for while fresh and removed once old', async (t) => {
  const { lock } = lockIn(t);
  fs.mkdirSync(lock);
  // Fresh however slowly this test runs on a loaded machine: its time is set ahead.
  const ahead = new Date(Date.now() + 600_000);
  fs.utimesSync(lock, ahead, ahead);
  const error = await t.throwsAsync(withOwnedLock(lock, 100, () => 'taken'), { instanceOf: LockFailedError });
  t.regex(describeLockFailure(error!), /has been held for \d+ s with no owner named in it; if no other bgrun is running, remove that folder$/);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lock, old, old);
  t.is(await takeAtOnce(lock), 'taken');
});

test('a folder left by a contender killed before its rename is removed; a live one’s is left', async (t) => {
  const { dir, lock } = lockIn(t);
  const dead = spawnOwn(t, 'true', []);
  await new Promise((resolve) => dead.once('exit', resolve));
  const live = spawnOwn(t, 'sleep', ['300']);
  await waitFor(() => live.pid !== undefined && isAlive(live.pid));
  const leftover = path.join(dir, `registry.lock.${dead.pid}.1.tmp`);
  const pending = path.join(dir, `registry.lock.${live.pid}.1.tmp`);
  for (const folder of [leftover, pending]) {
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, `${dead.pid}.1.1.owner`), '{}');
  }
  // Cleared when a contender finds the lock taken.
  plantLock(lock, live.pid!, identityOf(live.pid!));
  await t.throwsAsync(withOwnedLock(lock, 50, () => 'taken'), { instanceOf: LockFailedError });
  t.false(fs.existsSync(leftover));
  t.true(fs.existsSync(pending));
});

test('a file or a link where the lock folder goes is refused with a clear error', async (t) => {
  const { dir, lock } = lockIn(t);
  fs.symlinkSync(path.join(dir, 'elsewhere'), lock);
  const error = await t.throwsAsync(takeAtOnce(lock), { instanceOf: LockFailedError });
  t.regex(describeLockFailure(error!), /is not a lock folder \(a file or a link\); remove it/);
});
