/**
 * `bgrun import pm2`: pm2's saved list (dump.pm2, written by `pm2 save`) started
 * under bgrun, or written as a bgrun.config.json. Against a dump the real pm2
 * (7.0.4) wrote (test/fixtures/pm2/dump.pm2, its folder replaced by __DIR__), and
 * against a fresh one from the real pm2 when it is installed here (the benchmark's
 * .bench-cache, or BGRUN_TEST_PM2=<pm2 package folder>).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ROOT, type Sandbox, fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';
import { LONG, firstLine, listJson, spawnOwn, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

const SERVER = "console.log('server', process.argv.slice(2).join(' '), process.env.PORT, process.execArgv.join(' '));\nsetInterval(() => {}, 1000);\n";
const WORKER = 'import time\nprint("worker up", flush=True)\nwhile True:\n    time.sleep(1)\n';

/** The apps the dump names, in a folder of the test's. */
function appFolder(box: Sandbox): string {
  const dir = path.join(box.dir, 'pm2project');
  fs.mkdirSync(path.join(dir, 'app'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'app', 'server.js'), SERVER);
  fs.writeFileSync(path.join(dir, 'app', 'worker.py'), WORKER);
  return dir;
}

function fixtureDump(box: Sandbox, dir: string): string {
  const file = path.join(box.dir, 'dump.pm2');
  fs.writeFileSync(file, fs.readFileSync(fixture('pm2/dump.pm2'), 'utf8').replaceAll('__DIR__', dir));
  return file;
}

/** What every dump of the ecosystem below must become. */
async function checkImported(t: ExecutionContext, box: Sandbox, dir: string, dump: string): Promise<void> {
  const r = await box.run(['import', 'pm2', '--dump', dump], { cwd: box.dir, env: { VIRTUAL_ENV: '' } });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started api \(pid \d+\)$/m);
  t.regex(r.stdout, /^started My-Worker \(pid \d+\)$/m);
  t.regex(r.stdout, /^ticker was stopped in pm2: not started/m);

  const api = box.record('api');
  t.deepEqual(api.command, [process.execPath, '--max-old-space-size=256', path.join(dir, 'app', 'server.js'), '--port', '3000']);
  t.is(api.cwd, path.join(dir, 'app'));
  t.is(api.restart, 'always');
  t.is(api.maxRestarts, 16);
  t.is(api.minUptimeMs, 1000);
  t.is(api.maxMemoryBytes, 200 * 1024 * 1024);
  t.true(Object.keys(api.envVars as object).includes('PORT'));
  t.false(Object.keys(api.envVars as object).some((k) => k.startsWith('PM2_') || k === 'PWD' || k === 'api'));
  await waitForMatch(api.outLog as string, /^server --port 3000 3000 --max-old-space-size=256$/m);

  const worker = box.record('My-Worker');
  t.is(worker.displayName, 'My Worker');
  t.is(worker.restart, 'no');
  t.is(path.extname((worker.command as string[])[1]!), '.py');
  await waitForMatch(worker.outLog as string, /^worker up$/m);
  t.false(fs.existsSync(path.join(box.home, 'records', 'ticker.json')));

  // --print: the same apps (ticker too) as a bgrun.config.json that loads; never over an existing file.
  const out = path.join(box.dir, 'converted', 'bgrun.config.json');
  fs.mkdirSync(path.dirname(out));
  const printed = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out]);
  t.is(printed.exitCode, 0, printed.stderr);
  t.regex(printed.stdout, /^wrote .*bgrun\.config\.json: api, My-Worker, ticker/m);
  t.notRegex(printed.stdout + printed.stderr, /3000"|production/, 'no env value printed');
  t.is(fs.statSync(out).mode & 0o777, 0o600);
  const config = JSON.parse(fs.readFileSync(out, 'utf8'));
  t.deepEqual(
    config.apps.map((a: Record<string, unknown>) => [a.name, a.restart, a.maxRestarts, a.minUptime]),
    [
      ['api', 'always', 16, 1000],
      ['My-Worker', 'no', undefined, undefined],
      ['ticker', 'always', 5, 5000],
    ],
  );
  t.is(config.apps[2].script, '/usr/bin/sleep');
  const again = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out]);
  t.is(again.exitCode, 1);
  t.regex(firstLine(again.stderr), /exists: bgrun will not overwrite it; give --output <another file>$/);
}

