import type fs from 'node:fs';
import path from 'node:path';
import type { StatePaths } from '../paths.js';
import { type ProcessRecord, checkRecord } from './record.js';

/**
 * An index of the records (records/.index): every record that was read, with the
 * inode, size, mtime and ctime its file had then. With many programs, `list` then
 * costs one lstat per record and one parse of the index, instead of an open, fstat,
 * read, close and parse per record (1,000 records: ~36 → ~25 ms here, quiet machine).
 *
 * It is a cache and never the truth: each entry is used only while an lstat of its
 * record file gives the same key, so a record edited, added or removed by anyone
 * (a writer of bgrun, an editor, `rm`) is read from its file. Two rules make a key
 * match imply the same content: the key is taken before the read (a change during the
 * read leaves a key that no longer matches the file), and a record is indexed only
 * once its file has been left alone for SETTLED_MS (file times are coarse, so two
 * writes in the same tick with the same size would otherwise share a key).
 *
 * Readers keep it up to date, lock-free: writes of records never pay for it (a `start`
 * with 1,000 programs recorded does not rewrite 1 MB), and since every entry is checked,
 * whichever reader's index is renamed last is as good as any. It is written without
 * fsync: after a crash it is at worst missing or old, and then only slower.
 */

const INDEX_NAME = '.index';
const INDEX_VERSION = 1;
/** Below this many records, reading them costs about as much as the index would. */
export const INDEX_MIN_RECORDS = 32;
const SETTLED_MS = 2000;
/** How many records read from their files (or gone) make a rewrite of the index worth its cost. */
const REWRITE_AFTER = 8;

interface Entry {
  k: string;
  r: ProcessRecord;
}

export const indexFile = (paths: StatePaths) => `${paths.records}${path.sep}${INDEX_NAME}`;

export function statKey(st: fs.Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** The index as last written; empty when there is none or it cannot be used. */
export function loadIndex(paths: StatePaths, read: (file: string) => string): Map<string, Entry> {
  try {
    const value = JSON.parse(read(indexFile(paths))) as { v?: unknown; entries?: Record<string, Entry> };
    if (value.v !== INDEX_VERSION || typeof value.entries !== 'object' || value.entries === null) return new Map();
    return new Map(Object.entries(value.entries));
  } catch {
    return new Map();
  }
}

/** The indexed record of `name` if its file is still what was indexed (`st`: an lstat of it, taken now). */
export function indexedRecord(index: Map<string, Entry>, name: string, st: fs.Stats): ProcessRecord | null {
  const entry = index.get(name);
  if (!entry || entry.k !== statKey(st)) return null;
  // Cheap, and an index changed by hand must not hand out what a record file could not hold.
  return checkRecord(entry.r) === null && entry.r.name === name ? entry.r : null;
}

/** Collects what the next index holds while a reader goes through the records. */
export class IndexUpdate {
  readonly entries = new Map<string, Entry>();
  private changes = 0;
  private readonly now = Date.now();

  constructor(readonly previous: Map<string, Entry>) {}

  /** A record served from the index. */
  kept(name: string): void {
    const entry = this.previous.get(name);
    if (entry) this.entries.set(name, entry);
  }

  /** A record read from its file; `st` is the lstat taken before the read. */
  read(name: string, record: ProcessRecord, st: fs.Stats): void {
    if (this.now - st.mtimeMs < SETTLED_MS || this.now - st.ctimeMs < SETTLED_MS) return;
    this.entries.set(name, { k: statKey(st), r: record });
    this.changes++;
  }

  /** Writes the index when enough changed since it was written; a failure costs speed only. */
  save(paths: StatePaths, write: (file: string, data: string) => void): void {
    const gone = [...this.previous.keys()].filter((name) => !this.entries.has(name)).length;
    if (this.changes + gone < Math.min(REWRITE_AFTER, Math.max(1, this.entries.size))) return;
    try {
      write(indexFile(paths), JSON.stringify({ v: INDEX_VERSION, entries: Object.fromEntries(this.entries) }));
    } catch {
      // A full disk or a read-only folder: the records are still read from their files.
    }
  }
}
