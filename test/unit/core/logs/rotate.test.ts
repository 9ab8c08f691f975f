import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { flushLogs } from '../../../../src/core/logs/flush.js';
import {
  DEFAULT_MAX_LOG_FILES,
  DEFAULT_SUPERVISED_MAX_LOG_BYTES,
  logLimits,
  parseMaxLogFiles,
  parseMaxLogSize,
  recordedLogLimits,
  rotateOverLimit,
} from '../../../../src/core/logs/limits.js';
import { statePaths } from '../../../../src/core/paths.js';
import type { ProcessRecord } from '../../../../src/core/records/record.js';
import { allRotatedFiles, rotateIfOver, rotateLog, rotatedFiles } from '../../../../src/core/logs/rotate.js';
import { LogError, UsageError } from '../../../../src/errors.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-rotate-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

test('rotateLog copies the log to .1 (0600), empties it in place and reports what it copied', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, lines(1, 100), { mode: 0o600 });
  const ino = fs.statSync(file).ino;
  const result = await rotateLog(file, 3);
  t.is(result.copiedBytes, Buffer.byteLength(lines(1, 100)));
  t.true(result.windowNs >= 0);
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(1, 100));
  t.is(fs.statSync(`${file}.1`).mode & 0o777, 0o600);
  t.is(fs.statSync(file).size, 0);
  t.is(fs.statSync(file).ino, ino, 'the same file, emptied: the program keeps its descriptor');
});

test('rotateLog keeps maxFiles copies, newest in .1, oldest dropped, nothing duplicated', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  for (let round = 0; round < 5; round++) {
    fs.appendFileSync(file, lines(round * 10 + 1, round * 10 + 10));
    await rotateLog(file, 3);
  }
  fs.appendFileSync(file, lines(51, 55));
  t.deepEqual(rotatedFiles(file), [`${file}.1`, `${file}.2`, `${file}.3`]);
  t.false(fs.existsSync(`${file}.4`));
  t.is(fs.readFileSync(`${file}.3`, 'utf8'), lines(21, 30));
  t.is(fs.readFileSync(`${file}.2`, 'utf8'), lines(31, 40));
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(41, 50));
  t.is(fs.readFileSync(file, 'utf8'), lines(51, 55));
});

test('a lower count removes the copies beyond it; 0 copies only empties the log', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  for (let i = 0; i < 4; i++) {
    fs.appendFileSync(file, lines(i + 1, i + 1));
    await rotateLog(file, 5);
  }
  t.is(rotatedFiles(file).length, 4);
  fs.appendFileSync(file, lines(9, 9));
  await rotateLog(file, 2);
  t.deepEqual(allRotatedFiles(file), [`${file}.1`, `${file}.2`]);
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(9, 9));
  fs.appendFileSync(file, lines(10, 10));
  const result = await rotateLog(file, 0);
  t.is(result.copiedBytes, 0);
  t.is(fs.statSync(file).size, 0);
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(9, 9), 'copies untouched');
});

test('rotateIfOver does nothing at or under the size, and nothing for a missing log', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, 'x'.repeat(1000));
  t.is(await rotateIfOver(file, 1000, 2), null);
  t.false(fs.existsSync(`${file}.1`));
  fs.appendFileSync(file, 'y');
  t.truthy(await rotateIfOver(file, 1000, 2));
  t.is(fs.statSync(`${file}.1`).size, 1001);
  t.is(await rotateIfOver(path.join(path.dirname(file), 'missing.log'), 10, 2), null);
});

test('rotateLog refuses a planted symlink with a typed error', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'elsewhere'), 'secret\n');
  const file = path.join(dir, 'a.out.log');
  fs.symlinkSync(path.join(dir, 'elsewhere'), file);
  const error = await t.throwsAsync(rotateLog(file, 2), { instanceOf: LogError });
  t.is(error?.code, 'LOG_FAILED');
  t.regex(error?.message ?? '', /cannot rotate .*a\.out\.log: cannot open it: it is a symbolic link/);
  t.is(fs.readFileSync(path.join(dir, 'elsewhere'), 'utf8'), 'secret\n');
});

test('allRotatedFiles finds copies past a gap, in order, and not other programs’ logs', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.out.log');
  for (const name of ['a.out.log', 'a.out.log.1', 'a.out.log.3', 'a.out.log.12', 'a.out.log.x', 'a.out.log.out.log', 'b.out.log.1']) {
    fs.writeFileSync(path.join(dir, name), '');
  }
  t.deepEqual(rotatedFiles(file), [`${file}.1`]);
  t.deepEqual(allRotatedFiles(file), [`${file}.1`, `${file}.3`, `${file}.12`]);
});