test('a dump written by the real pm2: online apps start with the same command, policy and env; --print writes the config', async (t) => {
  const box = sandbox(t);
  const dir = appFolder(box);
  await checkImported(t, box, dir, fixtureDump(box, dir));
});

test('an app pm2 still runs is not started twice; a missing dump says how to make one', async (t) => {
  const box = sandbox(t);
  const dir = appFolder(box);
  const dump = fixtureDump(box, dir);
  // pm2's pidfile for api names a live process: pm2 still runs it.
  const stand = spawnOwn(t, 'sleep', ['300']);
  fs.mkdirSync(path.join(dir, 'pm2home', 'pids'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pm2home', 'pids', 'api-0.pid'), String(stand.pid));
  const r = await box.run(['import', 'pm2', '--dump', dump]);
  t.is(r.exitCode, 1);
  t.is(
    firstLine(r.stderr),
    `bgrun: pm2 still runs 'api' (pid ${stand.pid}): stop them there first ('pm2 stop all', or 'pm2 kill' to end pm2), then import again; two copies would fight over ports and files`,
  );
  t.deepEqual(await listJson(box), []);

  const missing = await box.run(['import', 'pm2'], { env: { PM2_HOME: path.join(box.dir, 'nowhere') } });
  t.is(missing.exitCode, 1);
  t.regex(firstLine(missing.stderr), /^bgrun: cannot read pm2's saved list .*nowhere\/dump\.pm2: .*; run 'pm2 save' first, or give --dump <file>$/);
});

test('a variable a config cannot name (__proto__) is left out with a note, never lost silently', async (t) => {
  const box = sandbox(t);
  const dump = path.join(box.dir, 'dump.pm2');
  fs.writeFileSync(dump, '[{"name":"w","pm_exec_path":"/usr/bin/sleep","args":["600"],"exec_interpreter":"none","autorestart":false,"status":"stopped","env":{"__proto__":"x","constructor":"y","KEPT":"1"}}]');
  const out = path.join(box.dir, 'bgrun.config.json');
  const r = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out], { env: { KEPT: '' } });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stderr, /^bgrun: note: w: the variable __proto__ is not carried over \(a config cannot name it\)/m);
  t.regex(r.stderr, /^bgrun: note: w: the variable constructor is not carried over/m);
  t.notRegex(r.stderr, /"x"|"y"/, 'no value printed');
  t.deepEqual(JSON.parse(fs.readFileSync(out, 'utf8')).apps[0].env, { KEPT: '1' });
});

test('max_memory_restart with autorestart false is carried over: pm2 restarts over the limit all the same, and so does bgrun', async (t) => {
  const box = sandbox(t);
  const dump = path.join(box.dir, 'dump.pm2');
  fs.writeFileSync(dump, '[{"name":"m","pm_exec_path":"/usr/bin/sleep","args":["600"],"exec_interpreter":"none","autorestart":false,"max_memory_restart":209715200,"status":"stopped","env":{}}]');
  const out = path.join(box.dir, 'bgrun.config.json');
  const r = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out]);
  t.is(r.exitCode, 0, r.stderr);
  t.notRegex(r.stderr, /max_memory_restart/);
  t.like(JSON.parse(fs.readFileSync(out, 'utf8')).apps[0], { name: 'm', restart: 'no', maxMemory: 209715200 });
});

/** The programs of dump-instances.pm2 (pm2 7.0.4: `web` -i 2 in cluster mode, `queue` -i 2 in fork mode with increment_var QPORT). */
const CLUSTER_SERVER =
  "const http = require('node:http');\nhttp.createServer((req, res) => res.end(JSON.stringify({ instance: process.env.NODE_APP_INSTANCE, pid: process.pid }))).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening', process.env.PORT));\n";
const QUEUE = "console.log('queue', process.env.NODE_APP_INSTANCE, process.env.QPORT);\nsetInterval(() => {}, 1000);\n";

