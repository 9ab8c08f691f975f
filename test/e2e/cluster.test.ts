import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';

test.after.always(sweepAll);

const SERVER = fixture('whoami-server.js');

interface Who {
  pid: number;
  instance: string;
}

/** One request on a fresh connection (no keep-alive): a refused or reset connection is a failure. */
function ask(port: number): Promise<Who> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

function state(box: ReturnType<typeof sandbox>, name: string): { workers: { index: number; pid: number }[] } {
  return JSON.parse(fs.readFileSync(path.join(box.home, 'cluster', `${name}.state.json`), 'utf8'));
}

test('cluster mode: workers share one port; reload under continuous requests fails none and replaces every worker', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const r = await box.run(['start', '--cluster', '-i', '3', '--name', 'web', '--ready', `tcp:${port}`, SERVER], { env: { PORT: String(port) } });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => state(box, 'web').workers.length === 3, { what: '3 workers' });
  const before = state(box, 'web').workers.map((w) => w.pid);
  // Every worker answers on the one port.
  const seen = new Set<number>();
  await waitFor(async () => {
    seen.add((await ask(port)).pid);
    return seen.size === 3;
  }, { what: 'all three workers answering' });
  t.deepEqual([...seen].sort(), [...before].sort());

  // A client that sends requests all through the reload.
  let ok = 0;
  const failures: string[] = [];
  let running = true;
  const client = (async () => {
    while (running) {
      try {
        await ask(port);
        ok++;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  })();
  await waitFor(() => ok > 20, { what: 'requests before the reload' });
  const reload = await box.run(['reload', 'web']);
  const during = ok;
  await waitFor(() => ok > during + 20, { what: 'requests after the reload' });
  running = false;
  await client;
  t.is(reload.exitCode, 0, reload.stderr);
  t.deepEqual(failures, [], `${failures.length} failed of ${ok + failures.length}`);
  const after = state(box, 'web').workers.map((w) => w.pid);
  t.is(after.length, 3);
  for (const pid of before) {
    t.false(after.includes(pid), `worker ${pid} replaced`);
    await waitFor(() => !isAlive(pid), { what: `old worker ${pid} gone` });
  }
  t.deepEqual(
    reload.stdout.trim().split('\n'),
    [0, 1, 2].map((i) => `reloaded web worker ${i} (pid ${before[i]} -> ${after[i]}), listening before the old one was disconnected`),
  );
  t.log(`${ok} requests, 0 failed; primary pid ${box.record('web').pid}`);

  const shown = JSON.parse((await box.run(['show', 'web', '--json'])).stdout);
  t.deepEqual(
    shown.workers.map((w: { pid: number }) => w.pid),
    after,
  );
  // Scale: the primary forks or retires workers.
  t.is((await box.run(['scale', 'web', '2'])).exitCode, 0);
  t.is(state(box, 'web').workers.length, 2);
});

test('cluster mode: the primary killed by SIGKILL takes its workers with it; the supervisor restarts the app as a whole', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const r = await box.run(['start', '--cluster', '-i', '2', '--name', 'web', '--restart', 'always', '--ready', `tcp:${port}`, SERVER], { env: { PORT: String(port) } });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => state(box, 'web').workers.length === 2, { what: '2 workers' });
  const primary = box.record('web').pid!;
  const workers = state(box, 'web').workers.map((w) => w.pid);
  process.kill(primary, 'SIGKILL');
  for (const pid of workers) await waitFor(() => !isAlive(pid), { what: `worker ${pid} stopped with its primary` });
  await waitFor(() => box.record('web').pid !== primary && box.record('web').status === 'running', { timeout: 20_000, what: 'restarted' });
  await waitFor(() => {
    try {
      const now = state(box, 'web').workers;
      return now.length === 2 && now.every((w) => !workers.includes(w.pid));
    } catch {
      return false;
    }
  }, { timeout: 20_000, what: 'new workers' });
  t.pass();
});

