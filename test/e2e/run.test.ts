import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { BIN, ROOT, type Sandbox, fixture, isAlive, processesOfHome, sandbox, waitFor } from '../helpers/bgrun.js';
import { type Live, runLive } from '../helpers/run.js';

function writeConfig(box: Sandbox, apps: unknown[]): string {
  const file = path.join(box.dir, 'bgrun.config.json');
  fs.writeFileSync(file, JSON.stringify({ apps }));
  return file;
}

const node = (code: string) => ({ script: process.execPath, args: ['-e', code] });

test('prefixes every line with its app, aligned, marks stderr, and exits with the status of the app that ended', async (t) => {
  const box = sandbox(t);
  writeConfig(box, [
    { name: 'web', ...node("console.log('hello from web'); console.error('oops'); setInterval(() => {}, 1000)"), restart: 'always' },
    { name: 'migrate', ...node("setTimeout(() => { console.log('done\\nsecond line'); process.exit(3) }, 300)") },
  ]);
  const result = await box.run(['run'], { cwd: box.dir });
  t.is(result.exitCode, 3, result.stdout + result.stderr);
  const lines = result.stdout.split('\n');
  t.true(lines.includes('web     | hello from web'), result.stdout);
  t.true(lines.includes('web     ! oops'), result.stdout);
  t.true(lines.includes('migrate | done'), result.stdout);
  t.true(lines.includes('migrate | second line'), result.stdout);
  t.true(lines.includes('bgrun   | migrate exited with code 3; stopping everything (its restart policy is no)'), result.stdout);
  t.false(result.stdout.includes('\x1b['), 'no colour when piped');
  t.deepEqual(processesOfHome(box.home), []);
});

test('SIGTERM stops every process tree gracefully, leaves nothing behind and exits 0', async (t) => {
  const box = sandbox(t);
  writeConfig(box, [
    { name: 'tree', script: fixture('tree.js') },
    { name: 'idle', script: fixture('ready.js') },
  ]);
  const live = runLive(t, box, []);
  await waitFor(() => /grandchild \d+/.test(live.output()) && /idle +\| ready/.test(live.output()), { timeout: 30_000, what: 'both apps' });
  const pids = [...live.output().matchAll(/(?:child|middle|grandchild|ready) (\d+)/g)].map((m) => Number(m[1]));
  t.true(pids.length >= 4);
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
  t.true(live.output().includes('bgrun | SIGTERM: stopping every app'), live.output());
  for (const pid of pids) t.false(isAlive(pid), `pid ${pid} survived`);
  t.deepEqual(processesOfHome(box.home), []);
});

test('a second SIGINT kills at once what ignores the stop signal', async (t) => {
  const box = sandbox(t);
  const live = runLive(t, box, ['--stop-timeout', '60s', fixture('ignore-term.js')]);
  await waitFor(() => /\| ready (\d+)/.exec(live.output()), { timeout: 30_000, what: 'ready' });
  live.child.kill('SIGINT');
  await waitFor(() => live.output().includes('got SIGTERM, ignoring it'), { timeout: 30_000, what: 'the app to get SIGTERM' });
  const before = Date.now();
  live.child.kill('SIGINT');
  t.is(await live.exited, 130, live.output());
  t.true(Date.now() - before < 20_000);
  t.regex(live.output(), /ignore-term +\| bgrun|bgrun +\| ignore-term was killed by SIGKILL/);
  t.deepEqual(processesOfHome(box.home), []);
});

test('restart policies are the supervisor\'s: on-failure restarts with backoff, then gives up and stops with its status', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['run', '--restart', 'on-failure', '--max-restarts', '2', '--name', 'flaky', '--', 'sh', '-c', 'echo try; exit 4'], {
    cwd: box.dir,
  });
  t.is(result.exitCode, 4, result.stdout + result.stderr);
  t.is(result.stdout.match(/flaky \| try/g)?.length, 3, result.stdout);
  t.regex(result.stdout, /flaky exited with code 4; restarting in 100ms/);
  t.regex(result.stdout, /flaky exited with code 4: 3 quick crashes in a row, giving up; stopping everything/);
});

test('an app whose policy lets it end for good (on-failure, exit 0) does not stop the others; all ended: exit 0', async (t) => {
  const box = sandbox(t);
  writeConfig(box, [
    { name: 'once', ...node("console.log('one-shot')"), restart: 'on-failure' },
    { name: 'twice', ...node("setTimeout(() => console.log('later'), 500)"), restart: 'on-failure' },
  ]);
  const result = await box.run(['run'], { cwd: box.dir });
  t.is(result.exitCode, 0, result.stdout + result.stderr);
  t.regex(result.stdout, /once +\| one-shot/);
  t.regex(result.stdout, /twice +\| later/);
  t.regex(result.stdout, /every app has ended/);
});

