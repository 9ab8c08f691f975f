import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const SERVER = fixture('ready-server.js');

test('reload replaces copies one at a time, each only once the one before is ready; every pid changes', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, 'DELAY_MS=300\n');
  const r = await box.run(['start', '-i', '3', '--name', 'web', '--env-file', envFile, '--ready', 'log:/ready on/', SERVER]);
  t.is(r.exitCode, 0, r.stderr);
  const before = [0, 1, 2].map((i) => box.record(`web.${i}`).pid!);
  const reload = await box.run(['reload', 'web']);
  t.is(reload.exitCode, 0, reload.stderr);
  const after = [0, 1, 2].map((i) => box.record(`web.${i}`).pid!);
  t.deepEqual(
    reload.stdout.trim().split('\n'),
    [0, 1, 2].map((i) => `reloaded web.${i} (pid ${before[i]} -> ${after[i]}), ready (log:/ready on/)`),
  );
  for (const i of [0, 1, 2]) {
    t.not(after[i], before[i]);
    t.false(isAlive(before[i]!));
  }
  // One at a time: copy i+1 went only once copy i was ready again.
  for (const i of [0, 1]) {
    const readyAt = Date.parse(box.record(`web.${i}`).readyAt as string);
    const nextStarted = Date.parse(box.record(`web.${i + 1}`).startedAt as string);
    t.true(nextStarted >= readyAt, `web.${i + 1} started ${nextStarted - readyAt} ms after web.${i} was ready`);
  }
});

test('a new copy that fails to become ready stops the reload; the rest keep the old version', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, 'DELAY_MS=0\n');
  t.is((await box.run(['start', '-i', '3', '--name', 'web', '--env-file', envFile, '--ready', 'log:/ready on/', '--ready-timeout', '5s', SERVER])).exitCode, 0);
  const before = [0, 1, 2].map((i) => box.record(`web.${i}`).pid!);
  // The new version dies at once.
  fs.writeFileSync(envFile, 'DELAY_MS=60000\nFAIL_AFTER_MS=50\n');
  const reload = await box.run(['reload', 'web']);
  t.is(reload.exitCode, 1);
  t.regex(reload.stderr.split('\n')[0]!, /^bgrun: reload of 'web' stopped at web\.0: .*; web\.1, web\.2 still run the old version$/);
  t.is(box.record('web.1').pid, before[1]!);
  t.is(box.record('web.2').pid, before[2]!);
  t.true(isAlive(before[1]!) && isAlive(before[2]!));
});

test('a single program: reload is a restart, and says so; nothing running is an error that touches nothing', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'one', fixture('ticker.js')])).exitCode, 0);
  const pid = box.record('one').pid!;
  const r = await box.run(['reload', 'one']);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout.trim(), `restarted one (pid ${pid} -> ${box.record('one').pid}): one copy, so reload is a restart; run copies (--instances) to reload without downtime`);
  t.is((await box.run(['stop', 'one'])).exitCode, 0);
  const none = await box.run(['reload', 'one']);
  t.is(none.exitCode, 1);
  t.is(none.stderr.trim(), "bgrun: nothing to reload: 'one' is not running; start it with 'bgrun start'");
  t.is(box.record('one').status, 'stopped');
  const unknown = await box.run(['reload', 'ghost']);
  t.is(unknown.exitCode, 1);
});
