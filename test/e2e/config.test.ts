import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { ROOT, fixture, isAlive, processesOfHome, readText, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { accepts, freePort } from '../helpers/ports.js';

test.after.always(sweepAll);

const SERVER = fixture('ready-server.js');

/** A project folder in the sandbox with these files. */
function project(box: Sandbox, files: Record<string, string>, sub = 'project'): string {
  const dir = path.join(box.dir, sub);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** "<app> <start|ready> <ms>" lines of the stamp file, by app and event. */
function stamp(file: string, app: string, what: 'start' | 'ready'): number[] {
  return [...readText(file).matchAll(new RegExp(`^${app} ${what} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
}

const pidOf = (box: Sandbox, name: string) => box.record(name).pid!;

async function threeTier(box: Sandbox) {
  const [dbPort, apiPort] = [await freePort(), await freePort()];
  const stamps = path.join(box.dir, 'stamps');
  const app = (name: string, env: Record<string, string | number>, extra: Record<string, unknown> = {}) => ({
    name,
    script: SERVER,
    env: { APP_NAME: name, STAMP_FILE: stamps, ...env },
    ...extra,
  });
  const config = {
    apps: [
      app('web', {}, { dependsOn: ['api'] }),
      app('api', { PORT: apiPort, DELAY_MS: 400 }, { dependsOn: ['db'], ready: `http://127.0.0.1:${apiPort}/health` }),
      app('worker', {}),
      app('db', { PORT: dbPort, DELAY_MS: 2000 }, { ready: `tcp:${dbPort}` }),
    ],
  };
  const dir = project(box, { 'bgrun.config.json': JSON.stringify(config, null, 2) });
  return { dir, stamps, dbPort, apiPort };
}

test('bgrun start with no program starts every app in dependency order, each after what it depends on is ready', async (t) => {
  const box = sandbox(t);
  const { dir, stamps, dbPort, apiPort } = await threeTier(box);
  const r = await box.run(['start'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.trimEnd().split('\n'), [
    `started db (pid ${pidOf(box, 'db')}), ready (tcp:${dbPort})`,
    `started api (pid ${pidOf(box, 'api')}), ready (http://127.0.0.1:${apiPort}/health)`,
    `started web (pid ${pidOf(box, 'web')})`,
    `started worker (pid ${pidOf(box, 'worker')})`,
  ]);
  t.true(stamp(stamps, 'api', 'start')[0]! >= stamp(stamps, 'db', 'ready')[0]!, 'api started after db was ready');
  t.true(stamp(stamps, 'web', 'start')[0]! >= stamp(stamps, 'api', 'ready')[0]!, 'web started after api was ready');
  // worker depends on nothing: it did not wait for db's 2 s, though it is reported last.
  t.true(stamp(stamps, 'worker', 'start')[0]! < stamp(stamps, 'db', 'ready')[0]!, 'worker started while db was getting ready');
  t.true(await accepts(dbPort));

  // Again: nothing is started twice.
  const pids = ['db', 'api', 'web', 'worker'].map((n) => pidOf(box, n));
  const again = await box.run(['start'], { cwd: dir });
  t.is(again.exitCode, 0, again.stderr);
  t.deepEqual(again.stdout.trimEnd().split('\n'), [
    `db is already running (pid ${pids[0]}), ready (tcp:${dbPort})`,
    `api is already running (pid ${pids[1]}), ready (http://127.0.0.1:${apiPort}/health)`,
    `web is already running (pid ${pids[2]})`,
    `worker is already running (pid ${pids[3]})`,
  ]);
  t.is(stamp(stamps, 'db', 'start').length, 1);
  t.is(processesOfHome(box.home).filter((pid) => pids.includes(pid)).length, 4);

  // Stop with no target: the config's apps, dependents first.
  const stopped = await box.run(['stop'], { cwd: dir });
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.deepEqual(stopped.stdout.trimEnd().split('\n'), [
    `stopped worker (pid ${pids[3]})`,
    `stopped web (pid ${pids[2]})`,
    `stopped api (pid ${pids[1]})`,
    `stopped db (pid ${pids[0]})`,
  ]);
  for (const pid of pids) t.false(isAlive(pid));
});

test('bgrun start <app> starts that app and what it depends on; config names work for stop, restart, logs and show', async (t) => {
  const box = sandbox(t);
  const { dir, stamps } = await threeTier(box);
  const r = await box.run(['start', 'web'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.trimEnd().split('\n').map((l) => l.split(' ')[1]), ['db', 'api', 'web']);
  t.deepEqual(stamp(stamps, 'worker', 'start'), []);

  // An app of the config that was never started: a clear error, exit 1.
  for (const command of ['stop', 'restart', 'logs', 'show']) {
    const never = await box.run([command, 'worker'], { cwd: dir });
    t.is(never.exitCode, 1, command);
    t.is(never.stderr.trim(), "bgrun: 'worker' is an app of bgrun.config.json but has not been started; start it with 'bgrun start worker'", command);
  }
  const logs = await box.run(['logs', 'web', '--err'], { cwd: dir });
  t.is(logs.stdout.trim(), 'starting web');
  const show = JSON.parse((await box.run(['show', 'api', '--json'], { cwd: dir })).stdout);
  t.is(show.status, 'running');
  const oldApi = pidOf(box, 'api');
  const restarted = await box.run(['restart', 'api'], { cwd: dir });
  t.is(restarted.exitCode, 0, restarted.stderr);
  t.not(pidOf(box, 'api'), oldApi);
  t.is(stamp(stamps, 'api', 'ready').length, 2, 'restart waited for its readiness');
  const stopped = await box.run(['stop', 'web', 'api', 'db'], { cwd: dir });
  t.is(stopped.exitCode, 0, stopped.stderr);
});

test('a failing app holds back only what depends on it: the others start, and the message names both', async (t) => {
  const box = sandbox(t);
  const stamps = path.join(box.dir, 'stamps');
  const app = (name: string, extra: Record<string, unknown> = {}) => ({ name, script: SERVER, env: { APP_NAME: name, STAMP_FILE: stamps }, ...extra });
  const dir = project(box, {
    'bgrun.config.json': JSON.stringify({
      apps: [
        app('web', { dependsOn: ['cache'] }),
        app('cache', { script: 'missing.js' }),
        app('admin', { dependsOn: ['web'] }),
        app('mailer'),
      ],
    }),
  });
  const r = await box.run(['start'], { cwd: dir });
  t.is(r.exitCode, 1);
  t.regex(r.stderr.split('\n')[0]!, /^bgrun: cannot start 'cache': .*missing\.js.*; not started: web, admin$/);
  t.deepEqual(r.stdout.trimEnd().split('\n'), [`started mailer (pid ${pidOf(box, 'mailer')})`]);
  t.true(isAlive(pidOf(box, 'mailer')));
  t.deepEqual(stamp(stamps, 'web', 'start'), []);
  t.deepEqual(stamp(stamps, 'admin', 'start'), []);
  await box.run(['stop', 'all']);
});

test('a dependency that dies before it is ready stops the start: dependents are not started', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const stamps = path.join(box.dir, 'stamps');
  const dir = project(box, {
    'bgrun.config.json': JSON.stringify({
      apps: [
        // wait 0: its death is seen by the readiness wait, not by the grace period, however loaded the machine.
        { name: 'db', script: SERVER, env: { APP_NAME: 'db', PORT: port, DELAY_MS: 60000, FAIL_AFTER_MS: 2000 }, wait: 0, ready: `tcp:${port}` },
        { name: 'web', script: SERVER, env: { APP_NAME: 'web', STAMP_FILE: stamps }, dependsOn: ['db'] },
      ],
    }),
  });
  const r = await box.run(['start'], { cwd: dir });
  t.is(r.exitCode, 1);
  t.is(
    r.stderr.split('\n')[0],
    `bgrun: 'db' exited with code 1 before it was ready (tcp:${port}); its stderr is in ${path.join(box.home, 'logs', 'db.err.log')}; not started: web`,
  );
  t.regex(r.stderr, /^ {2}fatal: giving up$/m);
  t.is(readText(stamps), '');
});

test('a dependsOn cycle is an error that names it, and nothing is started', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'bgrun.config.json': JSON.stringify({
      apps: [
        { name: 'web', script: SERVER, dependsOn: ['api'] },
        { name: 'api', script: SERVER, dependsOn: ['web'] },
        { name: 'db', script: SERVER },
      ],
    }),
  });
  for (const args of [['start'], ['start', 'db']]) {
    const r = await box.run(args, { cwd: dir });
    t.is(r.exitCode, 1);
    t.is(r.stderr.trim(), 'bgrun: bgrun.config.json: dependsOn cycle: web -> api -> web');
  }
  t.false(fs.existsSync(path.join(box.home, 'records', 'db.json')));
});

test('bad keys and types are refused with the path of the key (exit 1)', async (t) => {
  const box = sandbox(t);
  const cases: [unknown, string][] = [
    [{ apps: [{ name: 'a', script: SERVER }, { name: 'b', script: SERVER, restart: 'sometimes' }] }, 'apps[1].restart: expected "no", "on-failure" or "always", got "sometimes"'],
    [{ apps: [{ name: 'a', scirpt: SERVER }] }, 'apps[0].scirpt: unknown key (did you mean "script"?)'],
    [{ apps: [{ name: 'a', script: SERVER, env: { PORT: [3000] } }] }, 'apps[0].env.PORT: expected a string, number or boolean, got an array'],
  ];
  for (const [config, message] of cases) {
    const dir = project(box, { 'bgrun.config.json': JSON.stringify(config) });
    const r = await box.run(['start'], { cwd: dir });
    t.is(r.exitCode, 1);
    t.is(r.stderr.trim(), `bgrun: bgrun.config.json: ${message}`);
  }
  const dir = project(box, { 'bgrun.config.json': '{\n  "apps": [\n    { "script": "x.js", }\n  ]\n}\n' });
  const syntax = await box.run(['start', '--json'], { cwd: dir });
  t.is(syntax.exitCode, 1);
  t.regex(syntax.stderr, /^bgrun: bgrun\.config\.json: not valid JSON: .* at line 3, column 25/);
  t.is(JSON.parse(syntax.stdout).error.code, 'CONFIG_INVALID');
  const records = path.join(box.home, 'records');
  t.deepEqual(fs.existsSync(records) ? fs.readdirSync(records) : [], [], 'nothing was started');
});

test('no program and no config: the usage error (exit 2) mentions config files; a missing --config is exit 1', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {});
  const r = await box.run(['start'], { cwd: dir });
  t.is(r.exitCode, 2);
  t.is(
    r.stderr.trim(),
    "bgrun: missing program: 'bgrun start <script> [args...]' or 'bgrun start -- <command> [args...]', or put a config file (bgrun.config.json|.js|.mjs|.cjs, ecosystem.config.js|.cjs|.mjs, ecosystem.json|.yml|.yaml) or a Procfile here to start its apps",
  );
  // run and apply name the same files, and so does --config's help.
  const run = await box.run(['run'], { cwd: dir });
  t.is(run.exitCode, 2);
  t.regex(run.stderr, /or put a config file \(bgrun\.config\.json\|\.js\|\.mjs\|\.cjs, ecosystem\.config\.js\|\.cjs\|\.mjs, ecosystem\.json\|\.yml\|\.yaml\) or a Procfile here to run its apps$/m);
  const apply = await box.run(['apply'], { cwd: dir });
  t.is(apply.exitCode, 2);
  t.regex(apply.stderr, /^bgrun: no config file here \(bgrun\.config\.json\|\.js\|\.mjs\|\.cjs, ecosystem\.config\.js\|\.cjs\|\.mjs, ecosystem\.json\|\.yml\|\.yaml, Procfile\); give one: /);
  const help = await box.run(['start', '--help']);
  t.regex(help.stdout, /--config <file>\s+the config file \(default: the first here of bgrun\.config\.json\|\.js\|\.mjs\|\.cjs, ecosystem\.config\.js\|\.cjs\|\.mjs, ecosystem\.json\|\.yml\|\.yaml; else a Procfile\)/);
  const missing = await box.run(['start', '--config', 'nope.json'], { cwd: dir });
  t.is(missing.exitCode, 1);
  t.is(missing.stderr.trim(), 'bgrun: cannot read config file nope.json: no such file');
  const both = await box.run(['start', '--config', 'a.json', '--procfile', 'Procfile'], { cwd: dir });
  t.is(both.exitCode, 2);
  const stop = await box.run(['stop'], { cwd: dir });
  t.is(stop.exitCode, 2);
});

