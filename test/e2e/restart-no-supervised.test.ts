/**
 * `--restart no` with a watch or a schedule (pm2's `autorestart: false` with `watch` or
 * `cron_restart`): supervised, an exit is not restarted, the watch or the schedule
 * starts it again. pm2 does the same: lib/God.js handleExit does not restart an app
 * with autorestart false, and the cron job (lib/Worker.js registerCron) and the watcher
 * call restartProcessId, which starts an app that is not online.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { BIN, fixture, readText, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const LONG = 30_000;
const RUNS = fixture('sup-runs.js');
const TICKER = fixture('ticker.js');

const lines = (file: string, word: string) => readText(file).split('\n').filter((l) => l.startsWith(`${word} `)).length;
const supervisorLog = (box: Sandbox) => readText(path.join(box.home, 'supervisor.log'));

test("a pm2 file's autorestart: false with cron_restart: not restarted on exit, started again by the schedule", async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.copyFileSync(RUNS, path.join(app, 'job.js'));
  const runsFile = path.join(box.dir, 'runs');
  fs.writeFileSync(
    path.join(app, 'ecosystem.config.js'),
    `module.exports = { apps: [{ name: 'job', script: './job.js', autorestart: false, cron_restart: '*/2 * * * * *',
      env: { RUNS_FILE: ${JSON.stringify(runsFile)}, LIVE_MS: '50', EXIT_CODE: '1' } }] };\n`,
  );
  const r = await box.run(['start', 'ecosystem.config.js', '--wait', '0'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  t.is(box.record('job').restart, 'no');
  await waitFor(() => lines(runsFile, 'start') >= 3, { timeout: LONG, what: 'three runs, each started by the schedule' });
  const log = supervisorLog(box);
  // Each run exits with code 1 and is not restarted: only the schedule starts it.
  t.regex(log, /job exited with code 1; not restarted \(--restart no\)/);
  t.notRegex(log, /job exited with code 1; restarting/);
  t.regex(log, /starting job: its --cron-restart schedule/);
  const show = await box.run(['show', 'job']);
  t.regex(show.stdout, /^restart policy +no \(supervised: an exit is not restarted; its --cron-restart schedule starts it again\)$/m);
  t.regex(show.stdout, /cron restart +\*\/2 \* \* \* \* \* \(next /);
  // A stopped program is left alone by its schedule.
  t.is((await box.run(['stop', 'job'])).exitCode, 0);
  const settled = Date.now() + 1500;
  await waitFor(() => Date.now() > settled, { timeout: LONG });
  const n = lines(runsFile, 'start');
  const until = Date.now() + 3000;
  await waitFor(() => Date.now() > until, { timeout: LONG });
  t.is(lines(runsFile, 'start'), n);
});

test('--restart no --watch: a change restarts it, an exit does not', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  const runsFile = path.join(box.dir, 'runs');
  const r = await box.run(['start', '--name', 'w', '--restart', 'no', '--watch', '--watch-delay', '200ms', '--wait', '0', '--', process.execPath, RUNS], {
    cwd: app,
    env: { RUNS_FILE: runsFile, LIVE_PLAN: '600000,300,600000', EXIT_CODE: '1' },
  });
  t.is(r.exitCode, 0, r.stderr);
  t.true(r.stdout.includes('supervised: --restart no (for --watch: an exit is not restarted)'), r.stdout);
  // The first run must have counted itself (its plan is by run): a change before that would restart a run that never began its plan.
  await waitFor(() => supervisorLog(box).includes(`watching ${app} for w`) && lines(runsFile, 'start') === 1, { timeout: LONG, what: 'the watch and the first run' });
  fs.writeFileSync(path.join(app, 'a.js'), '1');
  // The change restarts the first run; the second exits by itself after 300 ms and stays exited.
  await waitFor(() => lines(runsFile, 'exit') === 1 && box.record('w').status === 'exited', { timeout: LONG, what: 'the second run to exit' });
  t.regex(supervisorLog(box), /restarting w \(pid \d+\): a change/);
  t.regex(supervisorLog(box), /w exited with code 1; not restarted \(--restart no\)/);
  t.is(lines(runsFile, 'start'), 2);
  // Another change starts it again.
  fs.writeFileSync(path.join(app, 'b.js'), '1');
  await waitFor(() => lines(runsFile, 'start') === 3 && box.record('w').status === 'running', { timeout: LONG, what: 'a start by the watch' });
  t.regex(supervisorLog(box), /starting w: a change/);
});

test('pm2 files: autorestart: false with watch or cron_restart exports; ignore_watch without watch is accepted silently', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.copyFileSync(TICKER, path.join(app, 'ticker.js'));
  fs.writeFileSync(
    path.join(app, 'ecosystem.config.js'),
    `module.exports = { apps: [
      { name: 'nightly', script: './ticker.js', autorestart: false, cron_restart: '0 3 * * *' },
      { name: 'dev', script: './ticker.js', autorestart: false, watch: true },
      { name: 'api', script: './ticker.js', watch: false, ignore_watch: ['node_modules', 'logs'], watch_delay: 1000 },
    ] };\n`,
  );
  const exported = await box.run(['export', 'kubernetes', '--config', 'ecosystem.config.js', '--image', 'app:1'], { cwd: app });
  t.is(exported.exitCode, 0, exported.stderr);
  const r = await box.run(['start', 'ecosystem.config.js'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  t.notRegex(r.stderr, /ignore_watch|watch_delay/);
  t.like(box.record('nightly'), { restart: 'no', cronRestart: '0 3 * * *', status: 'running' });
  t.like(box.record('dev'), { restart: 'no', watch: [app], status: 'running' });
  const api = box.record('api');
  t.is(api.watch, undefined);
  t.is(api.watchIgnore, undefined);
  t.is(api.restart, 'always', "pm2's default autorestart");
  const unit = await box.run(['export', 'systemd', 'nightly']);
  t.is(unit.exitCode, 0, unit.stderr);
  t.regex(unit.stdout, /^Restart=no$/m);
  t.regex(unit.stdout, /--cron-restart "0 3 \* \* \*"/);
  t.regex(unit.stdout, /^# --restart no \(Restart=no\): bgrun did not restart it when it exited either/m);
});

test('bgrun run: restart no with a schedule does not end everything at the first exit; the schedule starts the app again', async (t) => {
  const box = sandbox(t);
  const child = spawn(process.execPath, [BIN, 'run', '--name', 'job', '--restart', 'no', '--cron-restart', '*/2 * * * * *', '--', 'sh', '-c', 'echo hi; exit 1'], {
    env: { ...process.env, ...box.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // Started again by the schedule after an exit that was not restarted, and still running.
  await waitFor(() => /not restarted \(restart no\)[\s\S]*starting job again: its --cron-restart schedule/.test(out), { timeout: LONG, what: 'a scheduled start after an exit' });
  t.is(child.exitCode, null, out);
  t.notRegex(out, /stopping everything \(its restart policy is no\)/);
  child.kill('SIGTERM');
  t.is(await ended, 0, out);
});

test('a cron restart during the grace period of start is no crash', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--name', 'tick', '--cron-restart', '* * * * * *', '--wait', '3s', '--', process.execPath, TICKER]);
  t.is(r.exitCode, 0, r.stderr);
  t.notRegex(r.stderr, /killed by SIGTERM/);
  t.regex(supervisorLog(box), /restarting tick \(pid \d+\): its --cron-restart schedule/);
  // A crash right after starting is still one; with --restart no, the schedule is what starts it again.
  const crash = await box.run(['start', '--name', 'cr', '--restart', 'no', '--cron-restart', '0 3 * * *', '--', 'sh', '-c', 'exit 3']);
  t.is(crash.exitCode, 1);
  t.regex(crash.stderr.split('\n')[0]!, /^bgrun: 'cr' exited with code 3 right after starting; .*; not restarted \(--restart no\); its --cron-restart schedule starts it again; stop it with 'bgrun stop cr'$/);
});

test("a pm2 file's autorestart: false with kill_timeout: a plain program whose stop honours the timeout", async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.copyFileSync(fixture('ignore-term.js'), path.join(app, 'stubborn.js'));
  fs.writeFileSync(path.join(app, 'ecosystem.config.js'), `module.exports = { apps: [{ name: 'stubborn', script: './stubborn.js', autorestart: false, kill_timeout: 1500 }] };\n`);
  const r = await box.run(['start', 'ecosystem.config.js', '--wait', '0'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  const record = box.record('stubborn');
  t.is(record.restart, 'no');
  t.is(record.killTimeoutMs, 1500);
  // Plain: no supervisor was needed for it.
  t.false(fs.existsSync(path.join(box.home, 'supervisor.json')));
  t.regex((await box.run(['show', 'stubborn'])).stdout, /^stop +SIGTERM, then SIGKILL after 1500ms$/m);
  await waitFor(() => /^ready /m.test(readText(record.outLog as string)), { timeout: LONG, what: 'the program up' });
  const stop = await box.run(['stop', 'stubborn']);
  t.is(stop.exitCode, 0, stop.stderr);
  t.regex(stop.stdout, /with SIGKILL after the timeout/);
});

test('--restart no with --kill-timeout and --stop-signal stays plain; with another supervision setting it is refused', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--wait', '0', '--name', 'soft', '--restart', 'no', '--stop-signal', 'SIGINT', '--kill-timeout', '5s', fixture('ignore-term.js')]);
  t.is(r.exitCode, 0, r.stderr);
  t.is(box.record('soft').restart, 'no');
  t.false(fs.existsSync(path.join(box.home, 'supervisor.json')));
  await waitFor(() => /^ready /m.test(readText(box.record('soft').outLog as string)), { timeout: LONG, what: 'the program up' });
  const stop = await box.run(['stop', 'soft']);
  t.is(stop.exitCode, 0, stop.stderr);
  t.notRegex(stop.stdout, /SIGKILL/);
  await waitFor(() => /^got SIGINT$/m.test(readText(box.record('soft').outLog as string)), { timeout: LONG, what: 'SIGINT, the stop signal' });
  const refused = await box.run(['start', '--wait', '0', '--name', 'no', '--restart', 'no', '--kill-timeout', '5s', '--health', 'tcp:1', fixture('ignore-term.js')]);
  t.is(refused.exitCode, 2);
  t.regex(refused.stderr, /^bgrun: --health .*needs supervision: drop --restart no/);
});

test("a pm2 file's autorestart: false with cron_restart and max_memory_restart: over the limit it is restarted, as pm2 does", async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.copyFileSync(fixture('sup-grow.js'), path.join(app, 'grow.js'));
  fs.writeFileSync(
    path.join(app, 'ecosystem.config.js'),
    `module.exports = { apps: [{ name: 'grow', script: './grow.js', autorestart: false, cron_restart: '0 3 * * *', max_memory_restart: '120M' }] };\n`,
  );
  const r = await box.run(['start', 'ecosystem.config.js', '--wait', '0'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  const first = box.record('grow').pid;
  await waitFor(() => box.record('grow').restarts >= 1 && box.record('grow').status === 'running' && box.record('grow').pid !== first, { timeout: LONG, what: 'a memory restart' });
  t.regex(supervisorLog(box), /over --max-memory/);
  t.is(box.record('grow').restart, 'no');
});

test("a pm2 file's autorestart: false with max_memory_restart alone: supervised for the limit, restarted over it, an exit not restarted (pm2's Worker does the same)", async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.copyFileSync(fixture('sup-grow.js'), path.join(app, 'grow.js'));
  fs.copyFileSync(RUNS, path.join(app, 'job.js'));
  const runsFile = path.join(box.dir, 'runs');
  fs.writeFileSync(
    path.join(app, 'ecosystem.config.js'),
    `module.exports = { apps: [
  { name: 'grow', script: './grow.js', autorestart: false, max_memory_restart: '120M' },
  { name: 'job', script: './job.js', autorestart: false, max_memory_restart: '1G', env: { RUNS_FILE: ${JSON.stringify(runsFile)}, LIVE_MS: '1500', EXIT_CODE: '1' } },
] };\n`,
  );
  const r = await box.run(['start', 'ecosystem.config.js', '--wait', '0'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  t.is(box.record('grow').restart, 'no');
  const first = box.record('grow').pid;
  await waitFor(() => box.record('grow').restarts >= 1 && box.record('grow').status === 'running' && box.record('grow').pid !== first, { timeout: LONG, what: 'a memory restart' });
  t.regex(supervisorLog(box), /over --max-memory/);
  const show = await box.run(['show', 'grow']);
  t.regex(show.stdout, /^restart policy +no \(supervised: an exit is not restarted; over --max-memory it is restarted\)$/m);
  // Its exit is not restarted.
  await waitFor(() => box.record('job').status === 'exited', { timeout: LONG, what: 'job exited' });
  await waitFor(() => /job exited with code 1; not restarted \(--restart no\)/.test(supervisorLog(box)), { timeout: LONG, what: 'the supervisor saying so' });
  t.is(lines(runsFile, 'start'), 1);
  t.is(box.record('job').exitCode, 1);
  // The command line: --restart no --max-memory is the same, and start says so.
  const cli = await box.run(['start', '--wait', '0', '--name', 'tick', '--restart', 'no', '--max-memory', '1G', TICKER]);
  t.is(cli.exitCode, 0, cli.stderr);
  t.regex(cli.stdout, /^ {2}supervised: --restart no \(for --max-memory: an exit is not restarted\)$/m);
  t.like(box.record('tick'), { restart: 'no', maxMemoryBytes: 1024 ** 3, launcher: null });
});
