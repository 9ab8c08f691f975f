import { stringValue } from '../cli-args.js';
import { parseSince, readSince, readTailAcross } from '../core/logs/since.js';
import { fileSize, followFiles } from '../core/logs/read.js';
import { UsageError } from '../errors.js';
import type { Command } from './command.js';
import { resolveConfigTargets } from './config-apps.js';

export const logs: Command = {
  name: 'logs',
  summary: "print a program's last log lines, or follow them",
  usage: 'bgrun logs <pid|name> [--lines N] [--since <duration|time>] [--follow] [--out | --err]',
  options: [
    { name: 'lines', short: 'n', type: 'string', value: '<N>', description: 'how many lines (default 15)' },
    {
      name: 'since',
      type: 'string',
      value: '<when>',
      description:
        'lines since a duration ago (30s, 10m, 2h, 1d) or a time (2026-11-24T03:00:00Z), rotated copies included; needs lines that start with an ISO 8601 time',
    },
    { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing new lines (Ctrl-C to end)' },
    { name: 'raw', type: 'boolean', description: "pm2's --raw: the lines as the program wrote them, nothing added (what bgrun prints for one program)" },
    { name: 'nostream', type: 'boolean', description: "pm2's --nostream: print and return (what bgrun does without --follow)" },
    { name: 'out', type: 'boolean', description: 'stdout log only' },
    { name: 'err', type: 'boolean', description: 'stderr log only' },
  ],
  async run(args, ctx, io) {
    const v = args.values;
    if (args.positionals.length !== 1 || args.positionals[0] === 'all') {
      throw new UsageError(`logs takes exactly one program: ${this.usage}`);
    }
    if (v.out && v.err) throw new UsageError('--out and --err exclude each other; give neither for both');
    const lines = v.lines === undefined ? 15 : Number(v.lines);
    if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`invalid --lines '${v.lines}': use a whole number`);
    const sinceText = stringValue(v, 'since');
    const since = sinceText === undefined ? null : parseSince(sinceText);
    // An app with copies (or an @namespace) is every copy's logs; merged logs (--merge-logs) once.
    const records = await resolveConfigTargets(ctx, args.positionals);
    const files = [...new Set(records.flatMap((record) => (v.out ? [record.outLog] : v.err ? [record.errLog] : [record.outLog, record.errLog])))];
    const headers = files.length > 1 && v.raw !== true;
    // Where the tail ends is where following starts, so a line written in between is printed once.
    const ends = files.map(fileSize);
    for (const [i, file] of files.entries()) {
      if (headers) io.out(`==> ${file} <==`);
      if (since === null) {
        for (const line of readTailAcross(file, lines, ends[i])) io.out(line);
        continue;
      }
      const found = readSince(file, since);
      // --since prints every line since then, unless --lines asks for fewer.
      for (const line of v.lines === undefined ? found.lines : found.lines.slice(Math.max(0, found.lines.length - lines))) io.out(line);
      if (!found.stamped && readTailAcross(file, 1).length > 0) {
        io.err(`bgrun: no line of ${file} starts with a time, so --since cannot select any; it needs the program to print ISO 8601 times (2026-11-24T03:00:00Z) at the start of its lines`);
      }
    }
    if (!v.follow) return 0;

    const controller = new AbortController();
    const stopFollowing = () => controller.abort();
    process.once('SIGINT', stopFollowing);
    process.once('SIGTERM', stopFollowing);
    let last = files[files.length - 1];
    // Pieces are written as read: a line split across two reads is printed whole all the same.
    await followFiles(files, {
      signal: controller.signal,
      startAt: since === null ? ends : undefined,
      onData: (file, chunk) => {
        if (headers && file !== last) {
          process.stdout.write(`\n==> ${file} <==\n`);
          last = file;
        }
        process.stdout.write(chunk);
      },
    });
    process.off('SIGINT', stopFollowing);
    process.off('SIGTERM', stopFollowing);
    return 0;
  },
};