test('a pm2 ecosystem.config.js works unchanged', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'app/server.js': fs.readFileSync(fixture('env-dump.js'), 'utf8'),
    'ecosystem.config.js': `module.exports = {
  apps: [
    {
      name: 'api',
      script: 'server.js',
      args: 'a b',
      cwd: './app',
      env: { NODE_ENV: 'development', PORT: 3000 },
      env_production: { NODE_ENV: 'production' },
      instances: 1,
      exec_mode: 'fork',
    },
  ],
};
`,
  });
  const r = await box.run(['start'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout.trim(), `started api (pid ${pidOf(box, 'api')})`);
  const outLog = path.join(box.home, 'logs', 'api.out.log');
  await waitFor(() => readText(outLog).includes('\n'), { what: 'env dump' });
  const dump = JSON.parse(readText(outLog));
  t.is(dump.cwd, path.join(dir, 'app'));
  t.deepEqual(dump.argv, ['a', 'b']);
  t.is(dump.env.NODE_ENV, 'development');
  t.is(dump.env.PORT, '3000');
  const stopped = await box.run(['stop', 'api'], { cwd: dir });
  t.is(stopped.exitCode, 0, stopped.stderr);
});

test('bgrun.config.mjs with defineConfig, and --config from another folder (cwd relative to the config file)', async (t) => {
  const box = sandbox(t);
  const index = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
  const dir = project(box, {
    'bgrun.config.mjs': `import { defineConfig } from ${JSON.stringify(index)};
export default defineConfig({
  apps: [{ name: 'm', script: ${JSON.stringify(fixture('ready.js'))}, args: ['x'], cwd: 'data', ready: 'log:/^ready \\\\d+/' }],
});
`,
    'data/.keep': '',
  });
  const r = await box.run(['start', '--config', path.join(dir, 'bgrun.config.mjs')], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout.trim(), `started m (pid ${pidOf(box, 'm')}), ready (log:/^ready \\d+/)`);
  t.is(box.record('m').cwd, path.join(dir, 'data'));
  const pid = pidOf(box, 'm');
  const stopped = await box.run(['stop', '--config', path.join(dir, 'bgrun.config.mjs')], { cwd: box.dir });
  t.is(stopped.stdout.trim(), `stopped m (pid ${pid})`);
});

