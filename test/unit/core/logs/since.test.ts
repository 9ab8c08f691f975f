import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { lineTime, logSeries, parseSince, readSince, readTailAcross } from '../../../../src/core/logs/since.js';
import { UsageError } from '../../../../src/errors.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-since-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('lineTime reads ISO 8601 times at the start of a line, bracketed or not', (t) => {
  const utc = Date.UTC(2026, 10, 24, 3, 0, 0);
  t.is(lineTime('2026-11-24T03:00:00Z started'), utc);
  t.is(lineTime('[2026-11-24T03:00:00Z] started'), utc);
  t.is(lineTime('2026-11-24T03:00:00.250Z x'), utc + 250);
  t.is(lineTime('2026-11-24 03:00:00,250 INFO python logging'), new Date(2026, 10, 24, 3, 0, 0, 250).getTime());
  t.is(lineTime('2026-11-24 04:00:00+01:00 x'), utc);
  t.is(lineTime('2026-11-24T04:00:00+0100 x'), utc);
  t.is(lineTime('2026-11-24T01:00:00-02 x'), utc);
  t.is(lineTime('2026-11-24T03:00:00.123456789Z x'), utc + 123);
  // Without a zone: local time, as `date` prints it.
  t.is(lineTime('2026-11-24 03:00:00 x'), new Date(2026, 10, 24, 3, 0, 0).getTime());
  t.is(lineTime('2026-11-24T03:00 x'), new Date(2026, 10, 24, 3, 0, 0).getTime());
  t.is(lineTime('2026-11-24T03:00:00Z'), utc);
  t.is(lineTime('  2026-11-24T03:00:00Z indented'), null);
  t.is(lineTime('GET / 200 2026-11-24T03:00:00Z'), null);
  t.is(lineTime('2026-11-24'), null);
  t.is(lineTime('2026-11-24T03:00:00Zulu'), null);
  t.is(lineTime('2026-13-45T03:00:00Z bad date'), null);
});

test('parseSince takes durations back from now, or a time', (t) => {
  const now = Date.UTC(2026, 10, 24, 12, 0, 0);
  t.is(parseSince('10m', now), now - 600_000);
  t.is(parseSince('90s', now), now - 90_000);
  t.is(parseSince('2h', now), now - 7_200_000);
  t.is(parseSince('1d', now), now - 86_400_000);
  t.is(parseSince('1h30m', now), now - 5_400_000);
  t.is(parseSince('500ms', now), now - 500);
  t.is(parseSince('2026-11-24T03:00:00Z', now), Date.UTC(2026, 10, 24, 3, 0, 0));
  t.is(parseSince('2026-11-24 03:00', now), new Date(2026, 10, 24, 3, 0, 0).getTime());
  t.is(parseSince('2026-11-24', now), new Date(2026, 10, 24).getTime());
  for (const bad of ['', '10', 'ten minutes', '10 m', '-5m', '2026-11-24T03:00:00Z and more']) {
    t.throws(() => parseSince(bad, now), { instanceOf: UsageError }, bad);
  }
  t.throws(() => parseSince('yesterday'), {
    message: "invalid --since 'yesterday': use a duration such as 30s, 10m, 2h or 1d, or a time such as 2026-11-24T03:00:00Z",
  });
});

const at = (minute: number) => `2026-11-24T03:${String(minute).padStart(2, '0')}:00Z`;
const since = (minute: number) => Date.parse(at(minute));

test('readSince keeps unstamped lines with the stamped line before them', (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, [`${at(1)} one`, '  trace of one', `[${at(5)}] five`, '  trace of five', `${at(9)} nine`, ''].join('\n'));
  t.deepEqual(readSince(file, since(5)), { lines: [`[${at(5)}] five`, '  trace of five', `${at(9)} nine`], stamped: true });
  t.deepEqual(readSince(file, since(6)).lines, [`${at(9)} nine`]);
  t.deepEqual(readSince(file, since(10)).lines, []);
  t.is(readSince(file, since(0)).lines.length, 5);
});

test('readSince: lines before the first time take the next one; no time at all says so', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  fs.writeFileSync(file, ['banner', `${at(5)} five`, ''].join('\n'));
  t.deepEqual(readSince(file, since(4)).lines, ['banner', `${at(5)} five`]);
  t.deepEqual(readSince(file, since(6)).lines, []);
  const plain = path.join(dir, 'b.out.log');
  fs.writeFileSync(plain, 'no\ntimes\n');
  t.deepEqual(readSince(plain, since(0)), { lines: [], stamped: false });
  t.deepEqual(readSince(path.join(dir, 'missing.log'), since(0)), { lines: [], stamped: false });
});

test('readSince looks into rotated copies only as far back as needed', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  fs.writeFileSync(`${file}.3`, `${at(1)} one\n`);
  fs.writeFileSync(`${file}.2`, `${at(2)} two\n  trace of two\n`);
  // A line cut by rotation continues in the next file: it still belongs to minute 3.
  fs.writeFileSync(`${file}.1`, `${at(3)} three\n`);
  fs.writeFileSync(file, `  trace of three\n${at(4)} four\n`);
  t.deepEqual(logSeries(file), [`${file}.3`, `${file}.2`, `${file}.1`, file]);
  t.deepEqual(readSince(file, since(3)).lines, [`${at(3)} three`, '  trace of three', `${at(4)} four`]);
  t.deepEqual(readSince(file, since(2)).lines, [`${at(2)} two`, '  trace of two', `${at(3)} three`, '  trace of three', `${at(4)} four`]);
  t.deepEqual(readSince(file, since(4)).lines, [`${at(4)} four`]);
});

test('readTailAcross continues into the rotated copies when the log was just rotated', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  fs.writeFileSync(`${file}.2`, 'l1\nl2\nl3\n');
  fs.writeFileSync(`${file}.1`, 'l4\nl5\n');
  fs.writeFileSync(file, 'l6\n');
  t.deepEqual(readTailAcross(file, 1), ['l6']);
  t.deepEqual(readTailAcross(file, 3), ['l4', 'l5', 'l6']);
  t.deepEqual(readTailAcross(file, 5), ['l2', 'l3', 'l4', 'l5', 'l6']);
  t.deepEqual(readTailAcross(file, 50), ['l1', 'l2', 'l3', 'l4', 'l5', 'l6']);
  fs.writeFileSync(file, '');
  t.deepEqual(readTailAcross(file, 2), ['l4', 'l5']);
  t.deepEqual(readTailAcross(file, 0), []);
});
