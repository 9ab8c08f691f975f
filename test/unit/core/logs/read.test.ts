import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { followFiles } from '../../../../src/core/logs/follow.js';
import { readLogFile, readRange, readTail } from '../../../../src/core/logs/read.js';
import { readTimeIndex, resetTimeIndex } from '../../../../src/core/logs/times.js';
import { waitFor } from '../../../helpers/bgrun.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-logs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function numbered(from: number, to: number): string[] {
  const lines: string[] = [];
  for (let i = from; i <= to; i++) lines.push(`line ${i}`);
  return lines;
}

test('readTail returns the last lines, with or without a final newline', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.log');
  fs.writeFileSync(file, 'a\nb\nc\n');
  t.deepEqual(readTail(file, 2), ['b', 'c']);
  t.deepEqual(readTail(file, 3), ['a', 'b', 'c']);
  t.deepEqual(readTail(file, 15), ['a', 'b', 'c']);
  fs.writeFileSync(file, 'a\nb\npartial');
  t.deepEqual(readTail(file, 2), ['b', 'partial']);
  t.deepEqual(readTail(file, 1), ['partial']);
});

test('readTail keeps empty lines inside the log', (t) => {
  const file = path.join(tempDir(t), 'a.log');
  fs.writeFileSync(file, 'a\n\n\nb\n');
  t.deepEqual(readTail(file, 3), ['', '', 'b']);
  t.deepEqual(readTail(file, 10), ['a', '', '', 'b']);
});

test('readTail of an empty file, a missing file or zero lines is empty', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'empty.log');
  fs.writeFileSync(file, '');
  t.deepEqual(readTail(file, 10), []);
  t.deepEqual(readTail(path.join(dir, 'missing.log'), 10), []);
  fs.writeFileSync(file, 'x\n');
  t.deepEqual(readTail(file, 0), []);
  t.deepEqual(readTail(file, -1), []);
});

test('readTail reads across chunk boundaries of a large file', (t) => {
  const file = path.join(tempDir(t), 'big.log');
  const lines = numbered(1, 50_000); // about 540 KB: several 64 KB chunks
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  t.deepEqual(readTail(file, 15), numbered(49_986, 50_000));
  t.deepEqual(readTail(file, 10_000), numbered(40_001, 50_000));
  t.deepEqual(readTail(file, 60_000), lines);
});

test('readTail keeps a long line and multi-byte characters whole across chunks', (t) => {
  const file = path.join(tempDir(t), 'wide.log');
  const long = 'é€😀'.repeat(40_000); // well over one 64 KB chunk, characters split at chunk edges
  fs.writeFileSync(file, `first\n${long}\nlast\n`);
  t.deepEqual(readTail(file, 2), [long, 'last']);
  t.deepEqual(readTail(file, 3), ['first', long, 'last']);
});

test('readTail of a folder throws instead of returning nothing', (t) => {
  const dir = tempDir(t);
  t.throws(() => readTail(dir, 5));
});

async function follow(t: ExecutionContext, files: string[]) {
  const controller = new AbortController();
  const seen: { file: string; text: string }[] = [];
  const done = followFiles(files, {
    signal: controller.signal,
    intervalMs: 10,
    onData: (file, chunk) => seen.push({ file, text: chunk.toString('utf8') }),
  });
  t.teardown(() => controller.abort());
  const text = (file?: string) =>
    seen
      .filter((s) => file === undefined || s.file === file)
      .map((s) => s.text)
      .join('');
  return { controller, done, seen, text };
}

test('followFiles prints only what is appended after it starts', async (t) => {
  const file = path.join(tempDir(t), 'f.log');
  fs.writeFileSync(file, 'old 1\nold 2\n');
  const f = await follow(t, [file]);
  fs.appendFileSync(file, 'new 1\n');
  await waitFor(() => f.text().includes('new 1\n'), { what: 'first appended line' });
  fs.appendFileSync(file, 'new 2\n');
  await waitFor(() => f.text().includes('new 2\n'), { what: 'second appended line' });
  t.is(f.text(), 'new 1\nnew 2\n');
  f.controller.abort();
  await f.done;
});

test('followFiles starts over after truncation and after the file is replaced', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'f.log');
  fs.writeFileSync(file, 'a long first line that makes the file bigger than what comes after\n');
  const f = await follow(t, [file]);
  fs.truncateSync(file, 0);
  fs.appendFileSync(file, 'after truncate\n');
  await waitFor(() => f.text().includes('after truncate\n'), { what: 'line after truncation' });
  // Rotation: the old file is moved away and a new one created at the path.
  fs.renameSync(file, path.join(dir, 'f.log.1'));
  fs.writeFileSync(file, 'rotated\n');
  await waitFor(() => f.text().includes('rotated\n'), { what: 'line of the new file' });
  t.is(f.text(), 'after truncate\nrotated\n');
  f.controller.abort();
  await f.done;
});

test('followFiles picks up a file that does not exist yet, and follows several files', async (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, 'out.log');
  const err = path.join(dir, 'err.log');
  fs.writeFileSync(out, 'before\n');
  const f = await follow(t, [out, err]);
  fs.writeFileSync(err, 'err 1\n');
  fs.appendFileSync(out, 'out 1\n');
  await waitFor(() => f.text(err).includes('err 1\n') && f.text(out).includes('out 1\n'), { what: 'lines of both files' });
  t.is(f.text(out), 'out 1\n');
  t.is(f.text(err), 'err 1\n');
  f.controller.abort();
  await f.done;
});

test('followFiles resolves once aborted, without reading further', async (t) => {
  const file = path.join(tempDir(t), 'f.log');
  fs.writeFileSync(file, '');
  const f = await follow(t, [file]);
  f.controller.abort();
  await f.done; // times the test out if it never resolves
  fs.appendFileSync(file, 'late\n');
  t.is(f.text(), '');
});

test('no reader goes through a link in place of a log: the tail is refused by name, ranges and whole reads find nothing', (t) => {
  const dir = tempDir(t);
  const other = path.join(dir, 'other');
  fs.writeFileSync(other, 'not a log\n');
  const file = path.join(dir, 'a.log');
  fs.symlinkSync(other, file);
  const error = t.throws(() => readTail(file, 5));
  t.is((error as Error & { code?: string }).code, 'LOG_IS_LINK');
  t.is(error?.message, `cannot read the log ${file}: it is a symbolic link, which bgrun does not follow; replace the link with the log file itself`);
  t.is(readRange(file, 0, 100).length, 0);
  t.is(readLogFile(file).length, 0);
  // A folder above that is a link is not the log's own path: read as usual.
  const real = path.join(dir, 'real');
  fs.mkdirSync(real);
  fs.writeFileSync(path.join(real, 'b.log'), 'b\n');
  fs.symlinkSync(real, path.join(dir, 'via'));
  t.deepEqual(readTail(path.join(dir, 'via', 'b.log'), 5), ['b']);
});

test('a time index that is a link is not read, and resetting it never empties what it points to', (t) => {
  const dir = tempDir(t);
  const other = path.join(dir, 'other');
  fs.writeFileSync(other, '10 1000\n');
  const log = path.join(dir, 'a.log');
  fs.writeFileSync(log, 'a\n');
  fs.symlinkSync(other, `${log}.times`);
  t.deepEqual(readTimeIndex(log), { offsets: [], times: [], problem: 'it is a symbolic link', linked: true });
  resetTimeIndex(log);
  t.is(fs.readFileSync(other, 'utf8'), '10 1000\n');
});
