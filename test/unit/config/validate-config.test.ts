import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defineConfig } from '../../../src/config/define-config.js';
import { parseProcfile } from '../../../src/config/procfile.js';
import { splitArgs } from '../../../src/options/split-args.js';
import { APP_KEYS, libraryAppOptions, validateConfig } from '../../../src/config/validate-config.js';
import { ConfigError } from '../../../src/errors.js';
import { ROOT } from '../../helpers/bgrun.js';

const DIR = '/srv/project';
const check = (value: unknown) => validateConfig(value, 'bgrun.config.json', DIR);
const message = (t: import('ava').ExecutionContext, value: unknown) => {
  const error = t.throws(() => check(value), { instanceOf: ConfigError });
  t.is(error?.exitCode, 1);
  return error?.message;
};

test('a full entry maps to start options; cwd is relative to the config folder, envFile to cwd', (t) => {
  const [web, db] = check({
    apps: [
      {
        name: 'web',
        script: 'server.js',
        args: ['--port', 3000],
        cwd: 'web',
        env: { K: 'V', PORT: 3000, DEBUG: false },
        envFile: '.env',
        interpreter: 'node --enable-source-maps',
        restart: 'on-failure',
        maxRestarts: 3,
        minUptime: '5s',
        maxMemory: '300M',
        wait: 200,
        ready: 'tcp:3000',
        readyTimeout: '1m',
        dependsOn: ['db'],
      },
      { name: 'db', script: 'db.sh' },
    ],
  });
  t.deepEqual(web, {
    name: 'web',
    script: 'server.js',
    args: ['--port', '3000'],
    cwd: path.join(DIR, 'web'),
    env: { K: 'V', PORT: '3000', DEBUG: 'false' },
    envFiles: [path.join(DIR, 'web', '.env')],
    interpreter: 'node --enable-source-maps',
    restart: 'on-failure',
    maxRestarts: 3,
    minUptimeMs: 5000,
    maxMemoryBytes: 300 * 1024 * 1024,
    waitMs: 200,
    ready: 'tcp:3000',
    readyTimeoutMs: 60_000,
    dependsOn: ['db'],
  });
  t.deepEqual(db, { name: 'db', script: 'db.sh', args: [], cwd: DIR, env: {}, envFiles: [], interpreter: null, dependsOn: [] });
});

test('the name defaults to the script base name, as bgrun start does', (t) => {
  t.is(check({ apps: [{ script: 'bin/api-server.js' }] })[0]!.name, 'api-server');
  t.is(
    message(t, { apps: [{ script: 'a/x.js' }, { script: 'b/x.js' }] }),
    'bgrun.config.json: apps[1].name: "x" is already the name of apps[0] (taken from the script; give each a name)',
  );
});

