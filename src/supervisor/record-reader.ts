import fs from 'node:fs';
import type { StatePaths } from '../core/paths.js';
import { type ReadResult, type RecordCache, readRecords } from '../core/records/registry.js';

/**
 * A folder's modification time this much older than the look that read it is trusted to
 * change with the next file renamed into it: a file system keeps times in steps of up to
 * 2 s (a write later in the same step would leave it as it was), and a write made during
 * the look itself may not be in what it read.
 */
const SETTLED_MS = 2500;
/** Read every record's stat at least this often all the same: a record edited in place (not renamed into the folder) is seen then. */
const FULL_LOOK_MS = 10_000;

/**
 * The supervisor's view of the records, re-read on each tick only when it may have changed.
 * Every bgrun writer replaces a record by renaming a new file into the records folder,
 * which changes the folder's modification time: an unchanged folder means unchanged
 * records, so a tick over 1,000 programs costs one stat instead of 1,000 (registry.ts's
 * cache still costs a stat per record, and this look found the ticks over 1,000
 * records were most of an idle supervisor's CPU).
 */
export class RecordReader {
  private readonly cache: RecordCache = new Map();
  private last: ReadResult | null = null;
  /** The folder's stamp when it was last read, if it was settled then. */
  private trusted: string | null = null;
  private lastFullAt = 0;

  constructor(
    private readonly paths: StatePaths,
    private readonly fullLookMs = FULL_LOOK_MS,
  ) {}

  /** The records; the same result object as last time when nothing can have changed. */
  read(): ReadResult {
    const startedAt = Date.now();
    const stamp = folderStamp(this.paths.records);
    if (this.last && stamp !== null && stamp.key === this.trusted && startedAt - this.lastFullAt < this.fullLookMs) return this.last;
    this.last = readRecords(this.paths, { cache: this.cache, quarantine: false });
    this.lastFullAt = startedAt;
    this.trusted = stamp !== null && startedAt - stamp.mtimeMs > SETTLED_MS ? stamp.key : null;
    return this.last;
  }
}

function folderStamp(folder: string): { key: string; mtimeMs: number } | null {
  try {
    const st = fs.statSync(folder, { bigint: true });
    return { key: `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`, mtimeMs: Number(st.mtimeNs / 1_000_000n) };
  } catch {
    return null;
  }
}
