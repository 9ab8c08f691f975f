import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';

test.after.always(sweepAll);

const SERVER = fixture('whoami-server.js');

async function ask(port: number): Promise<{ pid: number; port: number; instance: string; app: string; version: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return (await response.json()) as never;
}

/** Three loopback ports in a row that nothing listens on. */
async function freeRun(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count > 65535) continue;
    const { accepts } = await import('../helpers/ports.js');
    let ok = true;
    for (let i = 1; i < count; i++) if (await accepts(base + i)) ok = false;
    if (ok) return base;
  }
}

test('-i 3: three copies <name>.0-2, each with its index and PORT raised by it; the name addresses all, <name>.N one', async (t) => {
  const box = sandbox(t);
  const base = await freeRun(3);
  const r = await box.run(['start', '-i', '3', '--name', 'web', '--increment-var', 'PORT', '--env', `PORT=${base}`, '--ready', 'log:/listening/', SERVER]);
  t.is(r.exitCode, 0, r.stderr);
  const pids = [0, 1, 2].map((i) => box.record(`web.${i}`).pid!);
  t.deepEqual(
    r.stdout.split('\n').filter((l) => l.startsWith('started')),
    pids.map((pid, i) => `started web.${i} (pid ${pid}), ready (log:/listening/)`),
  );
  for (const i of [0, 1, 2]) {
    const who = await ask(base + i);
    t.is(who.pid, pids[i]!);
    t.is(who.instance, String(i));
    t.is(who.app, String(i), 'NODE_APP_INSTANCE');
    t.is(who.port, base + i);
  }
  const list = JSON.parse((await box.run(['list', '--json'])).stdout) as { name: string; app: string; instance: number }[];
  t.deepEqual(
    list.map((p) => [p.name, p.app, p.instance]),
    [
      ['web.0', 'web', 0],
      ['web.1', 'web', 1],
      ['web.2', 'web', 2],
    ],
  );
  const logs = await box.run(['logs', 'web', '--out', '-n', '1']);
  t.is(logs.exitCode, 0, logs.stderr);
  for (const i of [0, 1, 2]) t.true(logs.stdout.includes(`listening on ${base + i} as ${i}`), logs.stdout);

  // One copy by its own name.
  const one = await box.run(['stop', 'web.1']);
  t.is(one.stdout.trim(), `stopped web.1 (pid ${pids[1]})`);
  await waitFor(() => !isAlive(pids[1]!), { what: 'web.1 gone' });
  t.true(isAlive(pids[0]!) && isAlive(pids[2]!));

  // restart web: every copy, each on its own port again.
  const again = await box.run(['restart', 'web']);
  t.is(again.exitCode, 0, again.stderr);
  const fresh = [0, 1, 2].map((i) => box.record(`web.${i}`).pid!);
  for (const i of [0, 1, 2]) t.is((await ask(base + i)).pid, fresh[i]!);

  const all = await box.run(['stop', 'web']);
  t.deepEqual(
    all.stdout.trim().split('\n'),
    fresh.map((pid, i) => `stopped web.${i} (pid ${pid})`),
  );
  for (const pid of fresh) await waitFor(() => !isAlive(pid), { what: `pid ${pid} gone` });
});

test('--instance-var names the index variable; --merge-logs shares one log per stream', async (t) => {
  const box = sandbox(t);
  const base = await freeRun(2);
  const r = await box.run(['start', '-i', '2', '--name', 'api', '--instance-var', 'WORKER_ID', '--merge-logs', '--increment-var', 'PORT', '--ready', 'log:/listening/', SERVER], {
    env: { PORT: String(base), INSTANCE_VAR: 'WORKER_ID' },
  });
  t.is(r.exitCode, 0, r.stderr);
  t.is((await ask(base + 1)).app, '1');
  t.is(box.record('api.0').outLog, path.join(box.home, 'logs', 'api.out.log'));
  t.is(box.record('api.1').outLog, box.record('api.0').outLog);
  const text = await waitFor(() => {
    const s = fs.readFileSync(path.join(box.home, 'logs', 'api.out.log'), 'utf8');
    return s.includes(`as 0`) && s.includes(`as 1`) ? s : null;
  });
  t.regex(text, /listening on \d+ as 0/);
});

test('-i max is one copy per CPU; a copy of a supervised app is restarted by the supervisor', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '-i', 'max', '--name', 'tick', '--restart', 'always', fixture('ticker.js')]);
  t.is(r.exitCode, 0, r.stderr);
  const list = JSON.parse((await box.run(['list', '--json'])).stdout) as { name: string }[];
  const { availableParallelism } = await import('node:os');
  t.is(list.length, availableParallelism());
  const pid = box.record('tick.0').pid!;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => box.record('tick.0').pid !== pid && box.record('tick.0').status === 'running', { timeout: 20_000, what: 'tick.0 restarted' });
  t.is(box.record('tick.0').restarts, 1);
});

