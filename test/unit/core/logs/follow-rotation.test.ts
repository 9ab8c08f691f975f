import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { followFiles } from '../../../../src/core/logs/follow.js';
import { rotateLog } from '../../../../src/core/logs/rotate.js';
import { waitFor } from '../../../helpers/bgrun.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-follow-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

function follow(t: ExecutionContext, file: string, intervalMs: number) {
  const controller = new AbortController();
  let text = '';
  const done = followFiles([file], {
    signal: controller.signal,
    intervalMs,
    onData: (from, chunk) => {
      t.is(from, file, 'pieces of rotated copies are reported under the log followed');
      text += chunk.toString('utf8');
    },
  });
  t.teardown(() => controller.abort());
  return {
    text: () => text,
    async end() {
      controller.abort();
      await done;
    },
  };
}

test('a copy-then-truncate rotation loses nothing the follower had not read yet', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const f = follow(t, file, 20);
  fs.appendFileSync(file, lines(11, 20));
  await rotateLog(file, 3); // lines 11-20 are now only in a.out.log.1
  fs.appendFileSync(file, lines(21, 25));
  await waitFor(() => f.text().includes('line 25\n'), { what: 'line 25' });
  t.is(f.text(), lines(11, 25));
  await f.end();
});

test('several rotations between two reads: the rest of the older copy, the newer copies whole, then the log', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const f = follow(t, file, 20);
  fs.appendFileSync(file, lines(11, 12));
  await waitFor(() => f.text().includes('line 12\n'), { what: 'line 12' });
  const slow = follow(t, file, 1500); // reads once now, then not for 1.5 s
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(13, 20));
  await rotateLog(file, 5);
  fs.appendFileSync(file, lines(21, 30));
  await rotateLog(file, 5);
  fs.appendFileSync(file, lines(31, 35));
  await waitFor(() => slow.text().includes('line 35\n'), { what: 'line 35 by the slow follower' });
  t.is(slow.text(), lines(13, 35));
  await waitFor(() => f.text().includes('line 35\n'), { what: 'line 35' });
  t.is(f.text(), lines(11, 35));
  await slow.end();
  await f.end();
});

test('a truncated log that grew back past the read position before the next read is still recognised', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, '');
  const f = follow(t, file, 20);
  fs.appendFileSync(file, lines(1, 5));
  await waitFor(() => f.text().includes('line 5\n'), { what: 'line 5' });
  const slow = follow(t, file, 1500);
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(6, 8));
  await rotateLog(file, 2);
  fs.appendFileSync(file, lines(9, 60)); // longer than what the slow follower had read
  await waitFor(() => slow.text().includes('line 60\n'), { what: 'line 60' });
  t.is(slow.text(), lines(6, 60));
  await slow.end();
  await f.end();
});

test('a rename rotation (logrotate without copytruncate) is followed through the renamed file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const f = follow(t, file, 500);
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(11, 20));
  fs.renameSync(file, `${file}.1`);
  fs.writeFileSync(file, lines(21, 22));
  await waitFor(() => f.text().includes('line 22\n'), { what: 'line 22' });
  t.is(f.text(), lines(11, 22));
  await f.end();
});

test('a flush (truncation with no copy) starts over at the beginning', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const f = follow(t, file, 20);
  fs.appendFileSync(file, lines(11, 12));
  await waitFor(() => f.text().includes('line 12\n'), { what: 'line 12' });
  fs.truncateSync(file, 0);
  fs.appendFileSync(file, 'after flush\n');
  await waitFor(() => f.text().includes('after flush\n'), { what: 'line after the flush' });
  t.is(f.text(), `${lines(11, 12)}after flush\n`);
  await f.end();
});

test('a follower that had read nothing (an empty log, then stopped or slow) still prints the whole rotated copy', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, '');
  // An older copy that was there before: not printed again.
  fs.writeFileSync(`${file}.1`, 'old copy\n');
  const slow = follow(t, file, 1500); // reads once now (nothing), then not for 1.5 s
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(1, 200));
  await rotateLog(file, 5); // lines 1-200 are now only in a.out.log.1; the log is empty
  await waitFor(() => slow.text().includes('line 200\n'), { what: 'line 200', timeout: 10_000 });
  fs.appendFileSync(file, lines(201, 202));
  await waitFor(() => slow.text().includes('line 202\n'), { what: 'line 202', timeout: 10_000 });
  t.is(slow.text(), lines(1, 202));
  await slow.end();
});

test('a follower that had read nothing while two rotations happened prints both copies in order', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, '');
  const slow = follow(t, file, 1500);
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(1, 50));
  await rotateLog(file, 5);
  fs.appendFileSync(file, lines(51, 100));
  await rotateLog(file, 5);
  fs.appendFileSync(file, lines(101, 110));
  await waitFor(() => slow.text().includes('line 110\n'), { what: 'line 110', timeout: 10_000 });
  t.is(slow.text(), lines(1, 110));
  await slow.end();
});

