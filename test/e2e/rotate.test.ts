import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { rotateLog, rotatedFiles } from '../../src/core/logs/rotate.js';
import { fixture, readText, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const NUMBERED = fixture('numbered.js');

/** The numbers of "line <n> …" lines, in file order. */
function numbersOf(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:\S+ )?line (\d+) /.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** The whole kept history of a log, oldest copy first. */
function history(file: string): number[] {
  return [...rotatedFiles(file).reverse(), file].flatMap((f) => numbersOf(readText(f)));
}

/** Lines missing between consecutive numbers; throws on a duplicate or a line out of order. */
/**
 * The exception docs/logs.md states: what the program writes between the truncate and the
 * carried piece's write comes before the piece, so the piece's line can sit out of order
 * among the new log's first lines (seen once in a CI run: line 598980 after 599005). It is
 * left out here, so it counts as lost at that rotation.
 */
/** How far into the new log the carried piece and the line joined to it can be (0.2 ms of this writer). */
const PIECE_WINDOW = 100;

function withoutLatePiece(numbers: number[]): number[] {
  const at = numbers.findIndex((n, k) => k > 0 && k < PIECE_WINDOW && n < numbers[k - 1]!);
  return at < 0 ? numbers : [...numbers.slice(0, at), ...numbers.slice(at + 1)];
}

function missing(numbers: number[]): number {
  let lost = 0;
  for (let i = 1; i < numbers.length; i++) {
    const step = numbers[i]! - numbers[i - 1]!;
    if (step <= 0) throw new Error(`line ${numbers[i]} after line ${numbers[i - 1]}: duplicated or out of order`);
    lost += step - 1;
  }
  return lost;
}

function outLog(box: Sandbox, name: string): string {
  return path.join(box.home, 'logs', `${name}.out.log`);
}

test('bgrun commands rotate a plain program past --max-log-size and keep --max-log-files copies', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'chatty', '--max-log-size', '16k', '--max-log-files', '2', NUMBERED], {
    env: { BATCH: '10', INTERVAL: '5' },
  });
  t.is(started.exitCode, 0, started.stderr);
  // Plain mode has no resident process: each command checks the sizes (list, show, logs, stop…).
  const log = outLog(box, 'chatty');
  let rotations = 0;
  await waitFor(
    async () => {
      await new Promise((r) => setTimeout(r, 150));
      const before = fs.existsSync(`${log}.1`) ? fs.statSync(`${log}.1`).ino : null;
      const result = await box.run([['list', 'show chatty', 'logs chatty -n 1'][rotations % 3]!].flatMap((a) => a.split(' ')));
      t.is(result.stderr, '');
      if (fs.existsSync(`${log}.1`) && fs.statSync(`${log}.1`).ino !== before) rotations++;
      return rotations >= 3;
    },
    { what: 'three rotations', timeout: 45_000, interval: 0 },
  );
  t.is((await box.run(['stop', 'chatty'])).exitCode, 0);
  t.deepEqual(rotatedFiles(log), [`${log}.1`, `${log}.2`]);
  t.false(fs.existsSync(`${log}.3`), 'the oldest copy was dropped');
  for (const copy of rotatedFiles(log)) {
    t.true(fs.statSync(copy).size > 16 * 1024, `${copy} was rotated only once past the limit`);
    t.is(fs.statSync(copy).mode & 0o777, 0o600);
  }
  // Oldest copy first, newest lines in the log itself, nothing duplicated or reordered.
  const numbers = history(log);
  const lost = missing(numbers);
  t.log(`${numbers.length} lines kept over ${rotatedFiles(log).length} copies and the log, ${lost} lost in ${rotations}+ rotations`);
  t.true(lost <= 2, `${lost} lines lost in 3+ rotations of a program writing 2000 lines/s`);
  const newest = numbersOf(readText(log));
  if (newest.length > 0) t.true(newest[0]! > numbersOf(readText(`${log}.1`)).at(-1)!);
  t.true(numbersOf(readText(`${log}.2`)).at(-1)! < numbersOf(readText(`${log}.1`))[0]!);
});

