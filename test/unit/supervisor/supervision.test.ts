import test from 'ava';
import type { ProcessRecord } from '../../../src/core/records/record.js';
import { needsSupervisor } from '../../../src/supervisor/needs.js';
import { backoffDelay, isStopExit, restartDelay, shouldRestart } from '../../../src/supervisor/policy.js';
import { globToRegExp, ignoreTest } from '../../../src/supervisor/watch.js';
import { hookVariables } from '../../../src/supervisor/hooks.js';
import { systemdUnit } from '../../../src/export/systemd-unit.js';

test('stop exit codes are never restarted, whatever the policy; signals are not exit codes', (t) => {
  t.false(shouldRestart('always', { exitCode: 3, signal: null }, [0, 3]));
  t.true(shouldRestart('always', { exitCode: 4, signal: null }, [0, 3]));
  t.false(shouldRestart('on-failure', { exitCode: 0, signal: null }, [3]));
  t.true(isStopExit({ exitCode: 0, signal: null }, [0]));
  t.false(isStopExit({ exitCode: null, signal: 'SIGTERM' }, [0]));
  t.false(isStopExit({ exitCode: 3, signal: null }, undefined));
});

test('restart delays: the default backoff, a fixed delay, or a backoff from a first step (which wins, as in pm2)', (t) => {
  t.deepEqual([1, 2, 3].map((f) => restartDelay(f, {})), [100, 200, 400]);
  t.deepEqual([1, 2, 3].map((f) => restartDelay(f, { restartDelayMs: 1500 })), [1500, 1500, 1500]);
  t.deepEqual([1, 2, 3].map((f) => restartDelay(f, { expBackoffRestartDelayMs: 250, restartDelayMs: 1500 })), [250, 500, 1000]);
  t.is(backoffDelay(20, 250), 30_000, 'capped');
  t.is(backoffDelay(3, 60_000), 60_000, 'a first step above the cap is kept');
});

test('watch ignore globs: a bare name anywhere, a path from the root, ** across folders', (t) => {
  const test_ = (glob: string, rel: string) => globToRegExp(glob).test(rel);
  t.true(test_('node_modules', 'node_modules/a/b.js'));
  t.true(test_('node_modules', 'pkg/node_modules/a.js'));
  t.false(test_('node_modules', 'node_modules_x/a.js'));
  t.true(test_('*.log', 'logs/app.log'));
  t.false(test_('*.log', 'app.log.js'));
  t.true(test_('build/', 'build/x.js'));
  t.true(test_('src/*.tmp', 'src/a.tmp'));
  t.false(test_('src/*.tmp', 'lib/src/a.tmp'));
  t.true(test_('**/cache', 'a/b/cache/x'));
  t.true(test_('a?.js', 'a1.js'));
});

test('watch ignores the state folder and the logs wherever they are', (t) => {
  const record = { watch: ['/app'], watchIgnore: ['*.tmp'], outLog: '/app/out.log', errLog: '/state/logs/e.log' } as unknown as ProcessRecord;
  const ignored = ignoreTest(record, '/app/.bgrun');
  t.true(ignored('/app/.bgrun/records/x.json'));
  t.true(ignored('/app/out.log'));
  t.true(ignored('/app/node_modules'));
  t.true(ignored('/app/.git/HEAD'));
  t.true(ignored('/app/x.tmp'));
  t.false(ignored('/app/src/x.js'));
  t.false(ignored('/app'));
});

test('a watched or scheduled program keeps the supervisor even after it exited; a stopped one does not', (t) => {
  const base = { restart: 'on-failure', desired: 'running', status: 'exited', nextStartAt: null } as unknown as ProcessRecord;
  t.false(needsSupervisor([base]));
  t.true(needsSupervisor([{ ...base, watch: ['/app'] }]));
  t.true(needsSupervisor([{ ...base, cronRestart: '0 3 * * *' }]));
  t.false(needsSupervisor([{ ...base, cronRestart: '0 3 * * *', desired: 'stopped' }]));
});

test('hook variables: unknown exit code and no signal are empty strings', (t) => {
  const record = { name: 'web', restarts: 2, errLog: '/s/logs/web.err.log', outLog: '/s/logs/web.out.log' } as unknown as ProcessRecord;
  t.deepEqual(hookVariables({ record, event: 'memory', exitCode: null, signal: 'SIGTERM' }), {
    BGRUN_NAME: 'web',
    BGRUN_EVENT: 'memory',
    BGRUN_EXIT_CODE: '',
    BGRUN_SIGNAL: 'SIGTERM',
    BGRUN_RESTARTS: '2',
    BGRUN_ERR_LOG: '/s/logs/web.err.log',
    BGRUN_OUT_LOG: '/s/logs/web.out.log',
  });
});

test('export systemd maps stop settings, delays and exit codes, and comments on what has no equivalent', (t) => {
  const { text } = systemdUnit(
    {
      name: 'web',
      command: ['/usr/bin/node', '/app/server.js'],
      cwd: '/app',
      envVars: {},
      envFiles: [],
      restart: 'always',
      maxRestarts: null,
      minUptimeMs: 10_000,
      maxMemoryBytes: null,
      outLog: '/s/web.out.log',
      errLog: '/s/web.err.log',
      stopSignal: 'SIGINT',
      killTimeoutMs: 30_000,
      restartDelayMs: 2000,
      stopExitCodes: [0, 3],
      watch: ['/app/src'],
      cronRestart: '0 3 * * *',
      health: 'http://127.0.0.1:3000/health',
      onExit: 'mail -s "$BGRUN_NAME" me@example.com',
    },
    { user: true },
  );
  t.regex(text, /^KillSignal=SIGINT$/m);
  t.regex(text, /^TimeoutStopSec=30s$/m);
  t.regex(text, /^RestartSec=2s$/m);
  t.notRegex(text, /RestartSteps/);
  t.regex(text, /^SuccessExitStatus=3$/m);
  t.regex(text, /^RestartPreventExitStatus=0 3$/m);
  t.regex(text, /^# bgrun --watch restarted it when files under \/app\/src changed/m);
  t.regex(text, /^# bgrun --cron-restart "0 3 \* \* \*"/m);
  t.regex(text, /^# bgrun --health http:\/\/127\.0\.0\.1:3000\/health restarted it after 3 failed checks/m);
  t.regex(text, /^# bgrun --on-exit ran: mail -s \\"\$BGRUN_NAME\\" me@example\.com$/m);
  t.regex(text, /SIGINT to the whole group, SIGKILL after 30s/);
});
