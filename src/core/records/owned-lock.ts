import fs from 'node:fs';
import path from 'node:path';
import { describeSystemError } from '../../errors.js';
import { isSameProcessAlive, processIdentity, readProcess } from '../processes/process-info.js';

/**
 * A lock owned by a process, not by a clock: `<lock>` is a folder holding one empty file,
 * `<pid>.<time>.<n>.<identity, base64url>.owner`, whose name says who holds it (pid and
 * identity, core/processes/identity.ts). It is held as long as that process lives, however long
 * its event loop stalls (a loaded machine, SIGSTOP), and free the moment it is gone
 * (SIGKILL) or its pid names another process now. A lock that is refreshed on a timer
 * and taken over when not refreshed in time (proper-lockfile, which bgrun used before)
 * gave it away to a second holder whenever a holder stalled past the stale time.
 *
 * Why it is safe:
 * - Taking it: the folder is made aside with its owner file inside, then renamed into
 *   place. rename(2) of a folder fails when the target is a folder that is not empty, so
 *   a held lock always has its owner file, from its first instant to its release.
 * - Breaking it: a dead owner's file is unlinked by its own unique name, which only one
 *   contender can do; then the folder is removed with rmdir(2), which only removes an
 *   empty folder: a lock taken again meanwhile (its new owner file inside) is left alone.
 * - An empty folder is therefore never a held lock of this kind. It is one moment of a
 *   release or a break, a break killed half-way, or the lock of an older bgrun
 *   (proper-lockfile's empty folder, refreshed every second): it is waited for until
 *   it is OWNERLESS_STALE_MS old, then removed.
 * - The state folder is used from one machine and one pid namespace (its records name
 *   pids too): an owner is looked up in this one.
 */

/** How old a lock folder without an owner file must be before it is removed. */
const OWNERLESS_STALE_MS = 5000;
const OWNER_SUFFIX = '.owner';

export interface LockHolder {
  /** null when the folder has no owner file (an older bgrun's lock, or a half-done break). */
  pid: number | null;
  /** When the holder took it (ms since the epoch): the owner file's or the folder's time. */
  since: number;
  /** The holder is this very process (another caller of it). */
  self: boolean;
  /** The holder is stopped (SIGSTOP, a debugger): it holds the lock until resumed. */
  stopped: boolean;
}

/**
 * The lock could not be taken: in time (`holder` is who had it when the wait ended,
 * `cause` unset), or at all (`cause`: the file system's error).
 */
export class LockFailedError extends Error {
  constructor(
    readonly lockDir: string,
    readonly holder: LockHolder | null,
    cause?: unknown,
  ) {
    super(`cannot take the lock ${lockDir}`, cause === undefined ? undefined : { cause });
  }
}

let myIdentity: string | null | undefined;
let counter = 0;

function ownIdentity(): string | null {
  if (myIdentity === undefined) myIdentity = processIdentity(process.pid);
  return myIdentity;
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Removes `dir` if it is empty (rmdir(2) leaves a folder with anything in it). */
function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (error) {
    const c = code(error);
    if (c !== 'ENOENT' && c !== 'ENOTEMPTY' && c !== 'EEXIST') throw error;
  }
}

/** One attempt: the lock is ours (a release), or who holds it, or 'again' (it changed under us: look again at once). */
function tryLock(lockDir: string): (() => void) | LockHolder | 'again' {
  const st = fs.lstatSync(lockDir, { throwIfNoEntry: false });
  if (st) return inspect(lockDir, st);
  const n = ++counter;
  const temp = `${lockDir}.${process.pid}.${n}.tmp`;
  // Who holds it is all in the name, and the file is empty: on a full disk an empty file can
  // still be made (it needs no data block), so stop and rm still get the lock there.
  const identity = ownIdentity();
  const owner = `${process.pid}.${Date.now()}.${n}${identity === null ? '' : `.${Buffer.from(identity).toString('base64url')}`}${OWNER_SUFFIX}`;
  try {
    fs.mkdirSync(temp, { mode: 0o700 });
  } catch (error) {
    if (code(error) !== 'EEXIST') throw error;
    // Left by a killed process whose pid this one has now.
    fs.rmSync(temp, { recursive: true, force: true });
    fs.mkdirSync(temp, { mode: 0o700 });
  }
  try {
    fs.closeSync(fs.openSync(path.join(temp, owner), 'wx', 0o600));
    fs.renameSync(temp, lockDir);
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    // Taken by another between the lstat and the rename.
    if (code(error) === 'ENOTEMPTY' || code(error) === 'EEXIST') return 'again';
    throw error;
  }
  const ownerFile = path.join(lockDir, owner);
  return () => {
    try {
      fs.unlinkSync(ownerFile);
    } catch {
      return; // not ours any more: leave the folder to whoever has it
    }
    removeIfEmpty(lockDir);
  };
}

