import test from 'ava';
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  DEFAULT_MAX_RESTARTS_ON_FAILURE,
  backoffDelay,
  effectiveMaxRestarts,
  givesUp,
  isFailure,
  isStopExit,
  nextFailures,
  restartDelay,
  shouldRestart,
} from '../../../src/supervisor/policy.js';

const exit = (exitCode: number | null) => ({ exitCode, signal: null });
const killed = (signal: string) => ({ exitCode: null, signal });

test('a run failed unless it exited with 0; a signal or an unknown ending is a failure', (t) => {
  t.false(isFailure(exit(0)));
  t.true(isFailure(exit(1)));
  t.true(isFailure(exit(null)), 'adopted program found dead: exit code unknown');
  t.true(isFailure(killed('SIGKILL')));
  t.true(isFailure({ exitCode: 0, signal: 'SIGTERM' }));
});

test('restart decisions per policy', (t) => {
  const ends = [exit(0), exit(1), exit(null), killed('SIGSEGV')];
  t.deepEqual(ends.map((e) => shouldRestart('no', e)), [false, false, false, false]);
  t.deepEqual(ends.map((e) => shouldRestart('on-failure', e)), [false, true, true, true]);
  t.deepEqual(ends.map((e) => shouldRestart('always', e)), [true, true, true, true]);
});

test('stop exit codes end the program under every policy; a signal is never one', (t) => {
  for (const policy of ['no', 'on-failure', 'always'] as const) {
    t.false(shouldRestart(policy, exit(3), [3]), policy);
    t.false(shouldRestart(policy, exit(0), [0]), policy);
  }
  t.true(shouldRestart('on-failure', exit(4), [3]));
  t.true(shouldRestart('always', killed('SIGTERM'), [0, 143]));
  t.false(isStopExit(exit(null), [0]));
  t.false(isStopExit(exit(2), []));
  t.true(isStopExit(exit(2), [1, 2]));
});

test('quick crashes in a row are counted; a run of --min-uptime resets the count', (t) => {
  t.is(nextFailures(0, 100, 1000), 1);
  t.is(nextFailures(4, 999, 1000), 5);
  t.is(nextFailures(4, 1000, 1000), 0);
  t.is(nextFailures(7, 60_000, 1000), 0);
});

test('backoff: 100 ms doubling, capped at 30 s', (t) => {
  t.is(BACKOFF_BASE_MS, 100);
  t.is(BACKOFF_MAX_MS, 30_000);
  t.deepEqual([0, 1, 2, 3, 4, 5].map((f) => backoffDelay(f)), [100, 100, 200, 400, 800, 1600]);
  t.is(backoffDelay(9), 25_600);
  t.is(backoffDelay(10), 30_000);
  t.is(backoffDelay(1000), 30_000);
  t.is(restartDelay(3, {}), 400);
  t.is(restartDelay(3, { restartDelayMs: 0 }), 0);
});

test('max restarts: on-failure gives up past 10 quick crashes by default, always never; an explicit limit wins', (t) => {
  t.is(DEFAULT_MAX_RESTARTS_ON_FAILURE, 10);
  t.is(effectiveMaxRestarts('on-failure', null), 10);
  t.is(effectiveMaxRestarts('always', null), Number.POSITIVE_INFINITY);
  t.is(effectiveMaxRestarts('always', 3), 3);
  t.false(givesUp('on-failure', null, 10));
  t.true(givesUp('on-failure', null, 11));
  t.false(givesUp('always', null, 1_000_000));
  t.false(givesUp('always', 3, 3));
  t.true(givesUp('always', 3, 4));
  t.true(givesUp('on-failure', 0, 1), '--max-restarts 0: the first quick crash is the last');
  t.false(givesUp('on-failure', 0, 0));
});
