import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { type Context, createContext } from '../../../../src/core/context.js';
import { newRecord, prepareStart } from '../../../../src/core/lifecycle/start.js';
import { ensureState, recordFile } from '../../../../src/core/paths.js';
import type { ProcessRecord } from '../../../../src/core/records/record.js';
import { readFileNoFollow, readRecord, readRecords, withLock, writeFileAtomic, writeRecord } from '../../../../src/core/records/registry.js';
import { CorruptRecordError } from '../../../../src/errors.js';
import { ROOT, fixture, sandbox, sweepAll } from '../../../helpers/bgrun.js';

test.after.always(sweepAll);

function setup(t: ExecutionContext): Context {
  const ctx = createContext({ home: sandbox(t).home, env: { PATH: process.env.PATH } });
  ensureState(ctx.paths);
  return ctx;
}

function record(ctx: Context, name: string): ProcessRecord {
  const options = { script: fixture('ticker.js'), name };
  return newRecord(ctx, options, prepareStart(ctx, options), name);
}

test('writeFileAtomic replaces a file whole, private to the user, and leaves no temporary file', (t) => {
  const ctx = setup(t);
  const file = path.join(ctx.paths.home, 'x.json');
  writeFileAtomic(file, 'first\n');
  writeFileAtomic(file, 'second\n');
  t.is(fs.readFileSync(file, 'utf8'), 'second\n');
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  t.deepEqual(fs.readdirSync(ctx.paths.home).filter((f) => f.endsWith('.tmp')), []);
});

test('a record is written and read back; the list is sorted by name', (t) => {
  const ctx = setup(t);
  for (const name of ['web-2', 'web', 'api']) writeRecord(ctx.paths, record(ctx, name));
  t.is(readRecord(ctx.paths, 'web')?.name, 'web');
  t.is(readRecord(ctx.paths, 'absent'), null);
  const { records, corrupt } = readRecords(ctx.paths);
  t.deepEqual(records.map((r) => r.name), ['api', 'web', 'web-2']);
  t.deepEqual(corrupt, []);
});

test('a corrupt record is quarantined and named, and the others are still listed', (t) => {
  const ctx = setup(t);
  writeRecord(ctx.paths, record(ctx, 'good'));
  fs.writeFileSync(recordFile(ctx.paths, 'broken'), '{"name": "broken", ');
  fs.writeFileSync(recordFile(ctx.paths, 'other'), JSON.stringify(record(ctx, 'good')));
  fs.symlinkSync(recordFile(ctx.paths, 'good'), recordFile(ctx.paths, 'linked'));

  // A reader that reports nothing leaves them in place.
  const quiet = readRecords(ctx.paths, { quarantine: false });
  t.deepEqual(quiet.records.map((r) => r.name), ['good']);
  t.deepEqual(quiet.corrupt.map((e) => [e.appName, e.movedTo]), [['broken', null], ['linked', null], ['other', null]]);
  t.true(fs.existsSync(recordFile(ctx.paths, 'broken')));

  const { records, corrupt } = readRecords(ctx.paths);
  t.deepEqual(records.map((r) => r.name), ['good']);
  t.deepEqual(corrupt.map((e) => e.appName), ['broken', 'linked', 'other']);
  t.regex(corrupt[0]!.message, /^the record of 'broken' is unreadable \(invalid JSON: .*\); moved it to .*quarantine\/broken\.\d+\.json$/);
  t.regex(corrupt[1]!.message, /\(it is a symbolic link\)/);
  t.regex(corrupt[2]!.message, /\(it names 'good'\)/);
  for (const e of corrupt) t.true(fs.existsSync(e.movedTo!), e.appName);
  t.deepEqual(fs.readdirSync(ctx.paths.records).sort(), ['good.json']);
  t.is(fs.readFileSync(corrupt[0]!.movedTo!, 'utf8'), '{"name": "broken", ');

  fs.writeFileSync(recordFile(ctx.paths, 'single'), '[]');
  t.throws(() => readRecord(ctx.paths, 'single'), { instanceOf: CorruptRecordError, message: /^the record of 'single' is unreadable \(not a JSON object\)/ });
  t.false(fs.existsSync(recordFile(ctx.paths, 'single')));
});

test('a temporary file of a writer that was killed is removed; a live writer’s is left alone', (t) => {
  const ctx = setup(t);
  const dead = spawn(process.execPath, ['-e', '0']);
  const deadPid = dead.pid!;
  return new Promise<void>((resolve) => dead.once('exit', () => resolve())).then(() => {
    const abandoned = `${recordFile(ctx.paths, 'a')}.${deadPid}.1.tmp`;
    const live = `${recordFile(ctx.paths, 'b')}.${process.pid}.999.tmp`;
    fs.writeFileSync(abandoned, '{');
    fs.writeFileSync(live, '{');
    t.deepEqual(readRecords(ctx.paths).records, []);
    t.false(fs.existsSync(abandoned));
    t.true(fs.existsSync(live));
  });
});

test('the lock: holders run one at a time; an old lock folder without an owner is taken over', async (t) => {
  const ctx = setup(t);
  const events: string[] = [];
  const hold = (who: string) =>
    withLock(ctx.paths, async () => {
      events.push(`${who} in`);
      await new Promise((r) => setTimeout(r, 100));
      events.push(`${who} out`);
    });
  await Promise.all([hold('a'), hold('b'), hold('c')]);
  for (let i = 0; i < events.length; i += 2) t.is(events[i]!.replace(' in', ' out'), events[i + 1]!, events.join(', '));

  // What an older bgrun (proper-lockfile) killed while holding the lock leaves: an empty folder, no longer refreshed.
  fs.mkdirSync(`${ctx.paths.lock}.lock`);
  const old = new Date(Date.now() - 10_000);
  fs.utimesSync(`${ctx.paths.lock}.lock`, old, old);
  t.is(await withLock(ctx.paths, () => 'taken over'), 'taken over');
});

/** A writer process: n times, under the lock, reads the counter and writes it back plus one (with padding, so a torn write would show). */
const WRITER = `
import { readFileNoFollow, withLock, writeFileAtomic } from ${JSON.stringify(path.join(ROOT, 'dist/core/records/registry.js'))};
import { statePaths } from ${JSON.stringify(path.join(ROOT, 'dist/core/paths.js'))};
const [home, file, n] = process.argv.slice(1);
const paths = statePaths(home);
for (let i = 0; i < Number(n); i++) {
  await withLock(paths, () => {
    const { count } = JSON.parse(readFileNoFollow(file));
    writeFileAtomic(file, JSON.stringify({ count: count + 1, pad: 'x'.repeat(100_000) }));
  });
}
`;

test('concurrent writers in several processes lose no update, and readers never see half a file', async (t) => {
  const ctx = setup(t);
  const file = path.join(ctx.paths.home, 'counter.json');
  writeFileAtomic(file, JSON.stringify({ count: 0 }));
  const writers = [1, 2, 3].map(
    () =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, ctx.paths.home, file, '40'], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.once('exit', (code) => resolve(code));
      }),
  );
  let done = false;
  let reads = 0;
  const reader = (async () => {
    while (!done) {
      const value = JSON.parse(readFileNoFollow(file)) as { count: number };
      t.true(Number.isInteger(value.count));
      reads++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  t.deepEqual(await Promise.all(writers), [0, 0, 0]);
  done = true;
  await reader;
  t.is((JSON.parse(fs.readFileSync(file, 'utf8')) as { count: number }).count, 120);
  t.true(reads > 0);
  t.deepEqual(fs.readdirSync(ctx.paths.home).filter((f) => f.endsWith('.tmp')), []);
});