test('a copy that starts with a drop marker: the follower prints the marker and the rest of the copy (issue 12)', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const slow = follow(t, file, 1500); // has read lines 1-10, then looks again only in 1.5 s
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(11, 3000)); // far past twice the limit
  const result = await rotateLog(file, 3, { maxBytes: 4096 });
  t.true(result.droppedBytes > 0);
  const copy = fs.readFileSync(`${file}.1`, 'utf8');
  t.regex(copy, /^bgrun: dropped \d+ bytes of output here at /);
  fs.appendFileSync(file, lines(3001, 3005));
  await waitFor(() => slow.text().includes('line 3005\n'), { what: 'line 3005', timeout: 10_000 });
  t.is(slow.text(), copy + lines(3001, 3005));
  await slow.end();
});

test('a copy that starts with a drop marker, then a newer copy: both printed, the marker where it stands', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const slow = follow(t, file, 1500);
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(11, 3000));
  await rotateLog(file, 3, { maxBytes: 4096 });
  const first = fs.readFileSync(`${file}.1`, 'utf8');
  fs.appendFileSync(file, lines(3001, 3010));
  await rotateLog(file, 3, { maxBytes: 4096 });
  fs.appendFileSync(file, lines(3011, 3012));
  await waitFor(() => slow.text().includes('line 3012\n'), { what: 'line 3012', timeout: 10_000 });
  t.is(slow.text(), first + lines(3001, 3012));
  await slow.end();
});

test('a follower that fell behind a rotation whose copy is compressed reads the rest from the .gz (issue 12)', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  const slow = follow(t, file, 1500);
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(file, lines(11, 20));
  await rotateLog(file, 5, { compress: true });
  t.true(fs.existsSync(`${file}.1.gz`));
  fs.appendFileSync(file, lines(21, 30));
  await rotateLog(file, 5, { compress: true });
  fs.appendFileSync(file, lines(31, 35));
  await waitFor(() => slow.text().includes('line 35\n'), { what: 'line 35', timeout: 10_000 });
  t.is(slow.text(), lines(11, 35));
  await slow.end();
});

test('an unfinished line carried over by a rotation is printed once by a follower that had read its beginning (issue 12)', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, '');
  const f = follow(t, file, 20);
  fs.appendFileSync(file, `${lines(1, 10)}half of line`);
  await waitFor(() => f.text().endsWith('half of line'), { what: 'the unfinished line' });
  await rotateLog(file, 3); // the copy ends at line 10; "half of line" moves to the emptied log
  t.is(fs.readFileSync(file, 'utf8'), 'half of line');
  fs.appendFileSync(file, ' 11\n');
  await waitFor(() => f.text().includes(' 11\n'), { what: 'the rest of line 11' });
  t.is(f.text(), `${lines(1, 10)}half of line 11\n`);
  await f.end();
});

test('a carried unfinished line is printed once across several rotations a slow follower missed', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, '');
  const f = follow(t, file, 20);
  fs.appendFileSync(file, `${lines(1, 3)}abc`);
  await waitFor(() => f.text().endsWith('abc'), { what: 'the unfinished line' });
  const slow = follow(t, file, 1500);
  await new Promise((r) => setTimeout(r, 100));
  await rotateLog(file, 5); // "abc" carried over
  fs.appendFileSync(file, `def\n${lines(4, 5)}gh`);
  await rotateLog(file, 5); // "gh" carried over
  fs.appendFileSync(file, 'i\n');
  const expected = `${lines(1, 3)}abcdef\n${lines(4, 5)}ghi\n`;
  await waitFor(() => slow.text().endsWith('ghi\n'), { what: 'line ghi by the slow follower', timeout: 10_000 });
  t.is(slow.text(), 'def\n' + lines(4, 5) + 'ghi\n');
  await waitFor(() => f.text().endsWith('ghi\n'), { what: 'line ghi' });
  t.is(f.text(), expected);
  await slow.end();
  await f.end();
});

test('a follower slower than the copies kept says that output was removed before it could be printed, then goes on', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 10));
  await rotateLog(file, 2); // a copy the follower sees when it starts
  fs.writeFileSync(file, lines(11, 20), { flag: 'a' });
  const controller = new AbortController();
  let text = '';
  const notes: string[] = [];
  const done = followFiles([file], {
    signal: controller.signal,
    intervalMs: 1500,
    onData: (_f, chunk) => {
      text += chunk.toString('utf8');
    },
    onMissed: (_f, message) => notes.push(message),
  });
  t.teardown(() => controller.abort());
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 4; i++) {
    fs.appendFileSync(file, lines(21 + i * 10, 30 + i * 10));
    await rotateLog(file, 2); // three rotations more than the two copies kept
  }
  fs.appendFileSync(file, lines(61, 62));
  await waitFor(() => text.includes('line 62\n'), { what: 'line 62', timeout: 10_000 });
  t.is(text, lines(41, 62));
  t.is(notes.length, 1);
  t.regex(notes[0]!, /rotated faster than it was followed; the output written before .*a\.out\.log\.2 was removed/);
  controller.abort();
  await done;
});