test('wrong types name the path of the key and what was expected', (t) => {
  const cases: [unknown, string][] = [
    [{ apps: [{ script: 'a.js' }, { script: 'b.js', restart: 'sometimes' }] }, 'apps[1].restart: expected "no", "on-failure" or "always", got "sometimes"'],
    [{ apps: [{ name: 'a' }] }, 'apps[0].script: missing: the script or command to run (or module: a Python module)'],
    [{ apps: [{ script: 42 }] }, 'apps[0].script: expected a non-empty string, got 42'],
    [{ apps: [{ script: 'a.js', args: { a: 1 } }] }, 'apps[0].args: expected an array of strings or one string, got an object'],
    [{ apps: [{ script: 'a.js', args: ['x', null] }] }, 'apps[0].args[1]: expected a string, got null'],
    [{ apps: [{ script: 'a.js', env: ['A=1'] }] }, 'apps[0].env: expected an object of variables such as { "PORT": "3000" }, got an array'],
    [{ apps: [{ script: 'a.js', env: { 'A-B': '1' } }] }, "apps[0].env.A-B: expected a variable name of letters, digits and '_'"],
    [{ apps: [{ script: 'a.js', maxRestarts: 2.5, restart: 'always' }] }, 'apps[0].maxRestarts: expected a whole number, got 2.5'],
    [{ apps: [{ script: 'a.js', maxMemory: 'lots', restart: 'always' }] }, 'apps[0].maxMemory: expected a size such as "300M", "1G" or a number of bytes, got "lots"'],
    [{ apps: [{ script: 'a.js', wait: '1 week' }] }, 'apps[0].wait: expected a duration such as 500, "500ms", "10s" or "2m", got "1 week"'],
    [{ apps: [{ script: 'a.js', minUptime: '1s' }] }, 'apps[0].minUptime: needs a supervised program: add restart: "on-failure" or restart: "always"'],
    [{ apps: [{ script: 'a.js', ready: 'port 80' }] }, 'apps[0].ready: expected tcp:PORT, tcp:HOST:PORT, http://HOST:PORT/PATH, log:/REGEX/ or delay:DURATION, got "port 80"'],
    [{ apps: [{ script: 'a.js', readyTimeout: '5s' }] }, 'apps[0].readyTimeout: needs ready: the probe to wait for'],
    [{ apps: [{ name: 'all', script: 'a.js' }] }, "apps[0].name: invalid name 'all': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-', not all digits, not 'all'"],
    [{ apps: [{ name: 'a', script: 'a.js', dependsOn: 'b' }, { name: 'bb', script: 'b.js' }] }, 'apps[0].dependsOn[0]: no app named "b" in this config (did you mean "bb"?)'],
    [{ apps: [{ name: 'a', script: 'a.js', dependsOn: ['a'] }] }, 'apps[0].dependsOn[0]: "a" cannot depend on itself'],
    [{ apps: 'web' }, 'apps: expected a list of apps, got "web"'],
    [{ apps: [] }, 'apps: expected at least one app, got an empty list'],
    [{ apps: ['server.js'] }, 'apps[0]: expected an object with at least "script", got "server.js"'],
  ];
  for (const [value, expected] of cases) t.is(message(t, value), `bgrun.config.json: ${expected}`);
  t.is(message(t, [{ script: 'a.js' }]), 'bgrun.config.json: expected an object such as { "apps": [ { "name": "web", "script": "server.js" } ] }, got an array');
});

test('unknown keys are refused, with a suggestion when one is close', (t) => {
  t.is(message(t, { apps: [{ scirpt: 'a.js' }] }), 'bgrun.config.json: apps[0].scirpt: unknown key (did you mean "script"?)');
  t.is(message(t, { apps: [{ script: 'a.js', depends_on: ['x'] }] }), 'bgrun.config.json: apps[0].depends_on: unknown key (did you mean "dependsOn"?)');
  t.is(message(t, { apps: [{ script: 'a.js', ready_timeout: 1 }] }), 'bgrun.config.json: apps[0].ready_timeout: unknown key (did you mean "readyTimeout"?)');
  t.is(message(t, { apps: [{ script: 'a.js', colour: 'red' }] }), 'bgrun.config.json: apps[0].colour: unknown key');
  t.is(message(t, { app: [] }), 'bgrun.config.json: app: unknown key (did you mean "apps"?)');
});

