import test from 'ava';
import { planPid1 } from '../../../src/run/pid1.js';
import { exitStatusOf } from '../../../src/run/foreground.js';

test('not PID 1: nothing to do', (t) => {
  t.deepEqual(planPid1(42, true, '/x/bin/bgrun-init', ['node', 'bgrun.js', 'run'], '/node', []), { kind: 'not-pid1' });
});

test('PID 1 with an execve: becomes bgrun-init, which runs the same command as its child', (t) => {
  t.deepEqual(planPid1(1, true, '/x/bin/bgrun-init', ['node', '/x/bin/bgrun.js', 'run', '--', 'app'], '/usr/bin/node', ['--max-old-space-size=100']), {
    kind: 'exec',
    file: '/bin/sh',
    args: ['/bin/sh', '/x/bin/bgrun-init', '/usr/bin/node', '--max-old-space-size=100', '/x/bin/bgrun.js', 'run', '--', 'app'],
  });
});

test('PID 1 without one: a warning that says what to do', (t) => {
  const plan = planPid1(1, false, '/x/bin/bgrun-init', ['node', 'bgrun.js', 'run'], '/node', []);
  t.is(plan.kind, 'warn');
  t.regex((plan as { message: string }).message, /bgrun-init bgrun run.*tini.*docker run --init/);
});

test('exit status: the code, or 128 + the signal number', (t) => {
  t.is(exitStatusOf(3, null), 3);
  t.is(exitStatusOf(null, 'SIGTERM'), 143);
  t.is(exitStatusOf(null, 'SIGKILL'), 137);
});