function instancesDump(box: Sandbox, port: number): { dir: string; dump: string } {
  const dir = path.join(box.dir, 'pm2project');
  fs.mkdirSync(path.join(dir, 'app'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'app', 'server.js'), CLUSTER_SERVER);
  fs.writeFileSync(path.join(dir, 'app', 'queue.js'), QUEUE);
  const dump = path.join(box.dir, 'dump.pm2');
  fs.writeFileSync(dump, fs.readFileSync(fixture('pm2/dump-instances.pm2'), 'utf8').replaceAll('__DIR__', dir).replaceAll('__PORT__', String(port)));
  return { dir, dump };
}

function get(port: number): Promise<{ instance: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

test('apps pm2 ran with -i 2 (one dump entry per instance) become one app of 2 copies each: cluster workers share the port, fork copies get their own index and increment_var', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const { dir, dump } = instancesDump(box, port);

  const out = path.join(box.dir, 'bgrun.config.json');
  const printed = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out]);
  t.is(printed.exitCode, 0, printed.stderr);
  t.regex(printed.stdout, /^wrote .*bgrun\.config\.json: web, queue \(from /m);
  const config = JSON.parse(fs.readFileSync(out, 'utf8'));
  t.deepEqual(
    config.apps.map((a: Record<string, unknown>) => [a.name, a.instances, a.exec_mode, a.increment_var, (a.env as Record<string, string>).QPORT]),
    [
      ['web', 2, 'cluster', undefined, undefined],
      ['queue', 2, undefined, 'QPORT', '4000'],
    ],
  );

  const r = await box.run(['import', 'pm2', '--dump', dump], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started web \(pid \d+\)$/m);
  t.regex(r.stdout, /^started queue\.0 \(pid \d+\)$/m);
  t.regex(r.stdout, /^started queue\.1 \(pid \d+\)$/m);
  t.deepEqual((await listJson(box)).map((p) => p.name).sort(), ['queue.0', 'queue.1', 'web']);

  // One cluster app: both workers answer on the one port (before: two apps on it, the second crash-looping with EADDRINUSE).
  const web = box.record('web');
  t.true(web.cluster as boolean);
  t.is(web.cwd, path.join(dir, 'app'));
  const seen = new Set<string>();
  await waitFor(
    async () => {
      seen.add((await get(port).catch(() => ({ instance: '' }))).instance);
      return seen.has('0') && seen.has('1');
    },
    { timeout: LONG, what: 'workers 0 and 1 answering' },
  );
  t.is(box.record('web').restarts, 0);
  t.notRegex(fs.readFileSync(web.errLog as string, 'utf8'), /EADDRINUSE/);

  // Fork copies: bgrun's own numbering, and QPORT from instance 0's 4000 plus the index, as pm2 gave them.
  for (const i of [0, 1]) {
    const copy = box.record(`queue.${i}`);
    t.is(copy.app, 'queue');
    await waitForMatch(copy.outLog as string, new RegExp(`^queue ${i} ${4000 + i}$`, 'm'));
  }
});

test('two pm2 apps with one name but different scripts stay two apps; the second is numbered without taking another app\'s name', async (t) => {
  const box = sandbox(t);
  const entry = (name: string, cwd: string) =>
    ({ name, pm_exec_path: '/usr/bin/sleep', args: ['600'], pm_cwd: cwd, exec_interpreter: 'none', autorestart: false, status: 'stopped', NODE_APP_INSTANCE: 0, env: {} });
  const dump = path.join(box.dir, 'dump.pm2');
  // pm2 allows `pm2 start a --name web` beside `pm2 start b --name web`; and an app may be named web-2 already.
  // "My API" and "My-API" both map to My-API: pm2's own valid name keeps it.
  fs.writeFileSync(dump, JSON.stringify([entry('web', '/'), entry('web', '/tmp'), entry('web-2', '/'), entry('My API', '/'), entry('My-API', '/')]));
  const out = path.join(box.dir, 'bgrun.config.json');
  const r = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out]);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^ {2}pm2's 'web' is 'web-3' there$/m);
  t.regex(r.stdout, /^ {2}pm2's 'My API' is 'My-API-2' there$/m);
  const apps = JSON.parse(fs.readFileSync(out, 'utf8')).apps as Record<string, unknown>[];
  t.deepEqual(apps.map((a) => [a.name, a.cwd, a.instances]), [
    ['web', '/', undefined],
    ['web-3', '/tmp', undefined],
    ['web-2', '/', undefined],
    ['My-API-2', '/', undefined],
    ['My-API', '/', undefined],
  ]);
});