test('a Procfile runs each line through sh -c in its folder, with the .env beside it and a PORT per app', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    Procfile: `# two processes\nweb: echo "greeting=$GREETING in $(pwd) on $PORT" && exec node ${fixture('ready.js')} w\nclock: exec node ${fixture('ready.js')} c\n`,
    '.env': 'GREETING=hello from .env\n',
  });
  const r = await box.run(['start'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.trimEnd().split('\n'), [`started web (pid ${pidOf(box, 'web')})`, `started clock (pid ${pidOf(box, 'clock')})`]);
  const outLog = path.join(box.home, 'logs', 'web.out.log');
  await waitFor(() => readText(outLog).includes('ready'), { what: 'web ready line' });
  t.is(readText(outLog).split('\n')[0], `greeting=hello from .env in ${dir} on 5000`);
  t.deepEqual(box.record('web').command, ['/bin/sh', '-c', `echo "greeting=$GREETING in $(pwd) on $PORT" && exec node ${fixture('ready.js')} w`]);
  t.is((box.record('clock').envVars as Record<string, string>).PORT, '5100');

  // --procfile names one elsewhere; stop --config takes a Procfile too. A PORT in its .env is left to it.
  const other = project(box, { 'Procfile.dev': `tick: exec node ${fixture('ready.js')} t\n`, '.env': 'PORT=8080\n' }, 'other');
  const dev = await box.run(['start', '--procfile', path.join(other, 'Procfile.dev')], { cwd: box.dir });
  t.is(dev.exitCode, 0, dev.stderr);
  t.is(box.record('tick').cwd, other);
  t.deepEqual(box.record('tick').envVars, {});
  const stopDev = await box.run(['stop', '--config', path.join(other, 'Procfile.dev')], { cwd: box.dir });
  t.is(stopDev.stdout.trim(), `stopped tick (pid ${dev.stdout.match(/pid (\d+)/)![1]})`);
  const stopped = await box.run(['stop'], { cwd: dir });
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.is(stopped.stdout.trimEnd().split('\n').length, 2);
});