test('a plain program without --max-log-size is never rotated (nohup semantics)', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'free', NUMBERED], { env: { BATCH: '20', INTERVAL: '5' } });
  t.is(started.exitCode, 0, started.stderr);
  const log = outLog(box, 'free');
  await waitFor(() => fs.existsSync(log) && fs.statSync(log).size > 64 * 1024, { what: '64K of output', timeout: 20_000 });
  await box.run(['list']);
  await box.run(['stop', 'free']);
  t.deepEqual(rotatedFiles(log), []);
  t.is(missing(numbersOf(readText(log))), 0);
  t.is(box.record('free').maxLogBytes, null);
});

test('the supervisor rotates a supervised program on its own, with no bgrun command running', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--restart', 'always', '--name', 'sup', '--max-log-size', '8k', '--max-log-files', '2', NUMBERED], {
    env: { BATCH: '5', INTERVAL: '5' },
  });
  t.is(started.exitCode, 0, started.stderr);
  const log = outLog(box, 'sup');
  const supervisorLog = path.join(box.home, 'supervisor.log');
  // Only the file system is watched here: no command that could rotate runs meanwhile.
  await waitFor(() => (readText(supervisorLog).match(/rotated \S+sup\.out\.log/g) ?? []).length >= 3, {
    what: 'three rotations by the supervisor',
    timeout: 30_000,
    interval: 100,
  });
  t.regex(readText(supervisorLog), /rotated \S+\/sup\.out\.log \(\d+ bytes copied; \d+ µs from the last read to the end of the truncate\)/);
  t.is((await box.run(['stop', 'sup'])).exitCode, 0);
  t.deepEqual(rotatedFiles(log), [`${log}.1`, `${log}.2`]);
  const lost = missing(history(log));
  t.log(`${(readText(supervisorLog).match(/rotated \S+sup\.out\.log/g) ?? []).length} rotations by the supervisor, ${lost} lines lost in the kept copies`);
  t.true(lost <= 2, `${lost} lines lost`);
  t.false(fs.existsSync(path.join(box.home, 'logs', 'sup.err.log.1')), 'an empty stderr log is not rotated');
});

test('supervised programs rotate at 10M with 5 copies by default; the options are checked', async (t) => {
  const box = sandbox(t);
  const sup = await box.run(['start', '--restart', 'always', '--name', 'sup', '--', 'sleep', '300']);
  t.is(sup.exitCode, 0, sup.stderr);
  t.is(box.record('sup').maxLogBytes, 10 * 1024 * 1024);
  t.is(box.record('sup').maxLogFiles, 5);
  const off = await box.run(['start', '--restart', 'always', '--max-log-size', '0', '--name', 'off', '--', 'sleep', '300']);
  t.is(off.exitCode, 0, off.stderr);
  t.is(box.record('off').maxLogBytes, null);
  const plain = await box.run(['start', '--max-log-size', '1.5M', '--name', 'plain', '--', 'sleep', '300']);
  t.is(plain.exitCode, 0, plain.stderr);
  t.is(box.record('plain').maxLogBytes, 1.5 * 1024 * 1024);
  t.is(box.record('plain').maxLogFiles, 5);

  const noSize = await box.run(['start', '--max-log-files', '3', '--', 'sleep', '300']);
  t.is(noSize.exitCode, 2);
  t.is(noSize.stderr.split('\n')[0], 'bgrun: --max-log-files needs --max-log-size for a plain program (supervised programs rotate at 10M by default)');
  const tiny = await box.run(['start', '--max-log-size', '100', '--', 'sleep', '300']);
  t.is(tiny.exitCode, 2);
  t.is(tiny.stderr.split('\n')[0], "bgrun: invalid --max-log-size '100': use at least 1K, or 0 for no limit");
  const many = await box.run(['start', '--max-log-size', '1M', '--max-log-files', 'lots', '--', 'sleep', '300']);
  t.is(many.exitCode, 2);
  t.is(many.stderr.split('\n')[0], "bgrun: invalid --max-log-files 'lots': use a whole number from 0 to 1000");
  await box.run(['stop', 'all']);
});