test('dependsOn order gated on readiness: the dependent starts only once the probe of what it needs passed', async (t) => {
  const box = sandbox(t);
  writeConfig(box, [
    { name: 'web', ...node("console.log('web up'); setInterval(() => {}, 1000)"), dependsOn: ['db'] },
    { name: 'db', ...node("setTimeout(() => console.log('accepting connections'), 800); setInterval(() => {}, 1000)"), ready: 'log:/accepting/' },
  ]);
  const live = runLive(t, box, []);
  await waitFor(() => live.output().includes('web up'), { timeout: 30_000, what: 'web' });
  const out = live.output();
  t.true(out.indexOf('db is ready (log:/accepting/)') < out.indexOf('started web'), out);
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0);
  // Dependents stop first.
  const after = live.output();
  t.true(after.indexOf('web was killed') < after.indexOf('db was killed'), after);
});

test('a Procfile runs as foreman does (a PORT each, the .env beside it), and nothing is written to the state folder', async (t) => {
  const box = sandbox(t);
  fs.writeFileSync(path.join(box.dir, '.env'), 'GREETING=hello\n');
  fs.writeFileSync(path.join(box.dir, 'Procfile'), 'web: echo "web $GREETING $PORT"; exec sleep 100\nworker: echo "worker $PORT"; exec sleep 100\n');
  const live = runLive(t, box, []);
  await waitFor(() => /web +\| web hello 5000/.test(live.output()) && /worker +\| worker 5100/.test(live.output()), { timeout: 30_000, what: 'both apps' });
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
  t.false(fs.existsSync(box.home), 'no state folder is needed or made');
  t.deepEqual(processesOfHome(box.home), []);
});

test('a stop uses each app\'s --stop-signal, and its --kill-timeout before SIGKILL', async (t) => {
  const box = sandbox(t);
  const code = "process.on('SIGINT', () => { console.log('got SIGINT'); process.exit(0) }); console.log('up'); setInterval(() => {}, 1000)";
  const live = runLive(t, box, ['--name', 'gentle', '--stop-signal', 'INT', '--kill-timeout', '30s', '--', process.execPath, '-e', code]);
  await waitFor(() => /gentle +\| up/.test(live.output()), { timeout: 30_000, what: 'the app' });
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
  t.regex(live.output(), /gentle +\| got SIGINT/);
  t.regex(live.output(), /gentle exited with code 0/);
});

test('a script that does not exist is refused before anything runs', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['run', 'missing.js'], { cwd: box.dir });
  t.is(result.exitCode, 1);
  t.regex(result.stderr.split('\n')[0]!, /^bgrun: .*missing\.js/);
  t.false(fs.existsSync(box.home), 'no state folder is needed or made');
});

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

/** Orphans that end a moment later, one every 0.2 s: a PID 1 that does not reap them collects zombies. */
const ORPHANS = 'echo "pid1 is $(cat /proc/1/comm)"; while :; do ( sleep 0.05 & ); sleep 0.2; done';

function zombiesOf(pid: number): number {
  let count = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] === 'Z' && Number(f[1]) === pid) count++;
    } catch {
      // gone
    }
  }
  return count;
}

const nodeCanExec = typeof (process as unknown as { execve?: unknown }).execve === 'function';

/**
 * PID 1 of the namespace (unshare's only child) reaps the orphans, then SIGTERM to it ends
 * bgrun run with 0. Without a reaper the orphans' zombies only pile up; with one, a zombie
 * lives until the init is next scheduled, so "none left" is waited for, not sampled once.
 */
async function expectReapedThenStopped(t: ExecutionContext, live: Live): Promise<void> {
  const init = Number(fs.readFileSync(`/proc/${live.child.pid}/task/${live.child.pid}/children`, 'utf8').trim());
  // Enough orphans to have piled up as zombies if nothing reaped them.
  await waitFor(() => fs.readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(' ').length >= 2, { what: 'orphans' });
  await new Promise((r) => setTimeout(r, 1500));
  await waitFor(() => zombiesOf(init) === 0, { timeout: 10_000, what: `no zombie child of PID 1 (${zombiesOf(init)} now)` });
  process.kill(init, 'SIGTERM');
  t.is(await live.exited, 0, live.output());
}

