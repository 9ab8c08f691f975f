/**
 * Where the bytes of a log went in its rotated copy. A copy holds the log's bytes in
 * order, except where the keeper dropped output (the program outran rotation): there
 * it holds one marker line instead (`dropMarker` in rotate.ts) saying how many bytes.
 * A follower uses this to find, in a copy, the place it had read the log up to.
 */

/** The marker line `dropMarker` writes; its byte count is what was dropped right there. */
const MARKER = /^bgrun: dropped (\d+) bytes of output here at \S+: the program wrote faster than its log could be rotated \(--max-log-size \d+\)\n/;
const MARKER_START = Buffer.from('bgrun: dropped ');
/** Longer than any marker line. */
const MARKER_MAX = 400;

/** A stretch of the copy: the log's bytes from `logFrom` on, or a marker standing for `dropped` bytes of it. */
interface Piece {
  copyFrom: number;
  copyTo: number;
  logFrom: number;
  dropped: number;
}

export interface CopyMap {
  pieces: Piece[];
  /** The log offset at which the copy ends (the generation's last byte kept, or dropped with a marker). */
  logEnd: number;
}

/** Maps a copy's content (uncompressed) to the log offsets it came from. */
export function mapCopy(data: Buffer): CopyMap {
  const pieces: Piece[] = [];
  let copyAt = 0;
  let logAt = 0;
  for (let at = data.indexOf(MARKER_START); at >= 0; at = data.indexOf(MARKER_START, at + 1)) {
    if (at > 0 && data[at - 1] !== 10) continue; // markers start a line
    const match = MARKER.exec(data.subarray(at, at + MARKER_MAX).toString('latin1'));
    if (!match) continue;
    if (at > copyAt) pieces.push({ copyFrom: copyAt, copyTo: at, logFrom: logAt, dropped: 0 });
    logAt += at - copyAt;
    const dropped = Number(match[1]);
    copyAt = at + match[0].length;
    pieces.push({ copyFrom: at, copyTo: copyAt, logFrom: logAt, dropped });
    logAt += dropped;
  }
  if (data.length > copyAt) pieces.push({ copyFrom: copyAt, copyTo: data.length, logFrom: logAt, dropped: 0 });
  return { pieces, logEnd: logAt + (data.length - copyAt) };
}

export interface Resume {
  /** Where in the copy to go on printing. */
  at: number;
  /** The place falls in output the keeper dropped: printing resumes at its marker, nothing there to compare. */
  dropped: boolean;
  /** Bytes read past the copy's end: the start of an unfinished line the keeper carried over to the next generation. */
  beyond: number;
}

/** Where to go on in a copy, for a follower that had read its log up to `logOffset`. */
export function resumeAt(map: CopyMap, logOffset: number): Resume {
  for (const p of map.pieces) {
    if (p.dropped > 0) {
      // Read up to the marker or into what it dropped: the marker says what is missing.
      if (logOffset < p.logFrom + p.dropped) return { at: p.copyFrom, dropped: true, beyond: 0 };
    } else if (logOffset <= p.logFrom + (p.copyTo - p.copyFrom)) {
      return { at: p.copyFrom + Math.max(0, logOffset - p.logFrom), dropped: false, beyond: 0 };
    }
  }
  const end = map.pieces.at(-1)?.copyTo ?? 0;
  return { at: end, dropped: false, beyond: Math.max(0, logOffset - map.logEnd) };
}

/**
 * Whether the copy holds, right before `at`, the bytes a follower read last (`tail`,
 * ending `beyond` bytes past the copy's end): it is the copy of what it was reading.
 * Only bytes of the same stretch are compared (a marker stands in between).
 */
export function holdsTail(data: Buffer, map: CopyMap, resume: Resume, tail: Buffer): boolean {
  if (resume.dropped || tail.length === 0) return true;
  // Read past the copy's end by more than the bytes remembered: nothing left to compare.
  if (tail.length <= resume.beyond) return false;
  const piece = map.pieces.find((p) => p.dropped === 0 && p.copyFrom < resume.at && resume.at <= p.copyTo);
  if (!piece) return true; // at the copy's start, or right after a marker
  const expected = tail.subarray(0, tail.length - resume.beyond);
  const length = Math.min(expected.length, resume.at - piece.copyFrom);
  return data.subarray(resume.at - length, resume.at).equals(expected.subarray(expected.length - length));
}
