import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { rotateLog, rotatedFiles } from '../../../../src/core/logs/rotate.js';
import { appendTime, parseTimeIndex, readTimeIndex, timeAt, timesPath, translateIndex } from '../../../../src/core/logs/times.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-times-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${String(from + i).padStart(6, '0')}\n`).join('');

test('a line gets the time of the first entry at or after its end, else the fallback', (t) => {
  const index = parseTimeIndex('10 1000\n20 2000\n20 2100\n35 3000\n');
  t.is(index.problem, null);
  t.is(timeAt(index, 5, 9999), 1000);
  t.is(timeAt(index, 10, 9999), 1000);
  t.is(timeAt(index, 11, 9999), 2000);
  t.is(timeAt(index, 35, 9999), 3000);
  t.is(timeAt(index, 36, 9999), 9999);
  t.is(timeAt(null, 1, 42), 42);
});

test('a truncated or corrupt index keeps the entries before the problem and says what it is', (t) => {
  const cut = parseTimeIndex('10 1000\n20 20');
  t.deepEqual(cut.offsets, [10]);
  t.regex(cut.problem!, /middle of an entry/);
  const bad = parseTimeIndex('10 1000\nxx\n30 3000\n');
  t.deepEqual(bad.offsets, [10]);
  t.regex(bad.problem!, /entry 2/);
  const backwards = parseTimeIndex('10 1000\n5 2000\n');
  t.regex(backwards.problem!, /out of order/);
});

test('translateIndex moves entries with their bytes; entries in a dropped part go to the marker', (t) => {
  const index = parseTimeIndex('100 1\n600 2\n1000 3\n');
  // Bytes 0-500 dropped; 500-1000 copied at 50 (after a 50-byte marker).
  const moved = translateIndex(index, [{ from: 500, to: 1000, at: 50 }], 550, 4);
  t.deepEqual(moved.offsets, [50, 150, 550, 550]);
  t.deepEqual(moved.times, [1, 2, 3, 4]);
});

test('rotation keeps every byte below twice the limit; past it, only the newest part that fits, after one marker line', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  fs.writeFileSync(file, lines(1, 150)); // 1800 bytes: under twice 1000
  const whole = await rotateLog(file, 2, { maxBytes: 1000 });
  t.is(whole.droppedBytes, 0);
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(1, 150));
  fs.writeFileSync(file, lines(1, 1000)); // 12000 bytes
  const cut = await rotateLog(file, 2, { maxBytes: 1000 });
  const copy = fs.readFileSync(`${file}.1`, 'utf8');
  const [marker, ...rest] = copy.split('\n');
  t.regex(marker!, /^bgrun: dropped (\d+) bytes of output here at \d{4}-\d\d-\d\dT[\d:.]+Z: the program wrote faster than its log could be rotated \(--max-log-size 1000\)$/);
  t.is(Number(/dropped (\d+)/.exec(marker!)![1]), cut.droppedBytes);
  // Whole lines only, the newest ones, about the limit.
  t.is(rest.join('\n'), lines(918, 1000));
  t.is(cut.droppedBytes + cut.copiedBytes, 12000);
  t.is(fs.statSync(file).size, 0);
});

test('the index rotates with its log; compressed copies keep theirs', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  appendTime(file, 60, 1000);
  appendTime(file, 120, 2000);
  await rotateLog(file, 3, { compress: true });
  t.deepEqual(rotatedFiles(file), [`${file}.1.gz`]);
  t.is(gunzipSync(fs.readFileSync(`${file}.1.gz`)).toString(), lines(1, 10));
  t.false(fs.existsSync(`${file}.1`));
  const moved = readTimeIndex(`${file}.1`)!;
  t.deepEqual(moved.offsets, [60, 120, 120]);
  t.deepEqual(moved.times.slice(0, 2), [1000, 2000]);
  t.is(fs.readFileSync(timesPath(file), 'utf8'), '');
  // A second rotation shifts copy and index together.
  fs.writeFileSync(file, lines(11, 12));
  await rotateLog(file, 3);
  t.deepEqual(rotatedFiles(file), [`${file}.1`, `${file}.2.gz`]);
  t.true(fs.existsSync(timesPath(`${file}.2`)));
});