test('lines lost when rotating under a writer as fast as it can go: measured, and tiny', async (t) => {
  const box = sandbox(t);
  const log = path.join(box.dir, 'fast.out.log');
  const countFile = path.join(box.dir, 'count');
  const fd = fs.openSync(log, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  // One write() per line in a tight loop, into an O_APPEND descriptor as bgrun gives programs.
  const writer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); let i = 0;
       process.on('SIGTERM', () => { fs.writeFileSync(process.env.COUNT_FILE, String(i)); process.exit(0); });
       const burst = () => { for (let k = 0; k < 5000; k++) fs.writeSync(1, 'line ' + (++i) + ' \\n'); setImmediate(burst); };
       burst();`,
    ],
    { stdio: ['ignore', fd, 'inherit'], env: { ...box.env, COUNT_FILE: countFile } },
  );
  fs.closeSync(fd);
  t.teardown(() => writer.kill('SIGKILL'));
  const ROTATIONS = 10;
  const MAX = 1024 * 1024;
  const windows: number[] = [];
  const started = Date.now();
  while (windows.length < ROTATIONS) {
    await new Promise((r) => setTimeout(r, 5));
    if (fs.statSync(log).size <= MAX) continue;
    windows.push((await rotateLog(log, ROTATIONS + 1)).windowNs);
  }
  const seconds = (Date.now() - started) / 1000;
  writer.kill('SIGTERM');
  await waitFor(() => fs.existsSync(countFile) && readText(countFile) !== '', { what: 'the writer count' });
  const written = Number(readText(countFile));
  // Oldest copy first: the lines lost by rotation k are the gap between copy k+1's last line and copy k's first.
  const files = [...rotatedFiles(log).reverse(), log].map((f, i) => (i === 0 ? numbersOf(readText(f)) : withoutLatePiece(numbersOf(readText(f)))));
  t.is(files.length, ROTATIONS + 1);
  // A rotation's loss is the gap at the boundary plus any in the first lines of the new log:
  // a piece of a line the copy read mid-write (a write straddling a page) is carried to the
  // new log, the rest of that write was cut with the window, and the writer's next line is
  // joined to the piece.
  const perRotation = files.slice(1).map((numbers, i) => numbers[0]! - files[i]!.at(-1)! - 1 + missing(numbers.slice(0, PIECE_WINDOW)));
  const all = files.flat();
  t.is(missing(all), perRotation.reduce((a, b) => a + b, 0), 'no line lost except at a rotation');
  t.is(all[0], 1);
  const lost = missing(all) + (written - all.at(-1)!);
  const percent = (100 * lost) / written;
  const linesPerRotation = written / ROTATIONS;
  const median = [...perRotation].sort((a, b) => a - b)[ROTATIONS >> 1]!;
  windows.sort((a, b) => a - b);
  t.log(
    `${written} lines in ${seconds.toFixed(1)} s (${Math.round(written / seconds)} lines/s), ${ROTATIONS} rotations at 1 MiB: ` +
      `${lost} lines lost (${percent.toFixed(4)} %); per rotation: ${perRotation.join(' ')} (median ${median}); ` +
      `read-to-truncate time: median ${(windows[ROTATIONS >> 1]! / 1000).toFixed(0)} µs, max ${(windows.at(-1)! / 1000).toFixed(0)} µs`,
  );
  // A typical rotation loses (almost) nothing; one where bgrun was descheduled between
  // the last read and the truncate loses what was written meanwhile (a busy machine).
  t.true(median < linesPerRotation / 1000, `median loss ${median} lines of ${linesPerRotation} per rotation`);
  t.true(percent < 1, `${percent} % lost`);
});