(canUnshare ? test : test.skip)('as PID 1 of a new pid namespace (under bgrun-init) it reaps every orphan, forwards SIGTERM and exits 0', async (t) => {
  const box = sandbox(t);
  // On Node 22.15+ bgrun run puts bgrun-init in front of itself; on older Nodes it is the entry point, as the README says.
  const command = nodeCanExec
    ? ['unshare', '--pid', '--fork', '--mount-proc', process.execPath, BIN]
    : ['unshare', '--pid', '--fork', '--mount-proc', path.join(ROOT, 'bin', 'bgrun-init'), process.execPath, BIN];
  const live = runLive(t, box, ['--name', 'orphans', '--', 'sh', '-c', ORPHANS], command);
  await waitFor(() => /orphans +\| pid1 is/.test(live.output()), { timeout: 30_000, what: 'the app' });
  // bgrun-init runs as `/bin/sh bgrun-init ...` (comm: sh) or directly (comm: bgrun-init).
  t.regex(live.output(), /orphans +\| pid1 is (bgrun-init|sh)/);
  await expectReapedThenStopped(t, live);
  t.regex(live.output(), /SIGTERM: stopping every app/);
});

(canUnshare ? test : test.skip)('started as the bgrun command itself as PID 1, on any Node, its shell line puts bgrun-init in front: no warning, no zombie', async (t) => {
  const box = sandbox(t);
  // As a container's entry point runs it: the executable, whose shell line starts Node (from PATH).
  box.env.PATH = `${path.dirname(process.execPath)}:${process.env.PATH}`;
  const live = runLive(t, box, ['--name', 'orphans', '--', 'sh', '-c', ORPHANS], ['unshare', '--pid', '--fork', '--mount-proc', BIN]);
  await waitFor(() => /orphans +\| pid1 is/.test(live.output()), { timeout: 30_000, what: 'the app' });
  t.regex(live.output(), /orphans +\| pid1 is (bgrun-init|sh)/);
  t.notRegex(live.output(), /warning/);
  await expectReapedThenStopped(t, live);
});

(canUnshare ? test : test.skip)('as PID 1, --watch and --health cmd: restart the app with the supervisor\'s code, and no zombie is left', async (t) => {
  const box = sandbox(t);
  const src = path.join(box.dir, 'src');
  fs.mkdirSync(src);
  const command = nodeCanExec
    ? ['unshare', '--pid', '--fork', '--mount-proc', process.execPath, BIN]
    : ['unshare', '--pid', '--fork', '--mount-proc', path.join(ROOT, 'bin', 'bgrun-init'), process.execPath, BIN];
  // The health check passes while src/ok exists; each check is a child of bgrun to reap.
  const health = `cmd:test -f ${path.join(src, 'ok')}`;
  fs.writeFileSync(path.join(src, 'ok'), '');
  const args = ['--name', 'orphans', `--watch=${src}`, '--watch-ignore', 'ok', '--health', health, '--health-interval', '300ms', '--health-retries', '2'];
  const live = runLive(t, box, [...args, '--', 'sh', '-c', ORPHANS], command);
  const runs = () => live.output().match(/orphans +\| pid1 is/g)?.length ?? 0;
  await waitFor(() => runs() === 1 && /watching .*src for orphans/.test(live.output()), { timeout: 30_000, what: 'the app and its watch' });
  fs.writeFileSync(path.join(src, 'a.js'), '1');
  await waitFor(() => runs() >= 2, { timeout: 30_000, what: 'the restart by the watch' });
  t.regex(live.output(), /restarting orphans: a change \(.*a\.js\)/);
  fs.rmSync(path.join(src, 'ok'));
  await waitFor(() => runs() >= 3, { timeout: 30_000, what: 'the restart by the health check' });
  t.regex(live.output(), /restarting orphans: its health check failed/);
  fs.writeFileSync(path.join(src, 'ok'), '');
  await expectReapedThenStopped(t, live);
});

(canUnshare && !nodeCanExec ? test : test.skip)('as PID 1 on a Node that cannot exec, it warns in one line how to put an init in front', async (t) => {
  const box = sandbox(t);
  const result = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, 'run', '--', 'true'], {
    env: { ...process.env, ...box.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(result.status, 0, result.stderr);
  t.regex(result.stderr.split('\n')[0]!, /^bgrun: warning: bgrun run is PID 1 and this Node cannot reap orphaned processes .*'bgrun-init bgrun run'/);
});

test('on a terminal each app has its colour; NO_COLOR turns it off', async (t) => {
  const box = sandbox(t);
  const runInPty = (env: Record<string, string | undefined>) =>
    new Promise<string>((resolve) => {
      const command = `exec '${process.execPath}' '${BIN}' run --name hello -- echo hi`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: box.dir, env: { ...process.env, ...box.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.once('close', () => resolve(text));
    });
  // An undefined value removes the variable from the child's environment.
  const coloured = await runInPty({ NO_COLOR: undefined });
  t.true(coloured.includes('\x1b[36mhello\x1b[0m | hi'), JSON.stringify(coloured));
  const plain = await runInPty({ NO_COLOR: '1' });
  t.true(plain.includes('hello | hi'), JSON.stringify(plain));
  t.false(plain.includes('\x1b['));
});
