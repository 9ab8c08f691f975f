import fs from 'node:fs';

const CHUNK = 64 * 1024;

/**
 * The last `count` lines of a file, read backwards from its end in chunks, so
 * the cost depends on the lines asked for, not on the size of the log.
 */
export function readTail(file: string, count: number): string[] {
  if (count <= 0) return [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let position = size;
    let chunks: Buffer[] = [];
    let newlines = 0;
    // A trailing newline ends the last line rather than starting an empty one.
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const buf = Buffer.allocUnsafe(length);
      fs.readSync(fd, buf, 0, length, position);
      for (let i = 0; i < length; i++) if (buf[i] === 10) newlines++;
      chunks = [buf, ...chunks];
    }
    let text = Buffer.concat(chunks).toString('utf8');
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (text === '') return [];
    const lines = text.split('\n');
    return lines.slice(-count);
  } finally {
    fs.closeSync(fd);
  }
}

export interface FollowOptions {
  /** Called with each new piece of a file, as read (whole lines are not waited for). */
  onData: (file: string, chunk: Buffer) => void;
  signal?: AbortSignal;
  intervalMs?: number;
}

interface Cursor {
  file: string;
  ino: number | null;
  offset: number;
}

/**
 * Prints what is appended to the files from their current end on. Polls (fs.watch
 * misses renames on some systems) and starts over at the beginning when a file
 * is truncated or replaced by rotation. Resolves when the signal aborts.
 */
export async function followFiles(files: string[], options: FollowOptions): Promise<void> {
  const cursors: Cursor[] = files.map((file) => {
    try {
      const st = fs.statSync(file);
      return { file, ino: st.ino, offset: st.size };
    } catch {
      return { file, ino: null, offset: 0 };
    }
  });
  const interval = options.intervalMs ?? 200;
  while (!options.signal?.aborted) {
    for (const cursor of cursors) readNew(cursor, options.onData);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      options.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

function readNew(cursor: Cursor, onData: FollowOptions['onData']): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(cursor.file);
  } catch {
    return;
  }
  if (cursor.ino !== null && st.ino !== cursor.ino) {
    cursor.offset = 0; // rotated: a new file now stands at this path
  } else if (st.size < cursor.offset) {
    cursor.offset = 0; // truncated (copy-then-truncate rotation, or flush)
  }
  cursor.ino = st.ino;
  if (st.size <= cursor.offset) return;
  const fd = fs.openSync(cursor.file, 'r');
  try {
    while (cursor.offset < st.size) {
      const length = Math.min(CHUNK, st.size - cursor.offset);
      const buf = Buffer.allocUnsafe(length);
      const read = fs.readSync(fd, buf, 0, length, cursor.offset);
      if (read <= 0) break;
      cursor.offset += read;
      onData(cursor.file, buf.subarray(0, read));
    }
  } finally {
    fs.closeSync(fd);
  }
}
