import fs from 'node:fs';
import { stringValue } from '../cli-args.js';
import { followFiles } from '../core/logs/follow.js';
import { LINKED_LOG, fileSize, refuseLinkedLog } from '../core/logs/read.js';
import { DEFAULT_LINES, type LineSelection, NO_INDEX, capLines, selectLines, timeIndexed as indexed } from '../core/logs/select.js';
import { parseSince } from '../core/logs/since.js';
import { type TimedLine, type TimedRead, byTime, formatTime, timedSince, timedTail } from '../core/logs/timed.js';
import type { ProcessRecord } from '../core/records/record.js';
import { readRecords } from '../core/records/registry.js';
import { BgrunError, UsageError } from '../errors.js';
import { LineSplitter, createPrefixer } from '../output/prefix.js';
import type { Command, Io } from './command.js';
import { resolveConfigTargets } from './config-apps.js';

interface Choice extends LineSelection {
  since: number | null;
  timestamps: boolean;
  follow: boolean;
  out: boolean;
  err: boolean;
  /** pm2's --raw: no headers, no prefixes. */
  raw: boolean;
}

type Stream = 'out' | 'err';

function filesOf(record: ProcessRecord, c: Choice): { file: string; stream: Stream }[] {
  if (c.out) return [{ file: record.outLog, stream: 'out' }];
  if (c.err) return [{ file: record.errLog, stream: 'err' }];
  // --log: one file for both streams, read once.
  if (record.outLog === record.errLog) return [{ file: record.outLog, stream: 'out' }];
  return [
    { file: record.outLog, stream: 'out' },
    { file: record.errLog, stream: 'err' },
  ];
}

function splitterOf(splitters: Map<string, LineSplitter>, file: string): LineSplitter {
  let splitter = splitters.get(file);
  if (!splitter) {
    splitter = new LineSplitter();
    splitters.set(file, splitter);
  }
  return splitter;
}

