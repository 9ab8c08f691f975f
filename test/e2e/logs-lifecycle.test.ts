import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { rotatedFiles } from '../../src/core/logs/rotate.js';
import { flush, logs } from '../../src/index.js';
import { BIN, fixture, isAlive, readText, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const NUMBERED = fixture('numbered.js');

function numbersOf(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:\S+ )?line (\d+) /.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

function outLog(box: Sandbox, name: string): string {
  return path.join(box.home, 'logs', `${name}.out.log`);
}

/**
 * After a stop the log keeper may still be rotating (or about to rotate) a log past its limit:
 * reading the files before it is done races with it. The program no longer writes, so once the
 * log is within its limit and no rotation holds the lock or its temporary copy, nothing changes.
 */
async function keeperIdle(box: Sandbox, log: string, maxBytes: number): Promise<void> {
  const idle = () =>
    fs.statSync(log).size <= maxBytes && !fs.existsSync(`${log}.rotating`) && !fs.existsSync(path.join(box.home, 'logs.lock'));
  await waitFor(idle, { what: 'the log keeper done with the stopped program', timeout: 20_000, interval: 100 });
}

test('logs --follow keeps following across rotations and loses nothing that reached the file', async (t) => {
  const box = sandbox(t);
  // 32k at about 10 KB/s: a rotation every few seconds. A keeper that lags by more than the time the
  // log takes to reach twice its limit (3 s here) drops the oldest excess, with a marker (the documented
  // loss of a writer that outruns rotation): with 4k it lagged that much on a loaded machine.
  const started = await box.run(['start', '--restart', 'always', '--name', 'f', '--max-log-size', '32k', '--max-log-files', '5', NUMBERED], {
    env: { BATCH: '1', INTERVAL: '5' },
  });
  t.is(started.exitCode, 0, started.stderr);
  const follower = execa(process.execPath, [BIN, 'logs', 'f', '--follow', '--out', '--lines', '0'], {
    env: box.env,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  let text = '';
  follower.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  t.teardown(() => {
    if (follower.pid !== undefined && isAlive(follower.pid)) process.kill(follower.pid, 'SIGKILL');
  });
  const supervisorLog = path.join(box.home, 'supervisor.log');
  const rotations = () => (readText(supervisorLog).match(/rotated \S+\/f\.out\.log /g) ?? []).length;
  await waitFor(() => numbersOf(text).length > 0, { what: 'the follower printing', timeout: 20_000 });
  const before = rotations();
  await waitFor(() => rotations() >= before + 3, { what: 'three rotations while following', timeout: 60_000, interval: 100 });
  const stopped = await box.run(['stop', 'f']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  await keeperIdle(box, outLog(box, 'f'), 32 * 1024);
  const last = numbersOf([...rotatedFiles(outLog(box, 'f')).reverse(), outLog(box, 'f')].map((f) => readText(f)).join('')).at(-1)!;
  await waitFor(() => numbersOf(text).at(-1) === last, { what: `the follower reaching line ${last}`, timeout: 10_000 });
  process.kill(follower.pid!, 'SIGTERM');
  const ended = await follower;
  t.is(ended.exitCode, 0);

  const seen = numbersOf(text);
  let gaps = 0;
  for (let i = 1; i < seen.length; i++) {
    t.true(seen[i]! > seen[i - 1]!, `line ${seen[i]} printed after line ${seen[i - 1]}: duplicated or out of order`);
    gaps += seen[i]! - seen[i - 1]! - 1;
  }
  // Whatever the files still hold from the follow's start on was printed: the
  // follower read the rest of each rotated copy before starting over.
  const printed = new Set(seen);
  const kept = [...rotatedFiles(outLog(box, 'f')), outLog(box, 'f')].flatMap((f) => numbersOf(readText(f)));
  t.deepEqual(kept.filter((n) => n >= seen[0]! && !printed.has(n)), []);
  t.log(`followed ${seen.length} lines across ${rotations() - before} rotations, ${gaps} missing`);
  t.false(/dropped/.test(readText(supervisorLog)), 'no output dropped by a lagging keeper');
  t.true(gaps <= 2, `${gaps} lines missing across ${rotations() - before} rotations (only the rotation window can lose any)`);
  t.true(text.split('\n').every((line) => line === '' || /^line \d+ x+$/.test(line)), 'no headers, no torn lines');
});

test('logs --since selects by the times at the start of lines, and says when there are none', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'st', fixture('stamped.js')], { env: { OFFSETS: '-7200,-1800,-300,-60,0' } });
  t.is(started.exitCode, 0, started.stderr);
  await waitFor(() => readText(outLog(box, 'st')).includes('continued 0'), { what: 'the stamped lines' });
  const tenMinutes = await box.run(['logs', 'st', '--since', '10m', '--out']);
  t.is(tenMinutes.exitCode, 0, tenMinutes.stderr);
  t.is(tenMinutes.stderr, '');
  const lines = tenMinutes.stdout.split('\n');
  t.is(lines.length, 6);
  t.regex(lines[0]!, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] at -300$/);
  t.is(lines[1], '  continued -300');
  t.regex(lines[2]!, /^\d{4}-\d\d-\d\d [\d:.]+\+00:00 at -60$/);
  t.is(lines[3], '  continued -60');
  t.regex(lines[4]!, /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] at 0$/);
  t.is(lines[5], '  continued 0');
  // The banner before the first time counts with that time: 2 h ago is within 3 h.
  const threeHours = await box.run(['logs', 'st', '--since', '3h', '--out']);
  t.is(threeHours.stdout.split('\n')[0], 'banner without a time');
  t.is(threeHours.stdout.split('\n').length, 11);
  t.is((await box.run(['logs', 'st', '--since', '1h', '--out'])).stdout.split('\n').length, 8);
  // --lines still caps what --since selects.
  t.is((await box.run(['logs', 'st', '--since', '1h', '--out', '-n', '2'])).stdout, lines.slice(4).join('\n'));
  // The stderr log has no times: nothing is printed from it, and the reason is given.
  const both = await box.run(['logs', 'st', '--since', '10m']);
  t.is(both.exitCode, 0);
  t.true(both.stdout.includes('  continued -60'));
  t.false(both.stdout.includes('no times here'));
  t.is(
    both.stderr,
    `bgrun: no line of ${path.join(box.home, 'logs', 'st.err.log')} starts with a time, so --since cannot select any; start the program with --log-time for bgrun to record when each line is written, or have it print ISO 8601 times (2026-11-24T03:00:00Z) at the start of its lines`,
  );
  const bad = await box.run(['logs', 'st', '--since', 'yesterday']);
  t.is(bad.exitCode, 2);
  t.is(bad.stderr, "bgrun: invalid --since 'yesterday': use a duration such as 30s, 10m, 2h or 1d, or a time such as 2026-11-24T03:00:00Z");
  await box.run(['stop', 'st']);
});