test('exec_interpreter "none" is carried over where bgrun would pick an interpreter by the extension (a .sh pm2 ran itself), left out for a binary', async (t) => {
  const box = sandbox(t);
  const dump = path.join(box.dir, 'dump.pm2');
  const entry = (name: string, script: string) => ({ name, pm_exec_path: script, exec_interpreter: 'none', autorestart: false, status: 'stopped', env: {} });
  fs.writeFileSync(dump, JSON.stringify([entry('job', path.join(box.dir, 'job.sh')), entry('s', '/usr/bin/sleep')]));
  const out = path.join(box.dir, 'bgrun.config.json');
  const r = await box.run(['import', 'pm2', '--dump', dump, '--print', '--output', out]);
  t.is(r.exitCode, 0, r.stderr);
  const apps = JSON.parse(fs.readFileSync(out, 'utf8')).apps;
  t.is(apps[0].interpreter, 'none');
  t.is(apps[1].interpreter, undefined);
});

/** pm2's package folder, when installed here; null otherwise. */
function realPm2(): string | null {
  for (const dir of [process.env.BGRUN_TEST_PM2, path.join(ROOT, '.bench-cache', 'node_modules', 'pm2')]) {
    if (dir && fs.existsSync(path.join(dir, 'bin', 'pm2'))) return dir;
  }
  return null;
}
const PM2 = realPm2();
const livePm2 = PM2 ? test : test.skip;
if (!PM2) console.warn("import-pm2.test.ts: the live pm2 test is skipped: pm2 is not installed here ('npm run bench -- --quick' installs it into .bench-cache, or set BGRUN_TEST_PM2)");

livePm2('a dump the real pm2 writes now (pm2 start, pm2 save, pm2 kill), imported', async (t) => {
  const box = sandbox(t);
  const dir = appFolder(box);
  fs.writeFileSync(
    path.join(dir, 'ecosystem.config.js'),
    `module.exports = { apps: [
  { name: 'api', script: 'server.js', cwd: __dirname + '/app', args: '--port 3000', env: { PORT: '3000', NODE_ENV: 'production' }, max_memory_restart: '200M', node_args: '--max-old-space-size=256' },
  { name: 'My Worker', script: 'worker.py', cwd: __dirname + '/app', interpreter: 'python3', autorestart: false },
  { name: 'ticker', script: 'sleep', args: '600', interpreter: 'none', max_restarts: 5, min_uptime: '5s' },
] };
`,
  );
  const home = path.join(dir, 'pm2home');
  // pm2 with its own home and a small environment, never the user's.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, PM2_HOME: home };
  const pm2 = (...args: string[]) => spawnSync(process.execPath, [path.join(PM2!, 'bin', 'pm2'), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  t.teardown(() => {
    // Its daemon by pid (never by name), then the apps it left, by their pidfiles.
    for (const file of [path.join(home, 'pm2.pid'), ...listPids(path.join(home, 'pids'))]) {
      const pid = Number(readOr(file));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
  t.is(pm2('start', 'ecosystem.config.js').status, 0);
  t.is(pm2('stop', 'ticker').status, 0);
  const saved = pm2('save');
  t.is(saved.status, 0, saved.stderr);
  const daemon = Number(readOr(path.join(home, 'pm2.pid')));
  t.is(pm2('kill').status, 0);
  await waitFor(() => !isAlive(daemon), { timeout: LONG, what: "pm2's daemon to end" });
  const dump = path.join(home, 'dump.pm2');
  if (process.env.BGRUN_WRITE_PM2_FIXTURE === '1') {
    fs.writeFileSync(fixture('pm2/dump.pm2'), fs.readFileSync(dump, 'utf8').replaceAll(dir, '__DIR__'));
  }
  await checkImported(t, box, dir, dump);
});

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function listPids(dir: string): string[] {
  try {
    return fs.readdirSync(dir).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