/** Until aborted by Ctrl-C or SIGTERM. */
function untilInterrupted(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    done: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export const logs: Command = {
  name: 'logs',
  usage: 'bgrun logs <pid|name|all>... [--lines N] [--since <duration|time>] [-t] [--follow] [--out | --err]',
  options: [
    { name: 'lines', short: 'n', type: 'string', value: '<N>', description: 'how many lines, per program (default 15)' },
    {
      name: 'since',
      type: 'string',
      value: '<when>',
      description:
        'lines since a duration ago (30s, 10m, 2h, 1d) or a time (2026-11-24T03:00:00Z), rotated copies included; by the times bgrun recorded (--log-time), else by ISO 8601 times at the start of lines',
    },
    { name: 'timestamps', short: 't', type: 'boolean', description: 'print when each line was written (ISO 8601, UTC) before it' },
    { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing new lines (Ctrl-C to end); with all, programs started later too' },
    { name: 'raw', type: 'boolean', description: "pm2's --raw: the lines as the program wrote them, nothing added (no file headers, no name prefixes)" },
    { name: 'nostream', type: 'boolean', description: "pm2's --nostream: print and return (what bgrun does without --follow)" },
    { name: 'out', type: 'boolean', description: 'stdout log only' },
    { name: 'err', type: 'boolean', description: 'stderr log only' },
  ],
  async run(args, ctx, io) {
    const v = args.values;
    if (args.positionals.length === 0) throw new UsageError(`logs needs a program, several, or all: ${this.usage}`);
    if (v.out && v.err) throw new UsageError('--out and --err exclude each other; give neither for both');
    const lines = v.lines === undefined ? undefined : Number(v.lines);
    if (lines !== undefined && (!Number.isInteger(lines) || lines < 0)) throw new UsageError(`invalid --lines '${v.lines}': use a whole number`);
    const choice: Choice = {
      lines,
      since: stringValue(v, 'since') === undefined ? null : parseSince(stringValue(v, 'since')!),
      timestamps: v.timestamps === true,
      follow: v.follow === true,
      out: v.out === true,
      err: v.err === true,
      raw: v.raw === true,
    };
    const all = args.positionals.includes('all');
    const records = all && !fs.existsSync(ctx.paths.records) ? [] : await resolveConfigTargets(ctx, args.positionals);
    // One program (even an app with copies named alone keeps the file headers); several: prefixed lines in time order.
    const apps = new Set(records.map((r) => r.app ?? r.name));
    if (!all && args.positionals.length === 1 && apps.size === 1) return single(records, choice, io);
    return many(records, choice, io, all ? ctx : null);
  },
};

/** One program: each log under its file name, as `tail` prints several files. */
async function single(records: ProcessRecord[], c: Choice, io: Io): Promise<number> {
  const files = [...new Map(records.flatMap((r) => filesOf(r, c).map((f) => [f.file, { ...f, record: r }] as const))).values()];
  // A log replaced by a link is refused before anything is printed, the other stream's lines included.
  for (const { file } of files) refuseLinkedLog(file);
  const headers = files.length > 1 && !c.raw;
  // Where the tail ends is where following starts, so a line written in between is printed once.
  const ends = files.map((f) => fileSize(f.file));
  const noted = new Set<string>();
  const note = (text: string) => {
    if (!noted.has(text)) io.err(`bgrun: ${text}`);
    noted.add(text);
  };
  for (const [i, { file, record }] of files.entries()) {
    if (headers) io.out(`==> ${file} <==`);
    const timed = indexed(record, file);
    if (!c.timestamps) {
      const found = selectLines(file, { ...c, indexed: timed, end: ends[i] });
      for (const line of found.lines) io.out(line);
      for (const n of found.notes) note(n);
      continue;
    }
    // By the recorded times; without an index, the files' last change (with --since, the program's own stamps first).
    const found = c.since === null ? timedTail(file, c.lines ?? DEFAULT_LINES) : timedSince(file, c.since, !timed);
    for (const line of capLines(found.lines, c)) io.out(`${formatTime(line.time)} ${line.text}`);
    for (const n of found.notes) note(n);
  }
  if (!c.follow) return 0;

  const { signal, done } = untilInterrupted();
  let last = files[files.length - 1]?.file;
  const splitters = new Map<string, LineSplitter>();
  await followFiles(
    files.map((f) => f.file),
    {
      signal,
      startAt: c.since === null ? ends : undefined,
      onMissed: (_file, message) => io.err(`bgrun: ${message}`),
      onData: (file, chunk) => {
        if (headers && file !== last) {
          process.stdout.write(`\n==> ${file} <==\n`);
          last = file;
        }
        if (!c.timestamps) {
          // Pieces are written as read: a line split across two reads is printed whole all the same.
          process.stdout.write(chunk);
          return;
        }
        const splitter = splitterOf(splitters, file);
        // Read within the poll interval of being written: now is its time, at most 200 ms late.
        const stamp = formatTime(Date.now());
        for (const line of splitter.push(chunk)) process.stdout.write(`${stamp} ${line}\n`);
      },
    },
  );
  done();
  return 0;
}

interface Tagged extends TimedLine {
  name: string;
  stream: Stream;
}

/**
 * Several programs (`logs all`, `logs a b c`): every line prefixed with its
 * program's name, in time order as far as bgrun knows it (recorded times, else
 * the program's own stamps, else the file's last change). `-f` with `all` also
 * follows programs started after it began.
 */
async function many(records: ProcessRecord[], c: Choice, io: Io, allOf: Parameters<Command['run']>[1] | null): Promise<number> {
  const prefixer = createPrefixer(
    records.map((r) => r.name),
    io.color,
  );
  const seenFiles = new Map<string, { name: string; stream: Stream }>();
  const notes = new Set<string>();
  const tagged: Tagged[] = [];
  const ends = new Map<string, number>();
  for (const record of records) {
    const mine: Tagged[] = [];
    for (const { file, stream } of filesOf(record, c)) {
      if (seenFiles.has(file)) continue; // merged logs: read once, under the first name
      ends.set(file, fileSize(file));
      let found: TimedRead;
      try {
        found = c.since === null ? timedTail(file, c.lines ?? DEFAULT_LINES, true) : timedSince(file, c.since, !indexed(record, file));
      } catch (error) {
        // One program's log replaced by a link does not hide the others' logs: skipped, and not followed.
        if (!(error instanceof BgrunError && error.code === 'LOG_IS_LINK')) throw error;
        notes.add(`skipped the log ${file}: ${LINKED_LOG}`);
        continue;
      }
      seenFiles.set(file, { name: record.name, stream });
      for (const line of found.lines) mine.push({ ...line, name: record.name, stream });
      if (c.timestamps || c.since !== null) for (const n of found.notes) if (c.timestamps || !NO_INDEX.test(n)) notes.add(n);
    }
    // -n is per program, its streams together.
    tagged.push(...capLines(byTime(mine), c));
  }
  for (const n of notes) io.err(`bgrun: ${n}`);
  for (const line of byTime(tagged)) {
    const text = c.timestamps ? `${formatTime(line.time)} ${line.text}` : line.text;
    io.out(c.raw ? text : prefixer.line(line.name, text, line.stream));
  }
  if (!c.follow) return 0;

  const { signal, done } = untilInterrupted();
  const splitters = new Map<string, LineSplitter>();
  const follows: Promise<void>[] = [];
  const follow = (file: string, from: number | undefined) => {
    follows.push(
      followFiles([file], {
        signal,
        startAt: from === undefined ? undefined : [from],
        onMissed: (_file, message) => io.err(`bgrun: ${message}`),
        onData: (f, chunk) => {
          const who = seenFiles.get(f)!;
          const splitter = splitterOf(splitters, f);
          const stamp = c.timestamps ? `${formatTime(Date.now())} ` : '';
          let text = '';
          for (const line of splitter.push(chunk)) text += `${c.raw ? stamp + line : prefixer.line(who.name, stamp + line, who.stream)}\n`;
          if (text) process.stdout.write(text);
        },
      }),
    );
  };
  for (const file of seenFiles.keys()) follow(file, c.since === null ? ends.get(file) : undefined);
  if (allOf) {
    // Programs started after the follow began: their logs from their first line.
    const known = new Set(records.map((r) => r.name));
    const timer = setInterval(() => {
      let fresh: ProcessRecord[];
      try {
        fresh = readRecords(allOf.paths, { quarantine: false }).records.filter((r) => !known.has(r.name));
      } catch {
        return;
      }
      for (const record of fresh) {
        known.add(record.name);
        for (const { file, stream } of filesOf(record, c)) {
          if (seenFiles.has(file)) continue;
          seenFiles.set(file, { name: record.name, stream });
          follow(file, 0);
        }
      }
    }, 500);
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.all(follows);
  done();
  return 0;
}