test('limits: supervised programs rotate at 10M by default, plain ones never, older records read', (t) => {
  t.is(DEFAULT_SUPERVISED_MAX_LOG_BYTES, 10 * 1024 * 1024);
  t.is(DEFAULT_MAX_LOG_FILES, 5);
  // Records written before rotation existed have neither field.
  t.deepEqual(logLimits({ restart: 'always' }), { maxBytes: 10 * 1024 * 1024, maxFiles: 5 });
  t.is(logLimits({ restart: 'no' }), null);
  t.is(logLimits({ restart: 'always', maxLogBytes: null }), null);
  t.deepEqual(logLimits({ restart: 'no', maxLogBytes: 4096, maxLogFiles: 0 }), { maxBytes: 4096, maxFiles: 0 });
  t.deepEqual(recordedLogLimits(true, undefined, undefined), { maxLogBytes: 10 * 1024 * 1024, maxLogFiles: 5 });
  t.deepEqual(recordedLogLimits(false, undefined, undefined), { maxLogBytes: null, maxLogFiles: 5 });
  t.deepEqual(recordedLogLimits(true, null, 2), { maxLogBytes: null, maxLogFiles: 2 });
});

test('--max-log-size and --max-log-files are checked', (t) => {
  t.is(parseMaxLogSize('10M'), 10 * 1024 * 1024);
  t.is(parseMaxLogSize('1k'), 1024);
  t.is(parseMaxLogSize('0'), null);
  t.throws(() => parseMaxLogSize('100'), { instanceOf: UsageError, message: "invalid --max-log-size '100': use at least 1K, or 0 for no limit" });
  t.throws(() => parseMaxLogSize('ten'), { instanceOf: UsageError });
  t.is(parseMaxLogFiles('0'), 0);
  t.is(parseMaxLogFiles('7'), 7);
  t.throws(() => parseMaxLogFiles('-1'), { instanceOf: UsageError });
  t.throws(() => parseMaxLogFiles('1001'), { instanceOf: UsageError, message: "invalid --max-log-files '1001': use a whole number from 0 to 1000" });
});

function fakeRecord(home: string, name: string, extra: Partial<ProcessRecord>): ProcessRecord {
  const logs = path.join(home, 'logs');
  return {
    name,
    restart: 'no',
    outLog: path.join(logs, `${name}.out.log`),
    errLog: path.join(logs, `${name}.err.log`),
    ...extra,
  } as ProcessRecord;
}

test('rotateOverLimit rotates only the logs over their limit', async (t) => {
  const home = tempDir(t);
  fs.mkdirSync(path.join(home, 'logs'));
  const ctx = { paths: statePaths(home), env: {} };
  const big = fakeRecord(home, 'big', { maxLogBytes: 2048, maxLogFiles: 2 });
  const small = fakeRecord(home, 'small', { maxLogBytes: 2048, maxLogFiles: 2 });
  const free = fakeRecord(home, 'free', {});
  fs.writeFileSync(big.outLog, 'o'.repeat(3000));
  fs.writeFileSync(big.errLog, 'e'.repeat(100));
  fs.writeFileSync(small.outLog, 's'.repeat(2048));
  fs.writeFileSync(free.outLog, 'f'.repeat(100_000));
  const report = await rotateOverLimit(ctx, [big, small, free]);
  t.deepEqual(report.errors, []);
  t.deepEqual(report.rotated.map((r) => path.basename(r.file)), ['big.out.log']);
  t.is(fs.statSync(big.outLog).size, 0);
  t.is(fs.statSync(`${big.outLog}.1`).size, 3000);
  t.false(fs.existsSync(`${big.errLog}.1`));
  t.is(fs.statSync(small.outLog).size, 2048);
  t.is(fs.statSync(free.outLog).size, 100_000);
  t.false(fs.existsSync(`${ctx.paths.logs}.lock`), 'the log lock is released');
});

test('flushLogs empties the logs in place and removes rotated copies unless kept', async (t) => {
  const home = tempDir(t);
  fs.mkdirSync(path.join(home, 'logs'));
  const ctx = { paths: statePaths(home), env: {} };
  const record = fakeRecord(home, 'web', {});
  fs.writeFileSync(record.outLog, lines(1, 10));
  fs.writeFileSync(record.errLog, 'oops\n');
  fs.writeFileSync(`${record.outLog}.1`, lines(1, 5));
  fs.writeFileSync(`${record.outLog}.4`, lines(1, 5));
  const kept = await flushLogs(ctx, record, { out: true, keepRotated: true });
  t.deepEqual(kept.emptied, [{ file: record.outLog, bytes: Buffer.byteLength(lines(1, 10)) }]);
  t.deepEqual(kept.removed, []);
  t.is(fs.readFileSync(record.errLog, 'utf8'), 'oops\n');
  const all = await flushLogs(ctx, record);
  t.deepEqual(all.removed, [`${record.outLog}.1`, `${record.outLog}.4`]);
  t.is(all.removedBytes, 2 * Buffer.byteLength(lines(1, 5)));
  t.is(fs.statSync(record.errLog).size, 0);
  t.deepEqual(allRotatedFiles(record.outLog), []);
});

