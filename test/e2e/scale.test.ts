import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const TICKER = fixture('ticker.js');

function names(box: ReturnType<typeof sandbox>): string[] {
  return fs
    .readdirSync(path.join(box.home, 'records'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

test('scale up starts the missing copies (same spec, own index); scale down stops the highest first; 0 keeps copy 0 to come back', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '-i', '2', '--name', 'w', '--env', 'PORT=5000', '--increment-var', 'PORT', fixture('env-dump.js')])).exitCode, 0);
  const first = [box.record('w.0').pid!, box.record('w.1').pid!];

  const up = await box.run(['scale', 'w', '4']);
  t.is(up.exitCode, 0, up.stderr);
  t.deepEqual(names(box), ['w.0', 'w.1', 'w.2', 'w.3']);
  t.deepEqual([box.record('w.0').pid, box.record('w.1').pid], first, 'running copies are left alone');
  t.is(up.stdout.trim().split('\n').pop(), 'w: 4 copies (was 2)');
  for (const i of [2, 3]) {
    const log = path.join(box.home, 'logs', `w.${i}.out.log`);
    const dump = await waitFor(() => (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('\n') ? JSON.parse(fs.readFileSync(log, 'utf8')) : null));
    t.is(dump.env.BGRUN_INSTANCE, String(i));
    t.is(dump.env.PORT, String(5000 + i));
    t.is(box.record(`w.${i}`).instances, 4);
  }
  t.is(box.record('w.0').instances, 4, 'every copy knows the new count');

  const plus = await box.run(['scale', 'w', '+1']);
  t.is(plus.exitCode, 0, plus.stderr);
  t.deepEqual(names(box), ['w.0', 'w.1', 'w.2', 'w.3', 'w.4']);

  const pids = [0, 1, 2, 3, 4].map((i) => box.record(`w.${i}`).pid!);
  const down = await box.run(['scale', 'w', '2']);
  t.is(down.exitCode, 0, down.stderr);
  t.deepEqual(
    down.stdout.trim().split('\n'),
    [`stopped w.4 (pid ${pids[4]})`, `stopped w.3 (pid ${pids[3]})`, `stopped w.2 (pid ${pids[2]})`, 'w: 2 copies (was 5)'],
  );
  t.deepEqual(names(box), ['w.0', 'w.1']);
  for (const pid of pids.slice(2)) t.false(isAlive(pid));
  t.true(isAlive(pids[0]!) && isAlive(pids[1]!));

  const zero = await box.run(['scale', 'w', '0']);
  t.is(zero.exitCode, 0, zero.stderr);
  t.deepEqual(names(box), ['w.0']);
  t.is(box.record('w.0').status, 'stopped');
  const back = await box.run(['scale', 'w', '2']);
  t.is(back.exitCode, 0, back.stderr);
  t.is(box.record('w.0').status, 'running');
  t.is(box.record('w.1').status, 'running');
});

test('scale: bad input is refused and touches nothing', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '-i', '2', '--name', 'w', TICKER])).exitCode, 0);
  t.is((await box.run(['start', '--name', 'single', TICKER])).exitCode, 0);
  const pids = [box.record('w.0').pid, box.record('w.1').pid];
  const below = await box.run(['scale', 'w', '--', '-3']);
  t.is(below.exitCode, 2);
  t.is(below.stderr.trim(), 'bgrun: cannot scale below 0 copies (asked for -1)');
  const word = await box.run(['scale', 'w', 'lots']);
  t.is(word.exitCode, 2);
  t.is(word.stderr.trim(), "bgrun: invalid count 'lots': use a whole number of copies (0 or more), or +N for N more");
  const none = await box.run(['scale', 'nothing', '2']);
  t.is(none.exitCode, 1);
  t.is(none.stderr.trim(), "bgrun: no app named 'nothing'; see 'bgrun list'");
  const single = await box.run(['scale', 'single', '3']);
  t.is(single.exitCode, 1);
  t.regex(single.stderr, /^bgrun: 'single' is a single program, not an app with copies/);
  t.deepEqual([box.record('w.0').pid, box.record('w.1').pid], pids);
  t.deepEqual(names(box), ['single', 'w.0', 'w.1']);
});