test('logs --since and logs -n read on into the rotated copies', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'rot', '--max-log-size', '4k', '--max-log-files', '10', NUMBERED], {
    env: { STAMP: '1', BATCH: '10', INTERVAL: '10' },
  });
  t.is(started.exitCode, 0, started.stderr);
  const log = outLog(box, 'rot');
  await waitFor(
    async () => {
      await box.run(['list']);
      return rotatedFiles(log).length >= 2;
    },
    { what: 'two rotated copies', timeout: 45_000, interval: 200 },
  );
  await box.run(['stop', 'rot']);
  await keeperIdle(box, log, 4 * 1024);
  const all = [...rotatedFiles(log).reverse(), log].map((f) => readText(f)).join('');
  const since = await box.run(['logs', 'rot', '--since', '1h', '--out']);
  t.is(since.exitCode, 0, since.stderr);
  t.is(`${since.stdout}\n`, all);
  const expected = all.trimEnd().split('\n');
  const tail = await box.run(['logs', 'rot', '-n', '150', '--out']);
  t.deepEqual(tail.stdout.split('\n'), expected.slice(-150));
  // Just rotated: the log itself is empty, the last lines are in .1.
  fs.truncateSync(log, 0);
  const justRotated = await box.run(['logs', 'rot', '-n', '3', '--out']);
  t.deepEqual(justRotated.stdout.split('\n'), readText(`${log}.1`).trimEnd().split('\n').slice(-3));
});

