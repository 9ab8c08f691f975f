import test from 'ava';
import { validateConfig } from '../../../src/config/validate-config.js';
import { ConfigError } from '../../../src/errors.js';

const check = (app: Record<string, unknown>) => validateConfig({ apps: [{ script: 'a.js', ...app }] }, 'bgrun.config.json', '/srv/project')[0]!;
const message = (t: import('ava').ExecutionContext, app: Record<string, unknown>): string | undefined => t.throws(() => check(app), { instanceOf: ConfigError })?.message;

test('bgrun keys of the supervisor (the start makes the program supervised, on-failure)', (t) => {
  const app = check({
    watch: ['src', 'lib'],
    watchIgnore: '*.tmp',
    watchDelay: '1s',
    watchFollowSymlinks: true,
    cronRestart: '0 3 * * *',
    stopExitCodes: [0, 3],
    killTimeout: '30s',
    stopSignal: 'INT',
    restartDelay: 2000,
    health: 'http://127.0.0.1:3000/health',
    healthInterval: '5s',
    healthTimeout: '1s',
    healthRetries: 2,
    onExit: 'echo "$BGRUN_NAME"',
  });
  t.like(app, {
    watch: ['src', 'lib'],
    watchIgnore: ['*.tmp'],
    watchDelayMs: 1000,
    watchFollowSymlinks: true,
    cronRestart: '0 3 * * *',
    stopExitCodes: [0, 3],
    killTimeoutMs: 30_000,
    stopSignal: 'SIGINT',
    restartDelayMs: 2000,
    health: 'http://127.0.0.1:3000/health',
    healthIntervalMs: 5000,
    healthTimeoutMs: 1000,
    healthRetries: 2,
    onExit: 'echo "$BGRUN_NAME"',
  });
  t.deepEqual(check({ watch: true }).watch, [], 'watch: true watches the working folder');
  t.is(check({ watch: false }).watch, undefined);
  t.is(check({ watch: false }).restart, undefined, 'watch: false implies nothing');
  t.is(check({ watch: false, restart: 'no' }).restart, 'no');
  t.is(check({ restart: 'always', health: 'tcp:3000' }).restart, 'always');
});

test("pm2's spelling: ms numbers, watch_options.followSymlinks, stop_exit_codes", (t) => {
  t.like(check({ watch: 'src', ignore_watch: ['node_modules', 'logs'], watch_delay: 300, watch_options: { followSymlinks: false }, cron_restart: '*/5 * * * * *', stop_exit_codes: 3, kill_timeout: 1600, exp_backoff_restart_delay: 100 }), {
    watch: ['src'],
    watchIgnore: ['node_modules', 'logs'],
    watchDelayMs: 300,
    cronRestart: '*/5 * * * * *',
    stopExitCodes: [3],
    killTimeoutMs: 1600,
    expBackoffRestartDelayMs: 100,
  });
  // Watch settings without watch are a mistake.
  t.is(message(t, { ignore_watch: ['x'] }), 'bgrun.config.json: apps[0].ignore_watch: needs watch: what to watch');
});

test('restart: "no" with a watch or a schedule (pm2: autorestart: false): supervised, exits not restarted; the other supervision keys allowed with them', (t) => {
  t.like(check({ restart: 'no', cronRestart: '0 3 * * *', killTimeout: '3s' }), { restart: 'no', cronRestart: '0 3 * * *', killTimeoutMs: 3000 });
  t.like(check({ autorestart: false, watch: true, ignore_watch: ['logs'] }), { restart: 'no', watch: [], watchIgnore: ['logs'] });
  // pm2 restarts an autorestart: false app over max_memory_restart too: the restart is bgrun's own, not after an exit.
  t.like(check({ autorestart: false, cron_restart: '0 3 * * *', max_memory_restart: '300M' }), { restart: 'no', maxMemoryBytes: 300 * 1024 ** 2 });
  // And alone (pm2's lib/Worker.js restarts any app over it, whatever autorestart says): supervised for the limit, exits not restarted.
  t.like(check({ autorestart: false, max_memory_restart: '300M' }), { restart: 'no', maxMemoryBytes: 300 * 1024 ** 2 });
  t.like(check({ autorestart: false, max_memory_restart: '300M', restart_delay: 2000 }), { restart: 'no', maxMemoryBytes: 300 * 1024 ** 2, restartDelayMs: 2000 });
  t.like(check({ restart: 'no', maxMemory: '1G' }), { restart: 'no', maxMemoryBytes: 1024 ** 3 });
});

test('bad supervision keys name the key and what was expected', (t) => {
  t.is(message(t, { cronRestart: '61 * * * *' }), 'bgrun.config.json: apps[0].cronRestart: "61 * * * *": Invalid value for minute: 61');
  t.is(message(t, { cron_restart: 'daily' }), 'bgrun.config.json: apps[0].cron_restart: expected 5 fields (minute hour day month weekday) or 6 with seconds first, got 1 in "daily"');
  t.regex(message(t, { health: 'delay:1s' })!, /^bgrun\.config\.json: apps\[0\]\.health: delay: says when a program is ready/);
  t.is(message(t, { stop_exit_codes: [0, 'x'] }), "bgrun.config.json: apps[0].stop_exit_codes: use exit codes from 0 to 255 separated by commas, e.g. 0,3");
  t.is(message(t, { healthRetries: 2 }), 'bgrun.config.json: apps[0].healthRetries: needs health: the probe to run');
  t.is(message(t, { watchIgnore: 'x' }), 'bgrun.config.json: apps[0].watchIgnore: needs watch: what to watch');
  t.is(message(t, { killTimeout: 'soon' }), 'bgrun.config.json: apps[0].killTimeout: expected a duration above 0 such as 500, "500ms", "10s" or "2m", got "soon"');
  t.is(message(t, { killTimeout: 1000, kill_timeout: 1000 }), 'bgrun.config.json: apps[0].kill_timeout: give either killTimeout or kill_timeout, not both');
  t.is(message(t, { restart: 'no', health: 'tcp:3000' }), 'bgrun.config.json: apps[0].health: needs supervision: drop restart: "no" (it implies restart: "on-failure")');
  t.is(message(t, { restart: 'no', cronRestart: '0 3 * * *', maxRestarts: 3 }), 'bgrun.config.json: apps[0].maxRestarts: needs restarts after an exit: replace restart: "no" with restart: "on-failure" or restart: "always"');
  t.is(message(t, { autorestart: false, max_memory_restart: '1G', min_uptime: 1000 }), 'bgrun.config.json: apps[0].min_uptime: needs restarts after an exit: replace restart: "no" with restart: "on-failure" or restart: "always"');
  t.is(message(t, { stopSignal: 'KILL' }), "bgrun.config.json: apps[0].stopSignal: use a signal name such as TERM, INT, HUP or QUIT");
});