test('bad input: instances of a non-number, a copy name taken by another program, a name that is an app', async (t) => {
  const box = sandbox(t);
  const bad = await box.run(['start', '-i', 'many', fixture('ticker.js')]);
  t.is(bad.exitCode, 2);
  t.is(bad.stderr.trim(), "bgrun: invalid --instances 'many': use a whole number, max or 0 (one per CPU), or -1 (one less than the CPUs)");
  const noPort = await box.run(['start', '-i', '2', '--increment-var', 'PORT', fixture('ticker.js')], { env: { PORT: '' } });
  t.is(noPort.exitCode, 2);
  t.is(noPort.stderr.trim(), 'bgrun: --increment-var PORT: PORT is not a whole number for this program; set it, e.g. --env PORT=3000');
  const noCopies = await box.run(['start', '--increment-var', 'PORT', fixture('ticker.js')]);
  t.is(noCopies.stderr.trim(), 'bgrun: --increment-var is for copies of an app: add --instances <N>');

  t.is((await box.run(['start', '--name', 'w.1', fixture('ticker.js')])).exitCode, 0);
  const clash = await box.run(['start', '-i', '2', '--name', 'w', fixture('ticker.js')]);
  t.is(clash.exitCode, 1);
  t.is(clash.stderr.trim(), "bgrun: copy 1 of 'w' would be named 'w.1', which is another program's name; choose another name for the app");
  t.false(fs.existsSync(path.join(box.home, 'records', 'w.0.json')), 'nothing written');

  t.is((await box.run(['start', '-i', '2', '--name', 'q', fixture('ticker.js')])).exitCode, 0);
  const hide = await box.run(['start', '--name', 'q', fixture('ticker.js')]);
  t.is(hide.exitCode, 1);
  t.is(hide.stderr.trim(), "bgrun: 'q' is the name of an app with copies (q.0, …); choose another --name");
  const twice = await box.run(['start', '-i', '2', '--name', 'q', fixture('ticker.js')]);
  t.is(twice.exitCode, 1);
  t.regex(twice.stderr, /^bgrun: 'q' is already running \(pid \d+\)/);
});

test('config: instances, increment_var, instance_var and a name clash between apps', async (t) => {
  const box = sandbox(t);
  const base = await freeRun(2);
  const file = path.join(box.dir, 'ecosystem.config.js');
  fs.writeFileSync(
    file,
    `module.exports = { apps: [{ name: 'web', script: ${JSON.stringify(SERVER)}, instances: 2, increment_var: 'PORT', env: { PORT: ${base} } }] };\n`,
  );
  const r = await box.run(['start', '--wait', '1s'], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started web\.0 \(pid \d+\)\nstarted web\.1 \(pid \d+\)$/);
  await waitFor(async () => (await ask(base + 1).catch(() => null))?.instance === '1', { what: 'web.1 answers' });
  const again = await box.run(['start'], { cwd: box.dir });
  t.regex(again.stdout, /^web\.0 is already running \(pid \d+\)\nweb\.1 is already running \(pid \d+\)$/);

  fs.writeFileSync(
    path.join(box.dir, 'bgrun.config.json'),
    JSON.stringify({ apps: [{ name: 'a', script: SERVER, instances: 3 }, { name: 'a.2', script: SERVER }] }),
  );
  const clash = await box.run(['start', '--config', 'bgrun.config.json'], { cwd: box.dir });
  t.is(clash.exitCode, 1);
  t.is(clash.stderr.trim(), 'bgrun: bgrun.config.json: apps[1].name: "a.2" is also the name of copy 2 of apps[0] ("a", 3 instances); rename one of them');
  fs.writeFileSync(path.join(box.dir, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'a', script: SERVER, instances: 'lots' }] }));
  const nan = await box.run(['start', '--config', 'bgrun.config.json'], { cwd: box.dir });
  t.is(nan.stderr.trim(), 'bgrun: bgrun.config.json: apps[0].instances: expected a whole number, "max" or 0 (one per CPU), or -1 (one less than the CPUs), got "lots"');
});

test('namespaces: list shows them; @ns addresses the group without clashing with a program of that name', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--namespace', 'api', '--name', 'users', fixture('ticker.js')])).exitCode, 0);
  t.is((await box.run(['start', '--namespace', 'api', '-i', '2', '--name', 'orders', fixture('ticker.js')])).exitCode, 0);
  t.is((await box.run(['start', '--name', 'api', fixture('ticker.js')])).exitCode, 0);
  const list = await box.run(['list']);
  t.regex(list.stdout.split('\n')[0]!, /^NAME\s+NAMESPACE\s+PID/);
  t.regex(list.stdout, /\napi\s+-\s+\d+/);
  t.regex(list.stdout, /\norders\.1\s+api\s+\d+/);
  const stopped = await box.run(['stop', '@api']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.deepEqual(
    stopped.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[1])
      .sort(),
    ['orders.0', 'orders.1', 'users'],
  );
  t.is(box.record('api').status, 'running', 'the program named api is not in namespace api');
  const none = await box.run(['stop', '@nothing']);
  t.is(none.exitCode, 1);
  t.is(none.stderr.trim(), "bgrun: no program in namespace 'nothing'; see 'bgrun list'");
  const bad = await box.run(['start', '--namespace', 'a b', fixture('ticker.js')]);
  t.is(bad.exitCode, 2);
});
