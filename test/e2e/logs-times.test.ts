import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BIN, fixture, isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$/;

function parseTimed(stdout: string): { time: number; text: string }[] {
  return stdout
    .split('\n')
    .filter((l) => ISO.test(l))
    .map((l) => {
      const m = ISO.exec(l)!;
      return { time: Date.parse(m[1]!), text: m[2]! };
    });
}

test('logs -t: two lines printed 2 s apart are shown about 2 s apart, each within a second of when it was written', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'ticks', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '1500,2000' } });
  await waitFor(() => readText(info.outLog).includes('tick 2 at'), { timeout: LONG, what: 'the second line' });
  // The keeper observes the growth within ~100 ms; let it.
  await waitFor(() => fs.readFileSync(`${info.outLog}.times`, 'utf8').trim().split('\n').length >= 2, { timeout: LONG, what: 'two index entries' });
  const result = await box.run(['logs', 'ticks', '-t', '--out']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stderr, '');
  const lines = parseTimed(result.stdout);
  t.is(lines.length, 2, result.stdout);
  for (const line of lines) {
    const written = Number(/ at (\d+)$/.exec(line.text)![1]);
    const late = line.time - written;
    t.log(`${line.text}: shown ${late} ms after it was written`);
    // Never earlier than the truth; within a second of it.
    t.true(late >= -5 && late < 1000, `${late} ms`);
  }
  const apart = lines[1]!.time - lines[0]!.time;
  t.true(Math.abs(apart - 2000) < 500, `${apart} ms apart`);
  t.is(box.record('ticks').logTime, true);
  t.regex((await box.run(['show', 'ticks'])).stdout, /log times +recorded \(logs -t\)/);
});

test('logs -t of a --log-time program whose stderr log is empty: no note about a missing index (an empty log needs none)', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'quiet', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '100' } });
  await waitFor(() => readText(info.outLog).includes('tick 1 at'), { timeout: LONG, what: 'the line' });
  await waitFor(() => fs.existsSync(`${info.outLog}.times`), { timeout: LONG, what: 'the index of stdout' });
  t.is(fs.statSync(info.errLog).size, 0);
  for (const args of [['quiet', '-t'], ['quiet', '-t', '--err'], ['all', '-t']]) {
    const result = await box.run(['logs', ...args]);
    t.is(result.exitCode, 0, result.stderr);
    t.is(result.stderr, '', `logs ${args.join(' ')}`);
  }
  const both = await box.run(['logs', 'quiet', '-t']);
  t.regex(both.stdout, /^==> \S+quiet\.out\.log <==\n\S+Z tick 1 at \d+\n==> \S+quiet\.err\.log <==$/);
});

test('logs --since selects by the recorded times, for a program that prints none', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'late', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '200,3000' } });
  await waitFor(() => readText(info.outLog).includes('tick 2 at'), { timeout: LONG, what: 'the second line' });
  const second = Number(/tick 2 at (\d+)/.exec(readText(info.outLog))![1]);
  // A time between the two lines (3 s apart): only the second is since then.
  await waitFor(() => fs.readFileSync(`${info.outLog}.times`, 'utf8').trim().split('\n').length >= 2, { timeout: LONG, what: 'two index entries' });
  const recent = await box.run(['logs', 'late', '--out', '--since', new Date(second - 1000).toISOString()]);
  t.is(recent.exitCode, 0, recent.stderr);
  t.regex(recent.stdout, /^tick 2 at \d+$/);
  t.is(recent.stderr, '');
  const both = await box.run(['logs', 'late', '--out', '--since', '1m']);
  t.deepEqual(both.stdout.split('\n').map((l) => l.replace(/ at \d+$/, '')), ['tick 1', 'tick 2']);
});

