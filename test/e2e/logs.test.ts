import fs from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { BIN, fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

function range(prefix: string, from: number, to: number): string[] {
  const lines: string[] = [];
  for (let i = from; i <= to; i++) lines.push(`${prefix} ${i}`);
  return lines;
}

async function startLines(t: ExecutionContext, box: ReturnType<typeof sandbox>, count = 40) {
  const info = await startJson(t, box, ['--name', 'chatty', fixture('lines.js'), String(count)]);
  await waitForMatch(info.outLog, /^done$/m, 'all lines written');
  return info;
}

test('logs prints the last 15 lines of stdout, then of stderr, each under its file name', async (t) => {
  const box = sandbox(t);
  const info = await startLines(t, box);
  const result = await box.run(['logs', 'chatty']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(result.stdout.split('\n'), [
    `==> ${info.outLog} <==`,
    ...range('out', 27, 40),
    'done',
    `==> ${info.errLog} <==`,
    ...range('err', 26, 40),
  ]);
});

test('--lines N and -n N choose how many lines; by pid works too', async (t) => {
  const box = sandbox(t);
  const info = await startLines(t, box);
  const three = await box.run(['logs', 'chatty', '--lines', '3']);
  t.is(three.exitCode, 0, three.stderr);
  t.deepEqual(three.stdout.split('\n'), [`==> ${info.outLog} <==`, 'out 39', 'out 40', 'done', `==> ${info.errLog} <==`, 'err 38', 'err 39', 'err 40']);
  const byPid = await box.run(['logs', String(info.pid), '-n', '3']);
  t.is(byPid.stdout, three.stdout);
  const many = await box.run(['logs', 'chatty', '--lines=100', '--err']);
  t.deepEqual(many.stdout.split('\n'), range('err', 1, 40));
  const none = await box.run(['logs', 'chatty', '-n', '0']);
  t.deepEqual(none.stdout.split('\n'), [`==> ${info.outLog} <==`, `==> ${info.errLog} <==`]);
});

test('--out and --err print one log only, without a header', async (t) => {
  const box = sandbox(t);
  await startLines(t, box);
  const out = await box.run(['logs', 'chatty', '--out', '-n', '2']);
  t.is(out.exitCode, 0, out.stderr);
  t.deepEqual(out.stdout.split('\n'), ['out 40', 'done']);
  const err = await box.run(['logs', 'chatty', '--err', '-n', '2']);
  t.is(err.exitCode, 0, err.stderr);
  t.deepEqual(err.stdout.split('\n'), ['err 39', 'err 40']);
});

test('bad logs input is refused with a usage error', async (t) => {
  const box = sandbox(t);
  await startLines(t, box, 1);
  const one = /^bgrun: logs needs a program, several, or all: bgrun logs <pid\|name\|all>\.\.\. /;
  const cases: [string[], number, string | RegExp][] = [
    [['logs', 'chatty', '--out', '--err'], 2, 'bgrun: --out and --err exclude each other; give neither for both'],
    [['logs', 'chatty', '--lines', 'many'], 2, "bgrun: invalid --lines 'many': use a whole number"],
    [['logs', 'chatty', '--lines', '-3'], 2, "bgrun: invalid --lines '-3': use a whole number"],
    [['logs'], 2, one],
    [['logs', 'nope'], 1, "bgrun: no process named 'nope'; see 'bgrun list'"],
  ];
  for (const [args, code, line] of cases) {
    const result = await box.run(args);
    t.is(result.exitCode, code, args.join(' '));
    if (typeof line === 'string') t.is(firstLine(result.stderr), line, args.join(' '));
    else t.regex(firstLine(result.stderr), line, args.join(' '));
  }
});

test('logs of a program that has ended still work', async (t) => {
  const box = sandbox(t);
  const failed = await box.run(['start', '--name', 'gone', '--wait', '10s', fixture('exit.js'), '2', 'first problem', 'last problem']);
  t.is(failed.exitCode, 1);
  const result = await box.run(['logs', 'gone', '--err']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(result.stdout.split('\n'), ['first problem', 'last problem']);
});

/** Runs `bgrun logs <args> -f` and collects what it prints; killed by its pid at teardown. */
function follow(t: ExecutionContext, box: ReturnType<typeof sandbox>, args: string[]) {
  const follower = execa(process.execPath, [BIN, 'logs', ...args, '-f'], { env: box.env, stdin: 'ignore', reject: false, buffer: false });
  let output = '';
  follower.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  t.teardown(() => {
    if (follower.pid !== undefined && isAlive(follower.pid)) process.kill(follower.pid, 'SIGKILL');
  });
  return { follower, output: () => output };
}

test('--follow prints the last lines, then new lines as the program writes them', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'ticker', fixture('ticker.js')]);
  await waitForMatch(info.outLog, /^tick \d+ 3$/m);
  const f = follow(t, box, ['ticker', '--out', '-n', '1']);
  // The tail first (one line), then the ticks written since.
  const first = Number((await waitFor(() => /^tick \d+ (\d+)$/m.exec(f.output()), { timeout: LONG, what: 'first line' }))[1]);
  await waitFor(() => f.output().includes(`tick ${info.pid} ${first + 6}\n`), { timeout: LONG, what: 'new ticks' });
  const ticks = [...f.output().matchAll(/^tick \d+ (\d+)$/gm)].map((m) => Number(m[1]));
  t.is(ticks[0], first);
  // Every line exactly once and in order, across the tail/follow boundary too:
  // following starts where the tail ended.
  t.deepEqual(
    ticks.slice(0, 6),
    [0, 1, 2, 3, 4, 5].map((i) => first + i),
  );
  t.true(isAlive(f.follower.pid!));
  process.kill(f.follower.pid!, 'SIGTERM');
  const ended = await f.follower;
  t.is(ended.exitCode, 0, 'a follower ends cleanly on SIGTERM');
  t.false(isAlive(f.follower.pid!));
});

