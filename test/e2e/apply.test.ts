import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { fixture, isAlive, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const TICKER = fixture('ticker.js');

/** A sandbox with its bgrun.config.json, and a writer of that file's apps. */
function withConfig(t: ExecutionContext) {
  const box = sandbox(t);
  const file = path.join(box.dir, 'bgrun.config.json');
  const write = (apps: unknown[]) => fs.writeFileSync(file, JSON.stringify({ apps }));
  return { box, write };
}

function pidsOf(box: ReturnType<typeof sandbox>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const f of fs.readdirSync(path.join(box.home, 'records')).sort()) {
    if (!f.endsWith('.json')) continue;
    const r = JSON.parse(fs.readFileSync(path.join(box.home, 'records', f), 'utf8'));
    out[r.name] = r.status === 'running' ? r.pid : null;
  }
  return out;
}

test('apply starts, reloads, scales, removes and leaves alone apps (pids compared); --dry-run changes nothing', async (t) => {
  const { box, write } = withConfig(t);
  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, instances: 2, env: { V: '1' } },
    { name: 'c', script: TICKER },
  ]);
  const first = await box.run(['apply'], { cwd: box.dir });
  t.is(first.exitCode, 0, first.stderr);
  const p1 = pidsOf(box);
  t.deepEqual(Object.keys(p1), ['a', 'b.0', 'b.1', 'c']);
  t.true(Object.values(p1).every((pid) => pid !== null));

  // Again with no edit: nothing moves.
  const same = await box.run(['apply'], { cwd: box.dir });
  t.is(same.exitCode, 0, same.stderr);
  t.deepEqual(pidsOf(box), p1);
  t.regex(same.stdout, /^a unchanged \(a \d+\)\nb unchanged \(b\.0 \d+, b\.1 \d+\)\nc unchanged \(c \d+\)$/);

  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, instances: 2, env: { V: '2' } },
    { name: 'd', script: TICKER, dependsOn: ['a'] },
  ]);
  const plan = await box.run(['apply', '--dry-run'], { cwd: box.dir });
  t.is(plan.exitCode, 0, plan.stderr);
  t.deepEqual(plan.stdout.trim().split('\n'), ['- remove c (no longer in bgrun.config.json)', '= leave a', '~ reload b (env changed)', '+ start d (new)']);
  t.deepEqual(pidsOf(box), p1, 'the dry run changed nothing');

  const applied = await box.run(['apply'], { cwd: box.dir });
  t.is(applied.exitCode, 0, applied.stderr);
  const p2 = pidsOf(box);
  t.deepEqual(Object.keys(p2), ['a', 'b.0', 'b.1', 'd']);
  t.is(p2.a, p1.a, 'a left alone');
  t.not(p2['b.0'], p1['b.0']);
  t.not(p2['b.1'], p1['b.1']);
  t.false(isAlive(p1.c!), 'c stopped');
  t.true(p2.d !== null);
  t.deepEqual(box.record('b.0').envVars, { V: '2' });
  t.regex(applied.stdout, /^removed c \(no longer in bgrun\.config\.json\)\na unchanged/);

  // Only the count changes: a scale; the running copies stay.
  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, instances: 3, env: { V: '2' } },
    { name: 'd', script: TICKER, dependsOn: ['a'] },
  ]);
  const scaled = await box.run(['apply'], { cwd: box.dir });
  t.is(scaled.exitCode, 0, scaled.stderr);
  const p3 = pidsOf(box);
  t.is(p3['b.0'], p2['b.0']);
  t.is(p3['b.1'], p2['b.1']);
  t.true(p3['b.2'] !== null);
  t.regex(scaled.stdout, /\nscaled b \(2 -> 3 copies\): b\.0 \d+, b\.1 \d+, b\.2 \d+\n/);

  // pm2's verbs are aliases.
  const alias = await box.run(['startOrReload', 'bgrun.config.json'], { cwd: box.dir });
  t.is(alias.exitCode, 0, alias.stderr);
  t.deepEqual(pidsOf(box), p3);
});

