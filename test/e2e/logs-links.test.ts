import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { BIN, fixture, isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

/**
 * Links planted in place of a log (issue 18): `logs` never prints what a link points to,
 * in the state folder or at a path the user chose. O_NOFOLLOW concerns the last part of a
 * path only, so a log inside a linked folder is still read (tested at the end).
 */

const SECRET = 'SECRET CONTENT OF ANOTHER FILE';

/** A file outside the logs, which a link will point to. */
function secretFile(box: ReturnType<typeof sandbox>): string {
  const file = path.join(box.dir, 'other.txt');
  fs.writeFileSync(file, `${SECRET} 1\n${SECRET} 2\n`);
  return file;
}

/** Moves the log aside and puts a link to `target` in its place. */
function replaceWithLink(log: string, target: string): void {
  fs.renameSync(log, `${log}.moved`);
  fs.symlinkSync(target, log);
}

const refusal = (file: string) => `bgrun: cannot read the log ${file}: it is a symbolic link, which bgrun does not follow; replace the link with the log file itself`;

async function startLines(t: ExecutionContext, box: ReturnType<typeof sandbox>, name: string, extra: string[] = []) {
  const info = await startJson(t, box, ['--name', name, ...extra, fixture('lines.js'), '5']);
  await waitForMatch(info.outLog, /^done$/m, 'all lines written');
  return info;
}

test('logs refuses a main log replaced by a link, in one line naming it; -t, --since and the other stream too', async (t) => {
  const box = sandbox(t);
  const info = await startLines(t, box, 'sl');
  replaceWithLink(info.outLog, secretFile(box));
  for (const args of [['sl'], ['sl', '--out'], ['sl', '-t'], ['sl', '--since', '1h'], ['sl', '-n', '100', '--out', '-t', '--since', '1h']]) {
    const result = await box.run(['logs', ...args]);
    t.is(result.exitCode, 1, `logs ${args.join(' ')}`);
    t.is(firstLine(result.stderr), refusal(info.outLog), `logs ${args.join(' ')}`);
    // Refused before anything is printed: not even the stderr log that is fine.
    t.is(result.stdout, '', `logs ${args.join(' ')}`);
  }
  // The stream that is no link is still read alone.
  const err = await box.run(['logs', 'sl', '--err']);
  t.is(err.exitCode, 0, err.stderr);
  t.is(err.stdout, ['err 1', 'err 2', 'err 3', 'err 4', 'err 5'].join('\n'));
});

test('rotated copies and the time index that are links are never read through', async (t) => {
  const box = sandbox(t);
  const info = await startLines(t, box, 'copies', ['--log-time']);
  const secret = secretFile(box);
  fs.symlinkSync(secret, `${info.errLog}.1`);
  // An index whose entries would date every line to 1970 if it were believed.
  const fakeIndex = path.join(box.dir, 'index');
  fs.writeFileSync(fakeIndex, '1000000 1000\n');
  await waitFor(() => fs.existsSync(`${info.outLog}.times`), { timeout: LONG, what: 'the index of stdout' });
  fs.rmSync(`${info.outLog}.times`);
  fs.symlinkSync(fakeIndex, `${info.outLog}.times`);

  const tail = await box.run(['logs', 'copies', '--err', '-n', '100']);
  t.is(tail.exitCode, 0, tail.stderr);
  t.is(tail.stdout, ['err 1', 'err 2', 'err 3', 'err 4', 'err 5'].join('\n'));
  const since = await box.run(['logs', 'copies', '--err', '--since', '1h']);
  t.notRegex(since.stdout, /SECRET/);

  const timed = await box.run(['logs', 'copies', '--out', '-t']);
  t.is(timed.exitCode, 0, timed.stderr);
  t.notRegex(timed.stdout, /1970-/, 'the linked index was not believed');
  t.regex(timed.stdout, /Z out 5\n/);
  t.is(
    timed.stderr,
    `bgrun: the time index ${info.outLog}.times is a symbolic link, which bgrun does not follow; its log's lines show the file's last change (an upper bound); remove the link`,
  );
  t.is(fs.readFileSync(fakeIndex, 'utf8'), '1000000 1000\n', 'the link’s target is left alone');

  // flush empties an index in place: never the file a link points to.
  const flushed = await box.run(['flush', 'copies']);
  t.is(flushed.exitCode, 0, flushed.stderr);
  t.is(fs.readFileSync(fakeIndex, 'utf8'), '1000000 1000\n', 'flush did not empty the link’s target');
  t.is(fs.readFileSync(secret, 'utf8').includes(SECRET), true);
});

test('logs all skips a log that is a link, with a note, and prints the others', async (t) => {
  const box = sandbox(t);
  const linked = await startLines(t, box, 'linked');
  await startLines(t, box, 'fine');
  replaceWithLink(linked.outLog, secretFile(box));
  const result = await box.run(['logs', 'all', '--out']);
  t.is(result.exitCode, 0, result.stderr);
  t.notRegex(result.stdout, /SECRET/);
  t.deepEqual(
    result.stdout.split('\n').filter((l) => l.startsWith('fine')),
    ['fine   | out 1', 'fine   | out 2', 'fine   | out 3', 'fine   | out 4', 'fine   | out 5', 'fine   | done'],
  );
  t.is(
    result.stderr,
    `bgrun: skipped the log ${linked.outLog}: it is a symbolic link, which bgrun does not follow; replace the link with the log file itself`,
  );
  const timed = await box.run(['logs', 'linked', 'fine', '-t', '--since', '1h']);
  t.is(timed.exitCode, 0, timed.stderr);
  t.notRegex(timed.stdout, /SECRET/);
  t.regex(timed.stderr, /^bgrun: skipped the log \S+linked\.out\.log: it is a symbolic link/m);
});

test('logs -f: a log replaced by a link while followed is not read through; it says so once and goes on when the file is back', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'ticker', fixture('ticker.js')]);
  await waitForMatch(info.outLog, /^tick \d+ 3$/m);
  const follower = execa(process.execPath, [BIN, 'logs', 'ticker', '--out', '-f', '-n', '1'], { env: box.env, reject: false, stdin: 'ignore', buffer: false });
  let out = '';
  let err = '';
  follower.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  follower.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  t.teardown(() => {
    if (follower.pid !== undefined && isAlive(follower.pid)) process.kill(follower.pid, 'SIGKILL');
  });
  await waitFor(() => /tick \d+ \d+\n/.test(out), { timeout: LONG, what: 'the first tick' });
  const secret = secretFile(box);
  // Longer than anything read so far: a follower that opened the link would print it.
  fs.appendFileSync(secret, `${'x'.repeat(64 * 1024)}\n${SECRET} 3\n`);
  replaceWithLink(info.outLog, secret);
  await waitFor(() => err.includes('\n'), { timeout: LONG, what: 'the note' });
  t.is(err, `bgrun: ${info.outLog} is now a symbolic link, which bgrun does not follow; its output is not printed until the log file itself is back in its place\n`);
  // The ticker still writes to the moved file; the follower stays silent, and says it once.
  const moved = `${info.outLog}.moved`;
  const seen = readText(moved).length;
  await waitFor(() => readText(moved).length > seen + 200, { timeout: LONG, what: 'more ticks in the moved log' });
  await waitFor(() => readText(moved).length > seen + 400, { timeout: LONG, what: 'more ticks in the moved log' });
  t.notRegex(out, /SECRET|xxxx/);
  t.is(err.split('\n').length, 2, 'said once');
  // Back in its place: followed again.
  fs.rmSync(info.outLog);
  fs.renameSync(moved, info.outLog);
  const size = fs.statSync(info.outLog).size;
  await waitFor(() => fs.statSync(info.outLog).size > size + 100 && out.split('\n').length > 20, { timeout: LONG, what: 'ticks after the file is back' });
  t.notRegex(out, /SECRET|xxxx/);
  process.kill(follower.pid!, 'SIGTERM');
  t.is((await follower).exitCode, 0);
});

