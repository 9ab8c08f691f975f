import fs from 'node:fs';
import path from 'node:path';
import { CorruptRecordError, StateError, describeSystemError } from '../../errors.js';
import { LockFailedError, describeLockFailure, withOwnedLock } from './owned-lock.js';
import { type StatePaths, ensureState, ensureWritable, recordFile } from '../paths.js';
import { type ProcessRecord, checkRecord } from './record.js';
import { INDEX_MIN_RECORDS, IndexUpdate, indexedRecord, loadIndex } from './record-index.js';

/**
 * The records under the state folder are the single source of truth. Writers
 * hold one lock and replace files atomically; readers take no lock and never
 * see half a record.
 */

export interface ReadResult {
  records: ProcessRecord[];
  /** Records that were not valid and have been moved to the quarantine folder. */
  corrupt: CorruptRecordError[];
}

const NOFOLLOW_READ = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0);
/** Asked once: `list` checks the owner of every record file. */
const myUid = process.getuid?.();

/**
 * One buffer for every record read: `list` reads all of them, and a buffer per
 * file (what readFileSync allocates, after an fstat for the size) is most of
 * what its garbage collector then has to do. A record larger than it is read whole.
 */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads a file of the state folder: never through a link (ELOOP), and never one that
 * belongs to another user (EOWNER): only the user running bgrun writes there.
 */