test('a copy left by an interrupted rotation is discarded, and the copies stay as they were', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(`${file}.1`, lines(1, 10));
  // A rotation killed during its copy: the partial copy never became x.log.1.
  fs.writeFileSync(`${file}.rotating`, lines(11, 13));
  fs.writeFileSync(file, lines(11, 20));
  t.deepEqual(rotatedFiles(file), [`${file}.1`]);
  await rotateLog(file, 3);
  t.false(fs.existsSync(`${file}.rotating`));
  t.is(fs.readFileSync(`${file}.2`, 'utf8'), lines(1, 10));
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(11, 20), 'nothing duplicated');
  t.is(fs.statSync(file).size, 0);
});

test('rotateOverLimit reads the records itself, and leaves a bad record where it is for the registry to report', async (t) => {
  const home = tempDir(t);
  fs.mkdirSync(path.join(home, 'logs'));
  fs.mkdirSync(path.join(home, 'records'));
  const ctx = { paths: statePaths(home), env: {} };
  const write = (record: Record<string, unknown>) =>
    fs.writeFileSync(path.join(home, 'records', `${record.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const base = { script: 'x', cwd: '/', createdAt: '', pidFile: '', status: 'running', desired: 'running', command: ['x'], pid: null, restarts: 0, env: {} };
  const limited = { ...fakeRecord(home, 'limited', {}), ...base, restart: 'no', maxLogBytes: 1024, maxLogFiles: 1 };
  const old = { ...fakeRecord(home, 'old', {}), ...base, restart: 'always' }; // before rotation existed: 10M default
  const free = { ...fakeRecord(home, 'free', {}), ...base, restart: 'no', maxLogBytes: null };
  for (const r of [limited, old, free]) {
    write(r);
    fs.writeFileSync(r.outLog, 'z'.repeat(5000));
  }
  fs.writeFileSync(path.join(home, 'records', 'broken.json'), '{ not json');
  const report = await rotateOverLimit(ctx);
  t.deepEqual(report.rotated.map((r) => path.basename(r.file)), ['limited.out.log']);
  t.true(fs.existsSync(path.join(home, 'records', 'broken.json')));
});

test('a line the program had only half written when the log rotated stays whole: the copy ends at its last newline, the piece moves to the log', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  const program = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  t.teardown(() => fs.closeSync(program));
  fs.writeSync(program, `${lines(1, 2)}line 3 first half`);
  const result = await rotateLog(file, 3);
  fs.writeSync(program, ' and second half\nline 4\n');
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), lines(1, 2), 'the copy holds whole lines only');
  t.is(fs.readFileSync(file, 'utf8'), 'line 3 first half and second half\nline 4\n');
  t.is(result.copiedBytes, Buffer.byteLength(lines(1, 2)));
});

test('a log with no newline at all is copied whole (a line longer than what was read is not carried)', async (t) => {
  const file = path.join(tempDir(t), 'a.out.log');
  fs.writeFileSync(file, 'no newline here', { mode: 0o600 });
  await rotateLog(file, 3);
  t.is(fs.readFileSync(`${file}.1`, 'utf8'), 'no newline here');
  t.is(fs.statSync(file).size, 0);
});

test('rotation drops the oldest copy before copying, so a log larger than the free space still rotates; with no room at all it is emptied with a marker', async (t) => {
  if (process.getuid?.() !== 0) {
    t.log('skipped: needs root to mount a tmpfs');
    t.pass();
    return;
  }
  const { mountTmpfs } = await import('../../../helpers/tmpfs.js');
  const dir = path.join(tempDir(t), 'disk');
  if (!mountTmpfs(t, dir, '2m')) return t.pass();
  const file = path.join(dir, 'a.out.log');
  const mib = (n: number) => `${'y'.repeat(1023)}\n`.repeat(Math.round(n * 1024));
  fs.writeFileSync(`${file}.1`, mib(0.9));
  fs.writeFileSync(file, mib(0.9));
  const rotated = await rotateLog(file, 1);
  t.is(rotated.copiedBytes, Buffer.byteLength(mib(0.9)), 'the old copy made the room');
  t.is(fs.statSync(file).size, 0);
  // A log larger than the whole disk can hold twice: no copy fits, the log is emptied and says so.
  fs.rmSync(`${file}.1`);
  fs.writeFileSync(file, mib(1.5));
  const emptied = await rotateLog(file, 1);
  t.is(emptied.droppedBytes, Buffer.byteLength(mib(1.5)));
  t.regex(fs.readFileSync(file, 'utf8'), /^bgrun: dropped \d+ bytes of output here at .*: the disk was full, so the log could not be copied before it was emptied\n$/);
  t.deepEqual(fs.readdirSync(dir).sort(), ['a.out.log'], 'no partial copy left');
});