test('pm2 keys: the same meaning is accepted, harmless values are ignored, the rest is refused with a reason', (t) => {
  const [app] = check({
    apps: [
      {
        name: 'api',
        script: 'app.js',
        args: '--port 3000 --title "my api"',
        instances: 1,
        exec_mode: 'fork',
        watch: false,
        autorestart: true,
        max_restarts: 5,
        min_uptime: 2000,
        max_memory_restart: '1G',
        env: { NODE_ENV: 'development' },
        env_production: { NODE_ENV: 'production' },
        interpreter: 'none',
      },
    ],
    deploy: { production: { user: 'node' } },
  });
  t.like(app, {
    args: ['--port', '3000', '--title', 'my api'],
    restart: 'always',
    maxRestarts: 5,
    minUptimeMs: 2000,
    maxMemoryBytes: 1024 ** 3,
    env: { NODE_ENV: 'development' },
    // pm2's "none": run the script itself (not bgrun's choice by extension).
    interpreter: 'none',
  });
  t.is(check({ apps: [{ script: 'a.js', autorestart: false }] })[0]!.restart, 'no');
  t.is(check({ apps: [{ script: 'a.js' }] })[0]!.restart, undefined, "absent autorestart keeps bgrun's default");
  t.is(message(t, { apps: [{ script: 'a.js', instances: 'some' }] }), 'bgrun.config.json: apps[0].instances: expected a whole number, "max" or 0 (one per CPU), or -1 (one less than the CPUs), got "some"');
  t.is(check({ apps: [{ script: 'a.js', instances: 3, increment_var: 'PORT' }] })[0]!.instances, 3);
  t.is(check({ apps: [{ script: 'a.js', instances: 1 }] })[0]!.instances, undefined, 'one instance is a single program');
  t.is(message(t, { apps: [{ script: 'a.js', increment_var: 'PORT' }] }), 'bgrun.config.json: apps[0].increment_var: is for copies of an app: add instances');
  t.is(
    message(t, { apps: [{ script: 'a.js', watch: true, watch_options: { usePolling: true } }] }),
    'bgrun.config.json: apps[0].watch_options.usePolling: bgrun watches with file change notifications, never by polling',
  );
  t.is(check({ apps: [{ script: 'a.js', out_file: './out.log' }] })[0]!.outLog, '/srv/project/out.log');
  t.like(check({ apps: [{ script: 'a.js', log_file: 'all.log', time: true }] })[0]!, { log: '/srv/project/all.log', logTime: true });
  // Relative to the app's cwd, as its script and env files (and as pm2 does).
  t.like(check({ apps: [{ script: 'a.js', cwd: 'api', outLog: 'o.log', error_file: '../e.log' }] })[0]!, { outLog: '/srv/project/api/o.log', errLog: '/srv/project/e.log' });
  t.is(check({ apps: [{ script: 'a.js', cwd: '/var/app', log: 'all.log' }] })[0]!.log, '/var/app/all.log');
  t.is(check({ apps: [{ script: 'a.js', log_date_format: 'YYYY-MM-DD HH:mm Z' }] })[0]!.logTime, true);
  t.is(message(t, { apps: [{ script: 'a.js', outLog: 'o.log', log: 'all.log' }] }), 'bgrun.config.json: apps[0].log: give either outLog or log, not both');
  t.is(message(t, { apps: [{ script: 'a.js', outLog: 'a.log', out_file: 'b.log' }] }), 'bgrun.config.json: apps[0].out_file: give either outLog or out_file, not both');
  t.is(message(t, { apps: [{ script: 'a.js', restart: 'always', autorestart: true }] }), 'bgrun.config.json: apps[0].autorestart: give either restart or autorestart, not both');
  t.is(message(t, { apps: [{ script: 'a.js', env_production: 'prod' }] }), 'bgrun.config.json: apps[0].env_production: expected an object of variables such as { "PORT": "3000" }, got a string');
  t.is(
    message(t, { apps: [{ script: 'a.js', env_file: '.env' }] }),
    "bgrun.config.json: apps[0].env_file: pm2's env_file is not supported: for a .env file use envFile (env_<name> is a pm2 environment)",
  );
});

test('pm2 args strings split at whitespace, quotes group', (t) => {
  t.deepEqual(splitArgs('a  b'), ['a', 'b']);
  t.deepEqual(splitArgs(`-m "x y" 'z "w"' ""`), ['-m', 'x y', 'z "w"', '']);
  t.deepEqual(splitArgs('say="hi there"'), ['say=hi there']);
  t.deepEqual(splitArgs(''), []);
});