export function readFileNoFollow(file: string): string {
  const fd = fs.openSync(file, NOFOLLOW_READ);
  try {
    const uid = myUid;
    if (uid !== undefined) {
      const owner = fs.fstatSync(fd).uid;
      if (owner !== uid) throw Object.assign(new Error(`${file} belongs to uid ${owner}, not to uid ${uid} running bgrun`), { code: 'EOWNER', owner });
    }
    // A positioned read leaves the file offset at 0, so the fallback reads the whole file.
    const n = fs.readSync(fd, readBuffer, 0, readBuffer.length, 0);
    return n < readBuffer.length ? readBuffer.toString('utf8', 0, n) : fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

let tmpCounter = 0;

/** A temporary file beside `file`, opened for writing. */
function openTemp(file: string): { tmp: string; fd: number } {
  // pid + counter is unique among live writers (no need to load node:crypto); a file
  // left by a killed writer whose pid came back is stale and replaced ('wx' never follows a link).
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    return { tmp, fd: fs.openSync(tmp, 'wx', 0o600) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    fs.unlinkSync(tmp);
    return { tmp, fd: fs.openSync(tmp, 'wx', 0o600) };
  }
}

/**
 * Writes `data` to `file` so that readers see the old or the new content, never a mix.
 * `sync: false` for a cache (the records index), which a crash may lose.
 */
export function writeFileAtomic(file: string, data: string, options: { sync?: boolean } = {}): void {
  const { tmp, fd } = openTemp(file);
  try {
    try {
      fs.writeFileSync(fd, data);
      if (options.sync !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (error) {
    // A full disk (ENOSPC) must not also be left holding a half-written temporary file.
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/** How many files a batch holds open at once (well below the usual limit of 1,024 descriptors). */
const BATCH_FILES = 128;

const fsyncAsync = (fd: number) => new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));

/**
 * Writes several files as writeFileAtomic does each: every temporary file is written
 * first, then all are synced at once (libuv's threads: the file system commits
 * concurrent syncs together, about twice as fast here as one after the other, and
 * the syncs are what a `stop all` of 1,000 programs waited on), then all renamed at once.
 * `failed` gets each file that could not be written (the others are written all the
 * same); without it the first failure is thrown.
 */
export async function writeFilesAtomic(items: { file: string; data: string }[], failed?: (file: string, error: unknown) => void): Promise<void> {
  const fail = (file: string, error: unknown) => {
    if (!failed) throw error;
    failed(file, error);
  };
  for (let at = 0; at < items.length; at += BATCH_FILES) {
    const open: { file: string; tmp: string; fd: number; error?: unknown }[] = [];
    try {
      for (const { file, data } of items.slice(at, at + BATCH_FILES)) {
        let temp: { tmp: string; fd: number } | undefined;
        try {
          temp = openTemp(file);
          fs.writeFileSync(temp.fd, data);
          open.push({ file, ...temp });
        } catch (error) {
          if (temp) {
            fs.closeSync(temp.fd);
            // A full disk (ENOSPC) must not also be left holding a half-written temporary file.
            fs.rmSync(temp.tmp, { force: true });
          }
          fail(file, error);
        }
      }
      await Promise.all(open.map((f) => fsyncAsync(f.fd).catch((error: unknown) => (f.error = error))));
      const synced = open.splice(0);
      // Renamed side by side too: on a busy disk a rename can wait milliseconds for the
      // journal, and one after the other 1,000 of them were most of a `stop all`.
      const renamed = await Promise.all(
        synced.map(async (f) => {
          try {
            fs.closeSync(f.fd);
            if (f.error !== undefined) throw f.error;
            await fs.promises.rename(f.tmp, f.file);
            return null;
          } catch (error) {
            fs.rmSync(f.tmp, { force: true });
            return { file: f.file, error };
          }
        }),
      );
      for (const r of renamed) if (r) fail(r.file, r.error);
    } finally {
      // Only after a thrown failure: the rest of this batch is not written.
      for (const f of open) {
        fs.closeSync(f.fd);
        fs.rmSync(f.tmp, { force: true });
      }
    }
  }
}

function quarantine(paths: StatePaths, name: string, file: string, reason: string, move: boolean): CorruptRecordError {
  let movedTo: string | null = null;
  if (!move) return new CorruptRecordError(name, reason, null);
  try {
    fs.mkdirSync(paths.quarantine, { recursive: true, mode: 0o700 });
    const target = path.join(paths.quarantine, `${name}.${Date.now()}.json`);
    fs.renameSync(file, target);
    movedTo = target;
  } catch {
    // Left in place; the error still names it and the other records are still listed.
  }
  return new CorruptRecordError(name, reason, movedTo);
}

function parseRecord(paths: StatePaths, name: string, file: string, move = true): ProcessRecord | CorruptRecordError | null {
  let text: string;
  try {
    text = readFileNoFollow(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') return quarantine(paths, name, file, 'it is a symbolic link', move);
    if (code === 'EOWNER') {
      return quarantine(paths, name, file, `it belongs to another user (uid ${(error as { owner?: number }).owner}); bgrun reads only files of the user running it`, move);
    }
    throw new StateError(`cannot read the record of '${name}': ${describeSystemError(error)}`, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return quarantine(paths, name, file, `invalid JSON: ${(error as Error).message}`, move);
  }
  const problem = checkRecord(value);
  if (problem) return quarantine(paths, name, file, problem, move);
  const record = value as ProcessRecord;
  if (record.name !== name) return quarantine(paths, name, file, `it names '${record.name}'`, move);
  return record;
}

/**
 * Every record. Bad ones are moved to the quarantine folder and returned in
 * `corrupt` for the caller to report; with `quarantine: false` (a caller that
 * reports nothing) they are only skipped, left for one that does.
 */
/** Parsed records by name, kept by a long-running reader (the supervisor) across reads. */
export type RecordCache = Map<string, { key: string; record: ProcessRecord }>;

export function readRecords(
  paths: StatePaths,
  options: { quarantine?: boolean; reuse?: boolean; cache?: RecordCache } = {},
): ReadResult {
  const move = options.quarantine ?? true;
  // `reuse`: the checks a command runs before its own work read the same records; read them once.
  if (options.reuse && memo?.home === paths.home && (memo.result.corrupt.length === 0 || memo.moved === move)) return memo.result;
  const result = readRecordsNow(paths, move, options.cache);
  memo = { home: paths.home, moved: move, result };
  return result;
}

/** The last full read of this process; any write of this process forgets it. */
let memo: { home: string; moved: boolean; result: ReadResult } | null = null;

/**
 * Every write replaces the file (a new inode), so an unchanged inode, size and
 * mtime mean an unchanged record: a supervisor ticking over 200 records then
 * parses none of them, which keeps its memory flat.
 */
function cacheKey(file: string): string | null {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() ? `${st.ino}:${st.size}:${st.mtimeMs}` : null;
  } catch {
    return null;
  }
}

function readRecordsNow(paths: StatePaths, move: boolean, cache?: RecordCache): ReadResult {
  ensureState(paths, 'read');
  let entries: string[];
  try {
    entries = fs.readdirSync(paths.records);
  } catch (error) {
    throw new StateError(`cannot read ${paths.records}: ${describeSystemError(error)}`, error);
  }
  const records: ProcessRecord[] = [];
  const corrupt: CorruptRecordError[] = [];
  for (const entry of entries) if (entry.endsWith('.tmp')) removeIfAbandoned(paths, entry);
  // Sorted by name, not file name: 'ready' before 'ready-2' ('-' sorts before '.json').
  const names = entries.filter((e) => e.endsWith('.json')).map((e) => e.slice(0, -5));
  // Many records and no cache of its own (a command, not the supervisor): the index (record-index.ts).
  const update = !cache && names.length >= INDEX_MIN_RECORDS ? new IndexUpdate(loadIndex(paths, readFileNoFollow)) : null;
  for (const name of names.sort()) {
    // Not path.join: the name is a file name read from this folder, and join's normalising is measurable over 200 records.
    const file = `${paths.records}${path.sep}${name}.json`;
    if (update) {
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!st) continue; // removed since the folder was read
      // A link or another user's file is never served from the index: parseRecord below quarantines it.
      const indexed = st.isFile() && st.uid === (myUid ?? st.uid) ? indexedRecord(update.previous, name, st) : null;
      if (indexed) {
        records.push(indexed);
        update.kept(name);
        continue;
      }
      const result = parseRecord(paths, name, file, move);
      if (result instanceof CorruptRecordError) corrupt.push(result);
      else if (result) {
        records.push(result);
        if (st.isFile()) update.read(name, result, st);
      }
      continue;
    }
    const key = cache ? cacheKey(file) : null;
    const cached = key !== null ? cache?.get(name) : undefined;
    if (cached && cached.key === key) {
      records.push(cached.record);
      continue;
    }
    const result = parseRecord(paths, name, file, move);
    if (result instanceof CorruptRecordError) corrupt.push(result);
    else if (result) {
      records.push(result);
      if (cache && key !== null) cache.set(name, { key, record: result });
    }
  }
  if (cache && cache.size > 0) {
    const present = new Set(names);
    for (const name of cache.keys()) if (!present.has(name)) cache.delete(name);
  }
  update?.save(paths, (file, data) => writeFileAtomic(file, data, { sync: false }));
  return { records, corrupt };
}

/**
 * A temporary file of writeFileAtomic whose writer is gone (killed between the
 * write and the rename): nobody will rename it, so it is removed. A live pid's
 * file is left alone, whoever that pid is now.
 */
function removeIfAbandoned(paths: StatePaths, entry: string): void {
  const match = /\.(?:json|index)\.(\d+)\.\d+\.tmp$/.exec(entry);
  if (!match) return;
  try {
    process.kill(Number(match[1]), 0);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return;
  }
  try {
    fs.unlinkSync(path.join(paths.records, entry));
  } catch {
    // Removed by another reader meanwhile, or not ours to remove: harmless either way.
  }
}

/** One record, or null; a corrupt one is quarantined and thrown. */
export function readRecord(paths: StatePaths, name: string): ProcessRecord | null {
  ensureState(paths, 'read');
  const result = parseRecord(paths, name, recordFile(paths, name));
  if (result instanceof CorruptRecordError) throw result;
  return result;
}

export function writeRecord(paths: StatePaths, record: ProcessRecord): void {
  memo = null;
  try {
    writeFileAtomic(recordFile(paths, record.name), `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    throw new StateError(`cannot write the record of '${record.name}': ${describeSystemError(error)}`, error);
  }
}

/**
 * Several records in one batch (writeFilesAtomic: their syncs at once). `failed`
 * gets each record that could not be written (a full disk); without it the first failure is thrown.
 */
export async function writeRecords(paths: StatePaths, records: ProcessRecord[], failed?: (name: string, error: StateError) => void): Promise<void> {
  memo = null;
  const byFile = new Map(records.map((r) => [recordFile(paths, r.name), r.name]));
  const wrap = (file: string, error: unknown) => {
    const name = byFile.get(file) ?? file;
    return new StateError(`cannot write the record of '${name}': ${describeSystemError(error)}`, error);
  };
  await writeFilesAtomic(
    records.map((r) => ({ file: recordFile(paths, r.name), data: `${JSON.stringify(r, null, 2)}\n` })),
    (file, error) => {
      const wrapped = wrap(file, error);
      if (!failed) throw wrapped;
      failed(byFile.get(file) ?? file, wrapped);
    },
  );
}

export function deleteRecord(paths: StatePaths, name: string): void {
  memo = null;
  try {
    fs.unlinkSync(recordFile(paths, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StateError(`cannot remove the record of '${name}': ${describeSystemError(error)}`, error);
    }
  }
}

/** Longer than any holder keeps it (a spawn, a few small writes), even on a loaded machine. */
const LOCK_TIMEOUT_MS = 30_000;

/**
 * Runs `fn` holding the registry lock (`registry.lock`, owned-lock.ts): held while
 * its holder lives, however long that one stalls, and free at once when it is gone.
 */
export async function withLock<T>(paths: StatePaths, fn: () => T | Promise<T>): Promise<T> {
  // The lock is made in the state folder and records are written under it: what else a holder writes it checks itself.
  ensureState(paths, 'read');
  ensureWritable(paths.home, paths.home);
  ensureWritable(paths.records, paths.home);
  try {
    return await withOwnedLock(`${paths.lock}.lock`, LOCK_TIMEOUT_MS, fn);
  } catch (error) {
    if (!(error instanceof LockFailedError)) throw error;
    throw new StateError(`cannot lock the state folder ${paths.home}: ${describeLockFailure(error)}`, error, error.cause === undefined ? 'LOCK_TIMEOUT' : 'STATE_UNUSABLE');
  }
}