/** What a look at the lock folder found: its holder, and whether that holder still lives. */
interface Seen {
  holder: LockHolder;
  /** The owner file; null when the folder has none. */
  ownerFile: string | null;
  /** The folder holds nothing at all. */
  empty: boolean;
  alive: boolean;
}

function look(lockDir: string, st: fs.Stats): Seen | 'again' {
  if (!st.isDirectory()) {
    throw Object.assign(new Error(`${lockDir} is not a lock folder (a file or a link); remove it`), { code: 'EBADLOCK' });
  }
  let entries: string[];
  try {
    entries = fs.readdirSync(lockDir);
  } catch (error) {
    if (code(error) === 'ENOENT') return 'again';
    throw error;
  }
  const owner = entries.find((e) => e.endsWith(OWNER_SUFFIX));
  if (owner === undefined) {
    return { holder: { pid: null, since: st.mtimeMs, self: false, stopped: false }, ownerFile: null, empty: entries.length === 0, alive: true };
  }
  const ownerFile = path.join(lockDir, owner);
  // The name says who and since when; the content adds the identity that tells a reused pid apart.
  const parts = owner.slice(0, -OWNER_SUFFIX.length).split('.');
  const pid = Number.parseInt(owner, 10);
  const since = Number(parts[1]) || st.mtimeMs;
  let identity: string | null = parts[3] ? Buffer.from(parts[3], 'base64url').toString() : null;
  if (identity === null) {
    // An owner file that names no identity: one written with its identity inside (JSON).
    try {
      const parsed = JSON.parse(fs.readFileSync(ownerFile, 'utf8')) as { pid?: unknown; identity?: unknown };
      if (parsed.pid === pid && typeof parsed.identity === 'string') identity = parsed.identity;
    } catch (error) {
      if (code(error) === 'ENOENT') return 'again';
      // Unreadable or empty: judged by the pid of its name alone.
    }
  }
  const alive = isAlive(pid, identity);
  const stopped = alive && readProcess(pid)?.stopped === true;
  return { holder: { pid, since, self: pid === process.pid, stopped }, ownerFile, empty: false, alive };
}

/** Who holds the lock folder, or 'again' when it was free or stale (and has been cleared). */
function inspect(lockDir: string, st: fs.Stats): LockHolder | 'again' {
  const seen = look(lockDir, st);
  if (seen === 'again') return 'again';
  if (seen.ownerFile === null) {
    if (!seen.empty || Date.now() - st.mtimeMs <= OWNERLESS_STALE_MS) return seen.holder;
    removeIfEmpty(lockDir);
    return 'again';
  }
  if (seen.alive) return seen.holder;
  // Its holder is gone (or its pid is another process now): only one contender unlinks this very file.
  try {
    fs.unlinkSync(seen.ownerFile);
  } catch (error) {
    if (code(error) === 'ENOENT') return 'again';
    throw error;
  }
  removeIfEmpty(lockDir);
  return 'again';
}

function isAlive(pid: number, identity: string | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (identity !== null) return isSameProcessAlive(pid, identity);
  // Written where the identity could not be read: the pid alone, as the best there is.
  const info = readProcess(pid);
  return info !== null && !info.dead;
}

/**
 * The folders a process made to take the lock and was killed before renaming
 * (`<lock>.<pid>.<n>.tmp`, for an instant each): removed once their pid is gone.
 */
function removeAbandonedTemps(lockDir: string): void {
  const base = `${path.basename(lockDir)}.`;
  let entries: string[];
  try {
    entries = fs.readdirSync(path.dirname(lockDir));
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(base) || !entry.endsWith('.tmp')) continue;
    const pid = Number.parseInt(entry.slice(base.length), 10);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (error) {
      if (code(error) !== 'ESRCH') continue;
    }
    fs.rmSync(path.join(path.dirname(lockDir), entry), { recursive: true, force: true });
  }
}