test('flush empties the logs of a running program in place and removes the rotated copies', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'fl', '--max-log-size', '4k', '--max-log-files', '3', NUMBERED], {
    env: { BATCH: '5', INTERVAL: '10' },
  });
  t.is(started.exitCode, 0, started.stderr);
  const log = outLog(box, 'fl');
  await waitFor(
    async () => {
      await box.run(['list']);
      return rotatedFiles(log).length >= 2;
    },
    { what: 'two rotated copies', timeout: 45_000, interval: 200 },
  );
  const before = Math.max(...numbersOf(readText(log)));
  const flushed = await box.run(['flush', 'fl']);
  t.is(flushed.exitCode, 0, flushed.stderr);
  t.regex(flushed.stdout, /^flushed fl: emptied 2 logs \([\d.]+ [KMG]?B\), removed [23] rotated copies \([\d.]+ [KMG]?B\)$/);
  // The supervisor's log keeper keeps rotating the running program (4k fills in a fraction of a
  // second): any copy there now holds only lines written after the flush.
  for (const copy of rotatedFiles(log)) t.true(numbersOf(readText(copy))[0]! > before, `${copy} holds lines from before the flush`);
  // The program keeps writing through its descriptor, from the start of the emptied file.
  await waitFor(() => numbersOf(readText(log)).length >= 3, { what: 'new lines after the flush' });
  const head = fs.readFileSync(log).subarray(0, 5).toString('latin1');
  t.is(head, 'line ', 'no hole of zeros before the new lines');
  t.is(box.record('fl').status, 'running');

  // Stopped, so that no rotation by the log keeper replaces the copy planted next.
  t.is((await box.run(['stop', 'fl'])).exitCode, 0);
  fs.writeFileSync(`${log}.1`, 'kept\n');
  const kept = await box.run(['flush', 'fl', '--out', '--keep-rotated', '--json']);
  t.is(kept.exitCode, 0, kept.stderr);
  const [result] = JSON.parse(kept.stdout);
  t.is(result.name, 'fl');
  t.deepEqual(result.emptied.map((e: { file: string }) => e.file), [log]);
  t.deepEqual(result.removed, []);
  t.is(readText(`${log}.1`), 'kept\n');

  const all = await box.run(['flush', 'all']);
  t.is(all.exitCode, 0, all.stderr);
  t.false(fs.existsSync(`${log}.1`));
  const unknown = await box.run(['flush', 'nope']);
  t.is(unknown.exitCode, 1);
  t.is(unknown.stderr, "bgrun: no process named 'nope'; see 'bgrun list'");
  const none = await box.run(['flush']);
  t.is(none.exitCode, 2);
  t.is(none.stderr, 'bgrun: missing target: bgrun flush <pid|name|all>... [--out | --err] [--keep-rotated] [--json]');
  t.regex((await box.run(['--help'])).stdout, /\n {2}flush +empty programs' logs, rotated copies included\n/);
  await box.run(['stop', 'fl']);
});

test('the library: logs() with since, and flush()', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--name', 'lib', fixture('stamped.js')]);
  t.is(started.exitCode, 0, started.stderr);
  await waitFor(() => readText(outLog(box, 'lib')).includes('continued 0'), { what: 'the stamped lines' });
  const recent = await logs('lib', { home: box.home, since: '10m' });
  t.is(recent.out.length, 6);
  t.deepEqual(recent.err, []);
  t.deepEqual((await logs('lib', { home: box.home, since: new Date(Date.now() - 90_000), lines: 1 })).out, ['  continued 0']);
  t.deepEqual((await logs('lib', { home: box.home, lines: 1 })).err, ['no times here']);
  const [result] = await flush('lib', { home: box.home, err: true });
  t.deepEqual(result!.emptied, [{ file: path.join(box.home, 'logs', 'lib.err.log'), bytes: 'no times here\n'.length }]);
  t.deepEqual((await logs('lib', { home: box.home })).err, []);
  await box.run(['stop', 'lib']);
});