test('a log path the user chose: a link is refused at start, and logs does not read one planted later; a linked folder above is fine', async (t) => {
  const box = sandbox(t);
  const secret = secretFile(box);
  const chosen = path.join(box.dir, 'chosen.log');
  fs.symlinkSync(secret, chosen);
  const refused = await box.run(['start', '--name', 'lnk', '--out-log', chosen, fixture('lines.js'), '5']);
  t.is(refused.exitCode, 1);
  t.is(
    firstLine(refused.stderr),
    `bgrun: cannot write the log file ${chosen}: it is a symbolic link, which bgrun does not follow there; give the path of the file itself`,
  );
  t.false(fs.existsSync(path.join(box.home, 'records', 'lnk.json')), 'nothing recorded');

  // A folder that is a link: only the last part of a path is a link that matters.
  const real = path.join(box.dir, 'real');
  fs.mkdirSync(real);
  fs.symlinkSync(real, path.join(box.dir, 'via'));
  const outLog = path.join(box.dir, 'via', 'out.log');
  const info = await startLines(t, box, 'mine', ['--out-log', outLog]);
  t.is(info.outLog, outLog);
  const read = await box.run(['logs', 'mine', '--out']);
  t.is(read.exitCode, 0, read.stderr);
  t.is(read.stdout, ['out 1', 'out 2', 'out 3', 'out 4', 'out 5', 'done'].join('\n'));

  replaceWithLink(outLog, secret);
  const later = await box.run(['logs', 'mine', '--out']);
  t.is(later.exitCode, 1);
  t.is(firstLine(later.stderr), refusal(outLog));
  t.is(later.stdout, '');
});