test("the library's start() takes the same keys, relative to the current folder", (t) => {
  t.like(libraryAppOptions({ script: 'x.js', cwd: 'sub', minUptime: 100, restart: 'always' }, '/home/me'), {
    cwd: '/home/me/sub',
    minUptimeMs: 100,
    restart: 'always',
  });
  const error = t.throws(() => libraryAppOptions({ script: 'x.js', restart: 'yes' }), { instanceOf: ConfigError });
  t.is(error?.message, 'start(): restart: expected "no", "on-failure" or "always", got "yes"');
  t.is(t.throws(() => libraryAppOptions({ script: 'x.js', waitMs: 1 }))?.message, 'start(): waitMs: unknown key (did you mean "wait"?)');
});

test('defineConfig is the identity', (t) => {
  const config = { apps: [{ name: 'web', script: 'server.js', restart: 'always' as const }] };
  t.is(defineConfig(config), config);
});

test("AppConfig declares every key of an app, so defineConfig types copies, cluster mode and env profiles as the checks accept them", (t) => {
  // Type-checked (npx tsc): these are the values validateConfig accepts.
  const config = defineConfig({
    apps: [
      { name: 'web', script: 'server.js', instances: 4, execMode: 'cluster', namespace: 'api', mergeLogs: true },
      { name: 'w', script: 'w.js', instances: 'max', exec_mode: 'cluster_mode', incrementVar: 'PORT', instanceVar: 'INDEX' },
      { name: 'f', script: 'f.js', instances: -1, exec_mode: 'fork', env: { A: '1' }, env_production: { A: '2' } },
    ],
  });
  t.is(check(config).length, 3);
  const declared = fs.readFileSync(path.join(ROOT, 'src', 'config', 'define-config.ts'), 'utf8');
  t.deepEqual(
    APP_KEYS.filter((key) => !new RegExp(`^\\s+${key}\\?:`, 'm').test(declared)),
    [],
  );
});

test('Procfile: name: command lines through sh -c; comments and blank lines skipped', (t) => {
  const apps = parseProcfile('# processes\nweb: node server.js --port $PORT\n\nworker:   python3 worker.py\n', '/srv/p/Procfile');
  t.deepEqual(
    apps.map((a) => [a.name, a.script, a.args, a.cwd]),
    [
      ['web', '/bin/sh', ['-c', 'node server.js --port $PORT'], '/srv/p'],
      ['worker', '/bin/sh', ['-c', 'python3 worker.py'], '/srv/p'],
    ],
  );
  t.is(t.throws(() => parseProcfile('web node server.js\n', '/p/Procfile'))?.message, "Procfile:1: expected 'name: command', got 'web node server.js'");
  t.is(t.throws(() => parseProcfile('web: a\nweb: b\n', '/p/Procfile'))?.message, "Procfile:2: 'web' is defined twice");
  t.is(t.throws(() => parseProcfile('# nothing\n', '/p/Procfile'))?.message, "Procfile: no 'name: command' lines");
});

test('log rotation keys follow --max-log-size and --max-log-files', (t) => {
  t.like(check({ apps: [{ script: 'a.js', maxLogSize: '2M', maxLogFiles: 3 }] })[0], { maxLogBytes: 2 * 1024 * 1024, maxLogFiles: 3 });
  t.like(check({ apps: [{ script: 'a.js', maxLogSize: 0 }] })[0], { maxLogBytes: null });
  t.is(message(t, { apps: [{ script: 'a.js', maxLogSize: '10' }] }), "bgrun.config.json: apps[0].maxLogSize: invalid value '10': use at least 1K, or 0 for no limit");
  t.is(
    message(t, { apps: [{ script: 'a.js', maxLogFiles: 2 }] }),
    'bgrun.config.json: apps[0].maxLogFiles: needs maxLogSize for a plain program (supervised programs rotate at 10M by default)',
  );
  t.like(check({ apps: [{ script: 'a.js', restart: 'always', maxLogFiles: 2 }] })[0], { maxLogFiles: 2 });
});
