import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

/** Four programs: a and e run, b was stopped on purpose, c finished (exit 0), d runs but will fail to restart. */
async function fleet(box: Sandbox) {
  const d = path.join(box.dir, 'd.js');
  fs.copyFileSync(fixture('ticker.js'), d);
  const ok = (args: string[]) => box.run(['start', '--wait', '0', ...args]).then((r) => (r.exitCode === 0 ? r : Promise.reject(new Error(r.stderr))));
  await ok(['--name', 'a', fixture('ticker.js')]);
  await ok(['--name', 'b', fixture('ticker.js')]);
  const c = await box.run(['start', '--name', 'c', '--wait', '10s', fixture('exit.js'), '0']);
  if (c.exitCode !== 0) throw new Error(c.stderr);
  await ok(['--name', 'd', d]);
  await ok(['--name', 'e', fixture('ticker.js')]);
  const stopped = await box.run(['stop', 'b']);
  if (stopped.exitCode !== 0) throw new Error(stopped.stderr);
  // d's script now fails at once, so its restart fails.
  fs.writeFileSync(d, "process.stderr.write('Error: d is broken\\n'); process.exit(2);\n");
}

test('restart all restarts what is meant to run, goes on past a failure, reports every outcome and exits 1', async (t) => {
  const box = sandbox(t);
  await fleet(box);
  const before = { a: box.record('a').pid, e: box.record('e').pid };
  const r = await box.run(['restart', 'all', '--wait', '8s']);
  t.is(r.exitCode, 1, r.stdout);
  t.regex(r.stdout, /^restarted a \(pid \d+\)$/m);
  t.regex(r.stdout, /^restarted e \(pid \d+\)$/m);
  t.regex(r.stdout, /^b is stopped: not restarted/m);
  t.regex(r.stdout, /^c finished \(exit code 0\): not restarted/m);
  t.regex(r.stderr, /^bgrun: 'd' exited with code 2/m);
  t.regex(r.stderr, /Error: d is broken/);
  t.not(box.record('a').pid, before.a);
  t.not(box.record('e').pid, before.e);
  t.is(box.record('b').status, 'stopped');
  t.is(box.record('b').restarts, 0);
  t.is(box.record('c').status, 'exited');
  t.is(box.record('c').restarts, 0);
});

test('stop all keeps a crash visible: stopped, with the last exit shown', async (t) => {
  const box = sandbox(t);
  const failed = await box.run(['start', '--name', 'broken', '--wait', '8s', fixture('exit.js'), '1']);
  t.is(failed.exitCode, 1);
  t.is((await box.run(['start', '--name', 'web', '--wait', '0', fixture('ticker.js')])).exitCode, 0);
  const r = await box.run(['stop', 'all']);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^broken was not running \(errored \(1\)\)$/m);
  const list = await box.run(['list']);
  t.regex(list.stdout, /^broken +- +stopped \(after exit 1\)/m);
  t.regex(list.stdout, /^web +- +stopped +/m);
  const json = JSON.parse((await box.run(['show', 'broken', '--json'])).stdout);
  t.is(json.status, 'stopped');
  t.is(json.exitCode, 1);
});

test('save keeps what is meant to run; export systemd all skips the rest and says so', async (t) => {
  const box = sandbox(t);
  await fleet(box);
  t.is((await box.run(['start', '--name', 'f', '--wait', '8s', fixture('exit.js'), '1'])).exitCode, 1);
  const saved = await box.run(['save', '--json']);
  t.is(saved.exitCode, 0, saved.stderr);
  // d still runs (its restart has not been tried): it is saved.
  t.deepEqual(JSON.parse(saved.stdout).names, ['a', 'd', 'e']);
  const human = await box.run(['save']);
  t.regex(human.stdout, /not saved \(not meant to be running\): b \(stopped\), c \(exited \(0\)\), f \(errored \(1\)\)/);
  const exported = await box.run(['export', 'systemd', 'all']);
  t.is(exported.exitCode, 0, exported.stderr);
  const units = [...exported.stdout.matchAll(/^Description=(\S+) \(exported from bgrun\)$/gm)].map((m) => m[1]);
  t.deepEqual(units, ['a', 'd', 'e']);
  t.regex(exported.stderr, /skipped 3 programs that are not meant to be running: b \(stopped\), c \(exited \(0\)\), f \(errored \(1\)\); name them to export them anyway/);
  t.true(isAlive(box.record('a').pid!));
});

test('a one-shot that ends after its grace period: plain, its exit is unknown and it counts as meant to run; with --restart on-failure, exit 0 finishes it', async (t) => {
  const box = sandbox(t);
  const go = path.join(box.dir, 'go');
  // Each ends, with exit 0, once the test creates `go`: long after `start` has returned.
  const task = ['--', 'sh', '-c', `while [ ! -e '${go}' ]; do sleep 0.05; done; exit 0`];
  t.is((await box.run(['start', '--name', 'job', '--wait', '0', ...task])).exitCode, 0);
  t.is((await box.run(['start', '--name', 'sjob', '--restart', 'on-failure', '--wait', '0', ...task])).exitCode, 0);
  const pids = [box.record('job').pid!, box.record('sjob').pid!];
  fs.writeFileSync(go, '');
  await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeout: 30_000, what: 'both tasks to end' });
  await waitFor(() => box.record('sjob').status === 'exited', { timeout: 30_000, what: "the supervisor's record of sjob's exit" });
  const shown = JSON.parse((await box.run(['show', 'job', '--json'])).stdout);
  t.like(shown, { status: 'exited', exitCode: null });
  t.like(box.record('sjob'), { status: 'exited', exitCode: 0 });
  const saved = await box.run(['save']);
  t.is(saved.exitCode, 0, saved.stderr);
  t.regex(saved.stdout, /^saved 1 program to .*: job$/m);
  t.regex(saved.stdout, /^not saved \(not meant to be running\): sjob \(exited \(0\)\)$/m);
});
