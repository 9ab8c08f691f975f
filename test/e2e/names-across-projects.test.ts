import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, type Sandbox, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

/** A project folder with a config whose one app is `web`. */
function project(box: Sandbox, sub: string): string {
  const dir = path.join(box.dir, sub);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'web', script: fixture('ticker.js') }] }));
  return dir;
}

test("a config's app never skips or takes over a same-named program of another project", async (t) => {
  const box = sandbox(t);
  const a = project(box, 'a');
  const b = project(box, 'b');
  const first = await box.run(['start'], { cwd: a });
  t.is(first.exitCode, 0, first.stderr);
  const pid = box.record('web').pid!;
  t.deepEqual(box.record('web').origin, { kind: 'config', file: path.join(a, 'bgrun.config.json'), cwd: a });

  // Running: not "web is already running" with exit 0, but an error that names both.
  const clash = await box.run(['start'], { cwd: b });
  t.is(clash.exitCode, 1, clash.stdout);
  const line = clash.stderr.split('\n')[0]!;
  t.true(line.includes(path.join(b, 'bgrun.config.json')), line);
  t.true(line.includes(path.join(a, 'bgrun.config.json')), line);

  // `bgrun stop` with no target in b does not stop a's web.
  const stopB = await box.run(['stop'], { cwd: b });
  t.true(isAlive(pid), stopB.stdout + stopB.stderr);

  // Stopped: still no silent takeover.
  t.is((await box.run(['stop', 'web'], { cwd: a })).exitCode, 0);
  const again = await box.run(['start'], { cwd: b });
  t.is(again.exitCode, 1, again.stdout);
  t.is(box.record('web').cwd, a);
  t.is((box.record('web').origin as { file: string }).file, path.join(a, 'bgrun.config.json'));

  // Its own project starts it as before.
  const own = await box.run(['start'], { cwd: a });
  t.is(own.exitCode, 0, own.stderr);
  t.regex(own.stdout, /^started web \(pid \d+\)/);
});

test('a program started on the command line records where it came from', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--wait', '0', fixture('ticker.js')], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(box.record('ticker').origin, { kind: 'cli', cwd: box.dir });
});