/** The callers of this process waiting for each lock, in turn: only the first looks at the folder. */
const queues = new Map<string, Promise<void>>();
/** When a caller of this process last took or released each lock: its queue is moving. */
const moved = new Map<string, number>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` holding the lock `lockDir`. Waits until the lock has been held by others
 * (or this process's queue for it has not moved) for `timeoutMs`, then throws
 * LockFailedError naming the holder (or the file system's error); what `fn` throws
 * passes as it is.
 */
export async function withOwnedLock<T>(lockDir: string, timeoutMs: number, fn: () => T | Promise<T>): Promise<T> {
  // Callers of one process take turns here first: a thousand launches of one `start`
  // then wait on a promise, not by polling the folder a thousand times over.
  const before = queues.get(lockDir);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = before ? before.then(() => mine) : mine;
  queues.set(lockDir, tail);
  try {
    let release: () => void;
    try {
      if (before) await waitInQueue(lockDir, before, timeoutMs);
      release = await acquire(lockDir, Date.now() + timeoutMs);
    } catch (error) {
      throw error instanceof LockFailedError ? error : new LockFailedError(lockDir, null, error);
    }
    moved.set(lockDir, Date.now());
    try {
      return await fn();
    } finally {
      release();
      moved.set(lockDir, Date.now());
    }
  } finally {
    done();
    if (queues.get(lockDir) === tail) {
      queues.delete(lockDir);
      moved.delete(lockDir);
    }
  }
}

/** Waits for the callers ahead; gives up only when none of them took or released the lock for `timeoutMs`. */
async function waitInQueue(lockDir: string, before: Promise<void>, timeoutMs: number): Promise<void> {
  const queued = Date.now();
  const ahead = before.then(() => 'ahead done' as const);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((resolve) => {
      timer = setTimeout(() => resolve('tick'), Math.min(1000, Math.max(1, timeoutMs)));
    });
    const result = await Promise.race([ahead, tick]);
    clearTimeout(timer);
    if (result === 'ahead done') return;
    if (Date.now() - Math.max(queued, moved.get(lockDir) ?? 0) > timeoutMs) throw new LockFailedError(lockDir, holderOf(lockDir));
  }
}

async function acquire(lockDir: string, deadline: number): Promise<() => void> {
  let delay = 2;
  let slow = false;
  let quick = 0;
  for (;;) {
    const result = tryLock(lockDir);
    if (typeof result === 'function') return result;
    // Changed under us (freed, broken): look again at once, but never spin.
    if (result === 'again' && ++quick < 100) continue;
    quick = 0;
    if (!slow) {
      // Contended (rare): the moment to clear what killed contenders left.
      slow = true;
      removeAbandonedTemps(lockDir);
    }
    if (Date.now() > deadline) throw new LockFailedError(lockDir, result === 'again' ? null : result);
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(50, delay * 1.5);
  }
}

/** Who holds `lockDir` now, for a message; null when no one does. */
function holderOf(lockDir: string): LockHolder | null {
  try {
    const st = fs.lstatSync(lockDir, { throwIfNoEntry: false });
    const seen = st ? look(lockDir, st) : 'again';
    return seen === 'again' ? null : seen.holder;
  } catch {
    return null;
  }
}

/** What to tell a user whose command waited for the lock in vain: who holds it and what to do. */
export function describeLockFailure(error: LockFailedError): string {
  if (error.cause !== undefined) return describeSystemError(error.cause);
  const holder = error.holder;
  if (!holder) return `${error.lockDir} stayed busy`;
  const held = `for ${Math.max(0, Math.round((Date.now() - holder.since) / 1000))} s`;
  if (holder.pid === null) {
    return `${error.lockDir} has been held ${held} with no owner named in it; if no other bgrun is running, remove that folder`;
  }
  if (holder.self) return `this bgrun (pid ${holder.pid}) has held it ${held} for other work of its own`;
  if (holder.stopped) {
    return `process ${holder.pid} has held it ${held} and is stopped; resume it with 'kill -CONT ${holder.pid}', or end it with 'kill ${holder.pid}'`;
  }
  return `process ${holder.pid} has held it ${held} and is still running; wait for it, or end it with 'kill ${holder.pid}' if it is stuck`;
}