test('apply: an invalid file changes nothing and the error names the key; a name of another project is refused first', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'bgrun.config.json');
  fs.writeFileSync(file, JSON.stringify({ apps: [{ name: 'a', script: TICKER }, { name: 'b', script: TICKER }] }));
  t.is((await box.run(['apply'], { cwd: box.dir })).exitCode, 0);
  const before = pidsOf(box);
  fs.writeFileSync(file, JSON.stringify({ apps: [{ name: 'a', script: TICKER, restart: 'sometimes' }] }));
  const bad = await box.run(['apply'], { cwd: box.dir });
  t.is(bad.exitCode, 1);
  t.regex(bad.stderr.trim(), /^bgrun: bgrun\.config\.json: apps\[0\]\.restart: expected "no", "on-failure" or "always", got "sometimes"$/);
  t.deepEqual(pidsOf(box), before, 'b was not removed, a not reloaded');

  // A program named 'x' started on the command line elsewhere: apply will not take it over.
  t.is((await box.run(['start', '--name', 'x', fixture('ready.js')])).exitCode, 0);
  fs.writeFileSync(file, JSON.stringify({ apps: [{ name: 'a', script: TICKER, env: { NEW: '1' } }, { name: 'x', script: TICKER }] }));
  const clash = await box.run(['apply'], { cwd: box.dir });
  t.is(clash.exitCode, 1);
  t.regex(clash.stderr, /^bgrun: cannot start 'x' of .*bgrun\.config\.json: that name belongs to another program/);
  const after = pidsOf(box);
  t.is(after.a, before.a, 'nothing touched');
  t.is(after.b, before.b);

  const none = await box.run(['apply'], { cwd: path.join(box.dir, '..') });
  t.is(none.exitCode, 2);
});

/** Every record file's text: a refused apply rewrites none of them. */
function recordFiles(box: ReturnType<typeof sandbox>): Record<string, string> {
  const dir = path.join(box.home, 'records');
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
  );
}

test('apply: an app that a start would refuse (cluster for a shell script, a missing script) is caught before the first change', async (t) => {
  const { box, write } = withConfig(t);
  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, env: { V: '1' } },
    { name: 'gone', script: TICKER },
  ]);
  t.is((await box.run(['apply'], { cwd: box.dir })).exitCode, 0);
  const before = pidsOf(box);
  const records = recordFiles(box);
  fs.writeFileSync(path.join(box.dir, 's.sh'), 'sleep 60\n');

  // a unchanged, b changed (a reload), gone removed, c bad: nothing of it may happen.
  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, env: { V: '2' } },
    { name: 'c', script: 's.sh', instances: 2, execMode: 'cluster' },
  ]);
  const cluster = await box.run(['apply'], { cwd: box.dir });
  t.is(cluster.exitCode, 1);
  t.is(cluster.stdout, '');
  t.regex(cluster.stderr.trim(), /^bgrun: cannot apply bgrun\.config\.json: 'c' would not start: cluster mode runs Node programs only .*; use --instances without --cluster.*; nothing was changed$/);
  t.deepEqual(pidsOf(box), before, 'b not reloaded, gone not removed');
  t.deepEqual(recordFiles(box), records);

  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, env: { V: '2' } },
    { name: 'c', script: 'nope.js' },
  ]);
  const missing = await box.run(['apply'], { cwd: box.dir });
  t.is(missing.exitCode, 1);
  t.regex(missing.stderr.trim(), /^bgrun: cannot apply bgrun\.config\.json: 'c' would not start: no such file or command: .*nope\.js; check the path .*; nothing was changed$/);
  t.deepEqual(pidsOf(box), before);
  t.deepEqual(recordFiles(box), records);

  // The dry run says so too, as the plan cannot be carried out.
  const dry = await box.run(['apply', '--dry-run'], { cwd: box.dir });
  t.is(dry.exitCode, 1);
  t.regex(dry.stderr, /^bgrun: cannot apply bgrun\.config\.json: 'c' would not start: no such file/);
});

test('apply: stopped copies of an app that becomes one program are replaced, not refused midway', async (t) => {
  const { box, write } = withConfig(t);
  write([
    { name: 'a', script: TICKER },
    { name: 'b', script: TICKER, instances: 2 },
  ]);
  t.is((await box.run(['apply'], { cwd: box.dir })).exitCode, 0);
  t.is((await box.run(['stop', 'b'])).exitCode, 0);
  write([
    { name: 'a', script: TICKER, env: { V: '2' } },
    { name: 'b', script: TICKER },
  ]);
  const plan = await box.run(['apply', '--dry-run'], { cwd: box.dir });
  t.deepEqual(plan.stdout.trim().split('\n'), ['~ reload a (env changed)', '~ replace b (copies become one program)']);
  const applied = await box.run(['apply'], { cwd: box.dir });
  t.is(applied.exitCode, 0, applied.stderr);
  t.deepEqual(Object.keys(pidsOf(box)), ['a', 'b']);
  t.true(pidsOf(box).b !== null);
});
