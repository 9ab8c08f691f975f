import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { DEFAULT_LINES, capLines, selectLines, timeIndexed } from '../../../../src/core/logs/select.js';
import { appendTime, timesPath } from '../../../../src/core/logs/times.js';

function tempLog(t: ExecutionContext, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-select-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'app.out.log');
  fs.writeFileSync(file, text);
  return file;
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 3, minute)).toISOString();

test('capLines: the last 15 by default, the last N with --lines', (t) => {
  t.is(DEFAULT_LINES, 15);
  t.deepEqual(capLines(numbers(20), {}), numbers(20).slice(5));
  t.deepEqual(capLines(numbers(20), { lines: 3 }), [18, 19, 20]);
  t.deepEqual(capLines(numbers(2), { lines: 3 }), [1, 2]);
  t.deepEqual(capLines(numbers(20), { lines: 0 }), []);
});

test('capLines: with --since every line, fewer only when --lines is given', (t) => {
  t.deepEqual(capLines(numbers(40), { since: 1 }), numbers(40));
  t.deepEqual(capLines(numbers(40), { since: 1, lines: 2 }), [39, 40]);
  t.deepEqual(capLines(numbers(40), { since: 1, lines: 0 }), []);
  t.deepEqual(capLines(numbers(40), { since: null }), numbers(40).slice(25));
});

test('selectLines: the tail, across a copy rotated just now, up to a given end', (t) => {
  const file = tempLog(t, 'l6\nl7\n');
  fs.writeFileSync(`${file}.1`, 'l1\nl2\nl3\nl4\nl5\n');
  t.deepEqual(selectLines(file, { lines: 4 }), { lines: ['l4', 'l5', 'l6', 'l7'], notes: [] });
  t.deepEqual(selectLines(file, {}).lines, ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7']);
  // As of 3 bytes ('l6\n'): a line written after that is not part of the tail.
  t.deepEqual(selectLines(file, { lines: 1, end: 3 }).lines, ['l6']);
});

test('selectLines --since by the lines own times, capped by --lines', (t) => {
  const file = tempLog(t, `${at(1)} one\n${at(2)} two\n  two continued\n${at(3)} three\n`);
  const since = Date.parse(at(2));
  t.deepEqual(selectLines(file, { since }), { lines: [`${at(2)} two`, '  two continued', `${at(3)} three`], notes: [] });
  t.deepEqual(selectLines(file, { since, lines: 1 }).lines, [`${at(3)} three`]);
});

test('selectLines --since on a log without times selects nothing and says why', (t) => {
  const file = tempLog(t, 'no time\nhere either\n');
  const found = selectLines(file, { since: Date.parse(at(0)) });
  t.deepEqual(found.lines, []);
  t.is(found.notes.length, 1);
  t.regex(found.notes[0]!, /^no line of .*app\.out\.log starts with a time, so --since cannot select any; start the program with --log-time/);
  // An empty log: nothing to say.
  t.deepEqual(selectLines(tempLog(t, ''), { since: 0 }), { lines: [], notes: [] });
});

test('selectLines --since by bgrun time index when the log has one', (t) => {
  const file = tempLog(t, 'old\nnew\n');
  appendTime(file, 4, Date.parse(at(1)));
  appendTime(file, 8, Date.parse(at(5)));
  t.true(timeIndexed({}, file));
  t.false(timeIndexed({}, `${file}.other`));
  t.true(timeIndexed({ logTime: true }, `${file}.other`));
  t.deepEqual(selectLines(file, { since: Date.parse(at(3)), indexed: true }), { lines: ['new'], notes: [] });
  t.deepEqual(selectLines(file, { since: Date.parse(at(0)), indexed: true, lines: 1 }).lines, ['new']);
  t.deepEqual(selectLines(file, { since: Date.parse(at(0)), indexed: true }).lines, ['old', 'new']);
  t.true(fs.existsSync(timesPath(file)));
});