test('a corrupt time index: logs -t falls back to coarser times and says so once', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'bad', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '100,100' } });
  await waitFor(() => readText(info.outLog).includes('tick 2 at'), { timeout: LONG, what: 'the lines' });
  await box.run(['stop', 'bad']);
  fs.writeFileSync(`${info.outLog}.times`, 'garbage\n12 34');
  const result = await box.run(['logs', 'bad', '-t', '--out']);
  t.is(result.exitCode, 0, result.stderr);
  const lines = parseTimed(result.stdout);
  t.is(lines.length, 2);
  const mtime = fs.statSync(info.outLog).mtimeMs;
  for (const line of lines) t.true(line.time >= mtime && line.time - mtime < 20, 'the file’s last change');
  const notes = result.stderr.split('\n').filter(Boolean);
  t.is(notes.length, 1, result.stderr);
  t.regex(notes[0]!, /^bgrun: the time index of \S+bad\.out\.log is damaged \(entry 1 is not "<offset> <time>"\); its later lines show coarser times \(upper bounds\)$/);
});

test('with the keeper killed, lines of the gap get later (coarser) times, never earlier ones, and none is lost', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'gap', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '300,1200,300,300' } });
  const supervisor = JSON.parse(fs.readFileSync(path.join(box.home, 'supervisor.json'), 'utf8')).pid as number;
  await waitFor(() => readText(info.outLog).includes('tick 1 at'), { timeout: LONG, what: 'the first line' });
  process.kill(supervisor, 'SIGKILL');
  await waitFor(() => readText(info.outLog).includes('tick 4 at'), { timeout: LONG, what: 'the lines of the gap' });
  t.true(isAlive(info.pid), 'the program does not depend on the keeper');
  const result = await box.run(['logs', 'gap', '-t', '--out']);
  const lines = parseTimed(result.stdout);
  t.is(lines.length, 4, result.stdout);
  for (const line of lines) t.true(line.time >= Number(/ at (\d+)$/.exec(line.text)![1]) - 5, `${line.text} shown at ${line.time}`);
});

test('logs all: every program, prefixed and aligned, in time order; -f picks up a program started later', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'a', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '100,4000' } });
  await startJson(t, box, ['--name', 'longer', '--log-time', fixture('timed-lines.js')], { env: { DELAYS: '700' } });
  await waitFor(() => readText(path.join(box.home, 'logs', 'a.out.log')).includes('tick 2'), { timeout: LONG, what: 'a tick 2' });
  await new Promise((r) => setTimeout(r, 300));
  const result = await box.run(['logs', 'all', '--out']);
  t.is(result.exitCode, 0, result.stderr);
  const printed = result.stdout.split('\n');
  t.deepEqual(printed.map((l) => l.replace(/ at \d+$/, '')).sort(), ['a      | tick 1', 'a      | tick 2', 'longer | tick 1']);
  const written = printed.map((l) => Number(/ at (\d+)$/.exec(l)![1]));
  t.deepEqual(written, [...written].sort((x, y) => x - y), 'in the order they were written');
  const named = await box.run(['logs', 'longer', 'a', '-n', '1', '--out']);
  const last = named.stdout.split('\n');
  t.deepEqual(last.map((l) => l.replace(/ at \d+$/, '')).sort(), ['a      | tick 2', 'longer | tick 1']);
  t.deepEqual(last, [...last].sort((x, y) => Number(/ at (\d+)$/.exec(x)![1]) - Number(/ at (\d+)$/.exec(y)![1])));
  t.notRegex(named.stdout, /\x1b\[/, 'no colour when piped');

  const follower = execa(process.execPath, [BIN, 'logs', 'all', '-f', '--out', '-n', '0'], { env: box.env, reject: false, stdin: 'ignore', buffer: false });
  let text = '';
  follower.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  t.teardown(() => {
    if (follower.pid !== undefined && isAlive(follower.pid)) process.kill(follower.pid, 'SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 700));
  await startJson(t, box, ['--name', 'newcomer', fixture('timed-lines.js')], { env: { DELAYS: '200' } });
  await waitFor(() => /newcomer \| tick 1 at \d+\n/.test(text), { timeout: LONG, what: 'the later program in the follow' });
  process.kill(follower.pid!, 'SIGTERM');
  t.is((await follower).exitCode, 0);
});