test('cluster mode: a non-Node program is refused and nothing starts; a pm2 ecosystem file with instances, exec_mode cluster, env_production and namespace starts unchanged', async (t) => {
  const box = sandbox(t);
  const refused = await box.run(['start', '--cluster', '-i', '2', fixture('ready.sh')]);
  t.is(refused.exitCode, 1);
  t.regex(refused.stderr.trim(), /^bgrun: cluster mode runs Node programs only \(it uses Node's cluster module\), and .*ready\.sh runs with sh; use --instances without --cluster/);
  t.false(fs.existsSync(path.join(box.home, 'records', 'ready.json')));

  const port = await freePort();
  fs.writeFileSync(
    path.join(box.dir, 'ecosystem.config.js'),
    `module.exports = {
  apps: [{
    name: 'api',
    script: ${JSON.stringify(SERVER)},
    instances: 2,
    exec_mode: 'cluster',
    namespace: 'shop',
    env: { PORT: ${port}, VERSION: 'dev' },
    env_production: { VERSION: 'prod' },
  }],
};
`,
  );
  const r = await box.run(['start', '--env', 'production'], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => {
    try {
      return state(box, 'api').workers.length === 2;
    } catch {
      return false;
    }
  }, { what: '2 workers' });
  const who = await waitFor(async () => ask(port).catch(() => null), { what: 'api answers' });
  t.true(['0', '1'].includes(who.instance));
  t.is(((await ask(port)) as Who & { version: string }).version, 'prod');
  const list = await box.run(['list']);
  t.regex(list.stdout, /\napi\s+shop\s+\d+\s+running/);
  t.is((await box.run(['stop', '@shop'])).exitCode, 0);
});

const CRASHY = fixture('crash-once-server.js');

test('cluster mode: the only worker crashes; the primary forks it again and keeps running (no exit 0 taken as success by --restart on-failure)', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const markers = fs.mkdtempSync(path.join(box.dir, 'markers-'));
  const r = await box.run(['start', '--cluster', '-i', '1', '--name', 'cr', '--restart', 'on-failure', CRASHY], {
    env: { PORT: String(port), CRASH_DIR: markers },
  });
  t.is(r.exitCode, 0, r.stderr);
  const primary = box.record('cr').pid!;
  await waitFor(() => fs.existsSync(path.join(markers, 'started.0')), { what: 'the first worker' });
  const first = Number(fs.readFileSync(path.join(markers, 'started.0'), 'utf8'));
  // The first worker exits with code 3 on its own; a new one must take its place and answer.
  const who = await waitFor(async () => {
    const answer = await ask(port).catch(() => null);
    return answer && answer.pid !== first ? answer : null;
  }, { timeout: 20_000, what: 'a new worker answering' });
  t.is(who.instance, '0');
  t.false(isAlive(first));
  t.true(isAlive(primary), 'the primary still runs');
  const record = box.record('cr');
  t.is(record.pid, primary);
  t.is(record.status, 'running');
  t.is(record.restarts, 0, 'the app was not restarted: its worker was forked again');
  t.deepEqual(
    state(box, 'cr').workers.map((w) => w.pid),
    [who.pid],
  );
  t.regex(fs.readFileSync(path.join(box.home, 'logs', 'cr.err.log'), 'utf8'), /worker 0 \(pid \d+\) exited with code 3; forking it again in \d+ ms/);
  t.regex((await box.run(['list'])).stdout, /\ncr\s+\d+\s+running/);
});

test('cluster mode: both workers crash at once; the primary, left with none, forks both again', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const markers = fs.mkdtempSync(path.join(box.dir, 'markers-'));
  const r = await box.run(['start', '--cluster', '-i', '2', '--name', 'cr', CRASHY], {
    env: { PORT: String(port), CRASH_DIR: markers, CRASH_TOGETHER: '2' },
  });
  t.is(r.exitCode, 0, r.stderr);
  const primary = box.record('cr').pid!;
  await waitFor(() => fs.existsSync(path.join(markers, 'started.0')) && fs.existsSync(path.join(markers, 'started.1')), { what: 'both first workers' });
  const firsts = [0, 1].map((i) => Number(fs.readFileSync(path.join(markers, `started.${i}`), 'utf8')));
  await waitFor(() => {
    try {
      const now = state(box, 'cr').workers;
      return now.length === 2 && now.every((w) => w.pid !== null && !firsts.includes(w.pid) && isAlive(w.pid));
    } catch {
      return false;
    }
  }, { timeout: 20_000, what: 'two new workers' });
  for (const pid of firsts) t.false(isAlive(pid));
  t.true(isAlive(primary), 'the primary still runs');
  const seen = new Set<string>();
  await waitFor(async () => {
    const answer = await ask(port).catch(() => null);
    if (answer && !firsts.includes(answer.pid)) seen.add(answer.instance);
    return seen.size === 2;
  }, { timeout: 20_000, what: 'both new workers answering' });
  t.is(box.record('cr').status, 'running');
  t.is(box.record('cr').pid, primary);
});