test('--follow keeps printing after the log is truncated', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'quiet', fixture('ready.js')]);
  await waitForMatch(info.outLog, /^ready \d+/m);
  const f = follow(t, box, ['quiet', '--out']);
  await waitFor(() => f.output().includes(`ready ${info.pid}`), { timeout: LONG, what: 'the tail' });
  fs.appendFileSync(info.outLog, 'appended 1\n');
  await waitFor(() => f.output().includes('appended 1\n'), { timeout: LONG, what: 'an appended line' });
  fs.truncateSync(info.outLog, 0);
  fs.appendFileSync(info.outLog, 'after 1\n');
  await waitFor(() => f.output().includes('after 1\n'), { timeout: LONG, what: 'a line after truncation' });
  fs.appendFileSync(info.outLog, 'after 2\n');
  await waitFor(() => f.output().includes('after 2\n'), { timeout: LONG, what: 'the next line' });
  t.regex(f.output(), /appended 1\nafter 1\nafter 2\n$/);
  process.kill(f.follower.pid!, 'SIGTERM');
  t.is((await f.follower).exitCode, 0);
});

test('--follow of both logs marks which file new lines come from', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'both', fixture('ready.js')]);
  await waitForMatch(info.outLog, /^ready \d+/m);
  const f = follow(t, box, ['both', '-n', '0']);
  await waitFor(() => f.output().includes(`==> ${info.errLog} <==\n`), { timeout: LONG, what: 'the headers' });
  fs.appendFileSync(info.outLog, 'to stdout\n');
  await waitFor(() => f.output().includes('to stdout\n'), { timeout: LONG, what: 'the stdout line' });
  fs.appendFileSync(info.errLog, 'to stderr\n');
  await waitFor(() => f.output().includes('to stderr\n'), { timeout: LONG, what: 'the stderr line' });
  t.is(
    f.output(),
    `==> ${info.outLog} <==\n==> ${info.errLog} <==\n\n==> ${info.outLog} <==\nto stdout\n\n==> ${info.errLog} <==\nto stderr\n`,
  );
  process.kill(f.follower.pid!, 'SIGTERM');
  t.is((await f.follower).exitCode, 0);
});