test('options for a single program are refused with config apps; a script here is never taken for an app name', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'bgrun.config.json': JSON.stringify({ apps: [{ name: 'ready.js', script: SERVER }, { name: 'web', script: SERVER }] }),
    'ready.js': fs.readFileSync(fixture('ready.js'), 'utf8'),
  });
  const env = await box.run(['start', '--env', 'A=1', 'web'], { cwd: dir });
  t.is(env.exitCode, 2);
  t.is(
    env.stderr.trim(),
    'bgrun: --env A=1 is for a program given on the command line; for the apps of bgrun.config.json, set it in that file, or name a profile: --env production picks env_production',
  );
  // ready.js is a file here: it runs as a script, not as the app of that name.
  const file = await box.run(['start', '--json', 'ready.js', 'arg'], { cwd: dir });
  t.is(file.exitCode, 0, file.stderr);
  t.deepEqual(JSON.parse(file.stdout).command.slice(1), [path.join(dir, 'ready.js'), 'arg']);
});

test("the library's start() takes config keys, waits for dependsOn and readiness", async (t) => {
  const box = sandbox(t);
  const { start, stop, ConfigError } = await import('../../src/index.js');
  const port = await freePort();
  const context = { home: box.home, env: { ...process.env, BGRUN_HOME: box.home } };
  const db = await start(
    { name: 'db', script: SERVER, env: { PORT: port, DELAY_MS: 600 }, ready: `tcp:${port}`, readyTimeout: '20s', wait: '100ms' },
    context,
  );
  t.is(db.status, 'running');
  t.true(await accepts(port));
  const web = await start({ name: 'web', script: 'ready.js', cwd: path.dirname(SERVER), args: 'x y', dependsOn: ['db'] }, context);
  t.deepEqual(web.args, ['x', 'y']);
  const error = await t.throwsAsync(start({ script: SERVER, restart: 'sometimes' } as never, context), { instanceOf: ConfigError });
  t.is(error?.message, 'start(): restart: expected "no", "on-failure" or "always", got "sometimes"');
  const missing = await t.throwsAsync(start({ name: 'w2', script: SERVER, dependsOn: ['nope'] }, context));
  t.is(missing?.message, "'w2' depends on 'nope', which bgrun does not manage; start it first");
  await stop(['web', 'db'], context);
});
