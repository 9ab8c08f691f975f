import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, processesOfHome, readText, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';

test.after.always(sweepAll);

const LONG = 30_000;
const RUNS = fixture('sup-runs.js');
const HEALTH = fixture('sup-health.js');
const TICKER = fixture('ticker.js');

const starts = (file: string) => readText(file).split('\n').filter((l) => l.startsWith('start ')).length;
const startTimes = (file: string) =>
  readText(file)
    .split('\n')
    .filter((l) => l.startsWith('start '))
    .map((l) => Number(l.split(' ')[2]));
const supervisorLog = (box: Sandbox) => readText(path.join(box.home, 'supervisor.log'));

function supervisorPid(box: Sandbox): number | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(box.home, 'supervisor.json'), 'utf8')).pid;
  } catch {
    return null;
  }
}

async function listLine(box: Sandbox, name: string): Promise<string> {
  const r = await box.run(['list']);
  return r.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
}

test('--watch restarts once per burst of changes, after the settle time; node_modules is never watched', async (t) => {
  const box = sandbox(t);
  const src = path.join(box.dir, 'app');
  fs.mkdirSync(path.join(src, 'node_modules', 'dep'), { recursive: true });
  fs.writeFileSync(path.join(src, 'a.js'), '1');
  const r = await box.run(['start', '--name', 'w', '--watch', '--watch-delay', '300ms', '--', process.execPath, TICKER], { cwd: src });
  t.is(r.exitCode, 0, r.stderr);
  t.true(r.stdout.includes('supervised: --restart on-failure (implied by --watch)'), r.stdout);
  await waitFor(() => supervisorLog(box).includes(`watching ${src} for w`), { timeout: LONG, what: 'the watch' });
  const first = box.record('w').pid;
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(src, `f${i}.js`), String(i));
  await waitFor(() => box.record('w').restarts === 1 && box.record('w').pid !== first && box.record('w').status === 'running', { timeout: LONG, what: 'one restart' });
  t.regex(supervisorLog(box), /restarting w \(pid \d+\): 5 changes/);
  // A change in node_modules is no change; a later one in the folder is (and proves the first was seen, or not).
  fs.writeFileSync(path.join(src, 'node_modules', 'dep', 'index.js'), 'x');
  fs.writeFileSync(path.join(src, 'a.js'), '2');
  await waitFor(() => box.record('w').restarts === 2, { timeout: LONG, what: 'the second restart' });
  t.notRegex(supervisorLog(box), /node_modules/);
  t.is(box.record('w').restarts, 2);
  const show = await box.run(['show', 'w']);
  t.regex(show.stdout, new RegExp(`watch +${src} \\(settles 300ms\\)`));
});

test('--watch=<path> watches that path only; --watch-ignore leaves files out', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.mkdirSync(path.join(app, 'other'));
  const r = await box.run(['start', '--name', 'w2', '--watch=src', '--watch-ignore', '*.tmp', '--watch-delay', '100ms', '--', process.execPath, TICKER], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => supervisorLog(box).includes(`watching ${path.join(app, 'src')} for w2`), { timeout: LONG, what: 'the watch' });
  fs.writeFileSync(path.join(app, 'other', 'x.js'), '1');
  fs.writeFileSync(path.join(app, 'src', 'scratch.tmp'), '1');
  fs.writeFileSync(path.join(app, 'src', 'x.js'), '1');
  await waitFor(() => box.record('w2').restarts === 1, { timeout: LONG, what: 'the restart' });
  t.regex(supervisorLog(box), /restarting w2 \(pid \d+\): a change \(.*src\/x\.js\)/);
});

test('a failing HTTP health endpoint makes list say unhealthy, then restarts the program (counted, logged, hook told)', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const healthFile = path.join(box.dir, 'health');
  const runsFile = path.join(box.dir, 'runs');
  const hookFile = path.join(box.dir, 'hook');
  fs.writeFileSync(healthFile, 'ok');
  const r = await box.run(
    [
      'start', '--name', 'api', '--ready', `tcp:${port}`,
      '--health', `http://127.0.0.1:${port}/health`, '--health-interval', '400ms', '--health-retries', '5',
      '--on-exit', `echo "$BGRUN_EVENT $BGRUN_RESTARTS" >> ${hookFile}`,
      HEALTH,
    ],
    { env: { PORT: String(port), HEALTH_FILE: healthFile, RUNS_FILE: runsFile, DELAY_MS: '800' } },
  );
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => supervisorLog(box).includes('api is ready') || box.record('api').readyAt, { timeout: LONG, what: 'ready' });
  fs.writeFileSync(healthFile, 'sick');
  const failing = await waitFor(() => (box.record('api').unhealthy ? box.record('api') : null), { timeout: LONG, what: 'the record saying unhealthy' });
  t.regex(String(failing.healthError), /HTTP 503/);
  await waitFor(async () => (await listLine(box, 'api')).includes('unhealthy'), { timeout: LONG, what: 'list saying unhealthy' });
  await waitFor(() => box.record('api').restarts >= 1 && starts(runsFile) >= 2, { timeout: 60_000, what: 'the restart' });
  fs.writeFileSync(healthFile, 'ok');
  t.regex(supervisorLog(box), /restarting api \(pid \d+\): its health check failed: http:\/\/127\.0\.0\.1:\d+\/health: HTTP 503/);
  await waitFor(() => readText(hookFile).includes('unhealthy'), { timeout: LONG, what: 'the hook' });
  await waitFor(async () => (await listLine(box, 'api')).includes('running'), { timeout: LONG, what: 'running again' });
  t.false(box.record('api').unhealthy === true);
});

test('health checks never run before the program is ready', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const healthFile = path.join(box.dir, 'health');
  fs.writeFileSync(healthFile, 'ok');
  // Listens only after 1.5 s; with one retry a check before that would restart it at once.
  const r = await box.run(
    ['start', '--name', 'slow', '--ready', `tcp:${port}`, '--health', `tcp:${port}`, '--health-interval', '100ms', '--health-retries', '1', HEALTH],
    { env: { PORT: String(port), HEALTH_FILE: healthFile, DELAY_MS: '1500' } },
  );
  t.is(r.exitCode, 0, r.stderr);
  // Ten checks' worth of passing: any failure so far would have restarted it.
  const until = Date.now() + 1000;
  await waitFor(() => Date.now() > until && box.record('slow').status === 'running', { timeout: LONG, what: 'checks passing' });
  t.is(box.record('slow').restarts, 0);
  t.notRegex(supervisorLog(box), /health check of slow failed/);
});

test('cmd: health checks run in the program folder; a stuck one is cut off by --health-timeout', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  const r = await box.run(
    ['start', '--name', 'c', '--health', 'cmd:sleep 30', '--health-interval', '100ms', '--health-timeout', '300ms', '--health-retries', '2', '--', process.execPath, TICKER],
    { cwd: app },
  );
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => box.record('c').restarts >= 1, { timeout: LONG, what: 'the restart' });
  t.regex(supervisorLog(box), /health check of c failed \(2\/2\): cmd:sleep 30: timed out after 300 ms/);
});

test('--cron-restart starts a program that exited, and restarts one that runs; show prints the next run', async (t) => {
  const box = sandbox(t);
  const runsFile = path.join(box.dir, 'runs');
  // A job that finishes at once (exit 0: on-failure leaves it exited) and is due every 2 seconds.
  const r = await box.run(['start', '--wait', '0', '--name', 'job', '--cron-restart', '*/2 * * * * *', RUNS], { env: { RUNS_FILE: runsFile, LIVE_MS: '50', EXIT_CODE: '0' } });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => starts(runsFile) >= 3, { timeout: LONG, what: 'three runs' });
  t.regex(supervisorLog(box), /starting job: its --cron-restart schedule/);
  const show = await box.run(['show', 'job']);
  t.regex(show.stdout, /cron restart +\*\/2 \* \* \* \* \* \(next \d{4}-\d\d-\d\dT/);
  // The next run is computed when show runs: after show was called, whatever time show took on a loaded machine.
  const asked = Date.now();
  const json = JSON.parse((await box.run(['show', 'job', '--json'])).stdout);
  t.true(Date.parse(json.nextCronRestart) > asked, json.nextCronRestart);

  const runsFile2 = path.join(box.dir, 'runs2');
  const r2 = await box.run(['start', '--wait', '0', '--name', 'long', '--cron-restart', '*/2 * * * * *', RUNS], { env: { RUNS_FILE: runsFile2, LIVE_MS: '600000' } });
  t.is(r2.exitCode, 0, r2.stderr);
  await waitFor(() => starts(runsFile2) >= 2, { timeout: LONG, what: 'a scheduled restart' });
  t.regex(supervisorLog(box), /restarting long \(pid \d+\): its --cron-restart schedule/);
  // A stopped program is left alone.
  await box.run(['stop', 'job']);
  // A run spawned just before the stop may still be starting up (and write its line): let it.
  const settled = Date.now() + 1500;
  await waitFor(() => Date.now() > settled, { timeout: LONG });
  const n = starts(runsFile);
  const until = Date.now() + 2500;
  await waitFor(() => Date.now() > until, { timeout: LONG });
  t.is(starts(runsFile), n);
});

test('--stop-exit-codes: an exit with one of them is never restarted, even with --restart always', async (t) => {
  const box = sandbox(t);
  const runsFile = path.join(box.dir, 'runs');
  const r = await box.run(['start', '--name', 'done', '--restart', 'always', '--stop-exit-codes', '0,3', RUNS], { env: { RUNS_FILE: runsFile, LIVE_MS: '700', EXIT_CODE: '3' } });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => box.record('done').status === 'exited', { timeout: LONG, what: 'the exit' });
  // The record is written before the supervisor's log line: wait for the line, do not expect it already.
  await waitFor(() => /done exited with code 3; not restarted \(--stop-exit-codes 0,3\)/.test(supervisorLog(box)), { timeout: LONG, what: 'the log line' });
  t.regex(await listLine(box, 'done'), /exited \(3\)/);
  t.is(starts(runsFile), 1);
  // An exit with another code is restarted as usual.
  const runs2 = path.join(box.dir, 'runs2');
  await box.run(['start', '--name', 'other', '--restart', 'always', '--stop-exit-codes', '3', RUNS], { env: { RUNS_FILE: runs2, LIVE_MS: '300', EXIT_CODE: '4' } });
  await waitFor(() => starts(runs2) >= 2, { timeout: LONG, what: 'a restart' });
  t.pass();
});

test('a supervised program that exits within the grace period is reported with the pid its run had, by start and by a config start', async (t) => {
  const box = sandbox(t);
  const pidsOf = (file: string) => [...readText(file).matchAll(/^start (\d+) /gm)].map((m) => m[1]);
  const runs0 = path.join(box.dir, 'runs0');
  const r0 = await box.run(['start', '--wait', '10s', '--name', 'sup0', '--restart', 'on-failure', RUNS], { env: { RUNS_FILE: runs0, LIVE_MS: '300', EXIT_CODE: '0' } });
  t.is(r0.exitCode, 0, r0.stderr);
  t.is(r0.stdout.split('\n')[0], `sup0 ran and exited with code 0 (pid ${pidsOf(runs0)[0]})`);
  const runs3 = path.join(box.dir, 'runs3');
  const r3 = await box.run(['start', '--wait', '10s', '--name', 'done', '--restart', 'always', '--stop-exit-codes', '3', RUNS], { env: { RUNS_FILE: runs3, LIVE_MS: '300', EXIT_CODE: '3' } });
  t.is(r3.exitCode, 0, r3.stderr);
  t.is(r3.stdout.split('\n')[0], `done ran and exited with code 3 (pid ${pidsOf(runs3)[0]})`);
  // The same line for an app of a config file, with its own exit code.
  const runsApp = path.join(box.dir, 'runs-app');
  const app = { name: 'app', script: RUNS, restart: 'on-failure', stopExitCodes: [3], env: { RUNS_FILE: runsApp, LIVE_MS: '300', EXIT_CODE: '3' } };
  fs.writeFileSync(path.join(box.dir, 'bgrun.config.json'), JSON.stringify({ apps: [app] }));
  const rApp = await box.run(['start', '--wait', '10s'], { cwd: box.dir });
  t.is(rApp.exitCode, 0, rApp.stderr);
  t.is(rApp.stdout.trimEnd(), `app ran and exited with code 3 (pid ${pidsOf(runsApp)[0]})`);
  // Ended before any poll saw its pid: the line has no pid rather than "pid null".
  const quick = await box.run(['start', '--wait', '10s', '--name', 'quick', '--restart', 'on-failure', '--', 'sh', '-c', 'exit 0']);
  t.is(quick.exitCode, 0, quick.stderr);
  t.regex(quick.stdout.split('\n')[0]!, /^quick ran and exited with code 0( \(pid \d+\))?$/);
});

test('--kill-timeout and --stop-signal are used by stop; --restart-delay spaces restarts', async (t) => {
  const box = sandbox(t);
  // Notes when SIGTERM came, and ignores it: only SIGKILL ends it.
  const termFile = path.join(box.dir, 'term');
  const stubborn = `process.on('SIGTERM', () => require('fs').writeFileSync(${JSON.stringify(termFile)}, String(Date.now()))); setInterval(() => {}, 1000);`;
  const r = await box.run(['start', '--name', 'stubborn', '--kill-timeout', '500ms', '--', process.execPath, '-e', stubborn]);
  t.is(r.exitCode, 0, r.stderr);
  const stop = await box.run(['stop', 'stubborn']);
  t.is(stop.exitCode, 0, stop.stderr);
  t.regex(stop.stdout, /with SIGKILL after the timeout/);
  // SIGKILL came 500 ms after SIGTERM, not the default 10 s (the record's end is written right after).
  const killedAfter = Date.parse(box.record('stubborn').endedAt as string) - Number(readText(termFile));
  t.true(killedAfter >= 400 && killedAfter < 6000, `ended ${killedAfter} ms after SIGTERM`);

  const r2 = await box.run(['start', '--name', 'polite', '--stop-signal', 'INT', fixture('ignore-term.js')]);
  t.is(r2.exitCode, 0, r2.stderr);
  const stop2 = await box.run(['stop', 'polite']);
  t.notRegex(stop2.stdout, /SIGKILL/);
  t.regex(readText(path.join(box.home, 'logs', 'polite.out.log')), /got SIGINT/);

  const runsFile = path.join(box.dir, 'runs');
  await box.run(['start', '--name', 'delayed', '--restart', 'always', '--restart-delay', '1s', RUNS], { env: { RUNS_FILE: runsFile, LIVE_MS: '0' } });
  await waitFor(() => starts(runsFile) >= 3, { timeout: LONG, what: 'three runs' });
  const times = startTimes(runsFile);
  for (let i = 1; i < 3; i++) t.true(times[i]! - times[i - 1]! >= 1000, `gap ${times[i]! - times[i - 1]!} ms`);
});

test('--exp-backoff-restart-delay is the first step of the doubling backoff', async (t) => {
  const box = sandbox(t);
  const runsFile = path.join(box.dir, 'runs');
  await box.run(['start', '--name', 'exp', '--restart', 'always', '--exp-backoff-restart-delay', '400ms', RUNS], { env: { RUNS_FILE: runsFile, LIVE_MS: '0' } });
  await waitFor(() => starts(runsFile) >= 3, { timeout: LONG, what: 'three runs' });
  t.regex(supervisorLog(box), /exp exited with code 1; restarting in 400 ms/);
  t.regex(supervisorLog(box), /exp exited with code 1; restarting in 800 ms/);
});

test("--on-exit gets BGRUN_* variables; a slow hook delays nothing; a requested stop runs no hook", async (t) => {
  const box = sandbox(t);
  const runsFile = path.join(box.dir, 'runs');
  const envFile = path.join(box.dir, 'hook-env');
  const hook = `env | grep '^BGRUN_' | sort > ${envFile}.$BGRUN_RESTARTS; sleep 5`;
  const r = await box.run(['start', '--name', 'h', '--restart', 'always', '--on-exit', hook, RUNS], { env: { RUNS_FILE: runsFile, LIVE_MS: '700', EXIT_CODE: '3' } });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => readText(`${envFile}.0`).includes('BGRUN_EVENT'), { timeout: LONG, what: 'the first hook' });
  const env = Object.fromEntries(readText(`${envFile}.0`).trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  t.is(env.BGRUN_NAME, 'h');
  t.is(env.BGRUN_EVENT, 'crashed');
  t.is(env.BGRUN_EXIT_CODE, '3');
  t.is(env.BGRUN_SIGNAL, '');
  t.is(env.BGRUN_RESTARTS, '0');
  t.is(env.BGRUN_ERR_LOG, path.join(box.home, 'logs', 'h.err.log'));
  // The hook sleeps 5 s; restarts go on meanwhile.
  await waitFor(() => starts(runsFile) >= 3, { timeout: 4000, what: 'restarts while the hook runs' });
  // Stop right after a run began (each lives 700 ms), so that the stop is what ends it.
  const seen = starts(runsFile);
  await waitFor(() => starts(runsFile) > seen, { timeout: LONG, what: 'a new run' });
  await box.run(['stop', 'h']);
  // The run the stop ended has the last restart count: no hook ever hears of it (earlier ones may still be due).
  const stopped = box.record('h');
  const last = stopped.restarts;
  const count = (re: RegExp) => supervisorLog(box).split('\n').filter((l) => re.test(l)).length;
  await waitFor(() => count(/hook of h \(\w+\) started/) === count(/hook of h \(\w+\) done/), { timeout: LONG, what: 'every hook done' });
  if (stopped.exitCode === 3) t.log('that run crashed by itself before the stop reached it: its hook is due, so there is nothing to check');
  else t.false(fs.existsSync(`${envFile}.${last}`));
});

test('a hook still running when the supervisor exits is stopped first (SIGTERM, then SIGKILL): it never outlives its time limit', async (t) => {
  const box = sandbox(t);
  const runsFile = path.join(box.dir, 'runs');
  const hookPid = path.join(box.dir, 'hook.pid');
  // Hung, and deaf to SIGTERM: only SIGKILL ends it.
  const hook = `trap '' TERM; echo $$ > ${hookPid}; echo hook up; while :; do sleep 1; done`;
  const r = await box.run(['start', '--name', 'h', '--restart', 'always', '--stop-exit-codes', '0', '--on-exit', hook, RUNS], { env: { RUNS_FILE: runsFile, LIVE_MS: '700', EXIT_CODE: '0' } });
  t.is(r.exitCode, 0, r.stderr);
  const pid = await waitFor(() => Number(readText(hookPid).trim()), { timeout: LONG, what: 'the hook' });
  t.teardown(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  });
  const supervisor = supervisorPid(box)!;
  process.kill(supervisor, 'SIGTERM');
  await waitFor(() => !isAlive(pid), { timeout: LONG, what: 'the hook to be stopped' });
  await waitFor(() => !isAlive(supervisor), { timeout: LONG, what: 'the supervisor to exit' });
  const log = supervisorLog(box);
  t.regex(log, /hook of h \(exited\) still running as the supervisor exits; stopping it/);
  t.regex(log, /hook of h: hook up/, 'its output is still logged');
  t.regex(log, /hook of h \(exited\) was killed by SIGKILL/);
});

test('a pm2 ecosystem file with the supervision keys runs unchanged', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.copyFileSync(TICKER, path.join(app, 'ticker.js'));
  fs.writeFileSync(
    path.join(app, 'ecosystem.config.js'),
    `module.exports = { apps: [{
      name: 'eco', script: './ticker.js',
      watch: ['src'], ignore_watch: ['*.log'], watch_delay: 200, watch_options: { followSymlinks: true },
      cron_restart: '0 3 * * *', stop_exit_codes: [0, 3], kill_timeout: 3000,
      restart_delay: 1000, exp_backoff_restart_delay: 150,
    }] };\n`,
  );
  const r = await box.run(['start'], { cwd: app });
  t.is(r.exitCode, 0, r.stderr);
  const json = JSON.parse((await box.run(['show', 'eco', '--json'])).stdout);
  t.deepEqual(json.watch, [path.join(app, 'src')]);
  t.deepEqual(json.watchIgnore, ['*.log']);
  t.is(json.watchDelayMs, 200);
  t.true(json.watchFollowSymlinks);
  t.is(json.cronRestart, '0 3 * * *');
  t.deepEqual(json.stopExitCodes, [0, 3]);
  t.is(json.killTimeoutMs, 3000);
  t.is(json.restartDelayMs, 1000);
  t.is(json.expBackoffRestartDelayMs, 150);
  t.is(json.restart, 'always', "pm2's default autorestart");
  await waitFor(() => supervisorLog(box).includes('for eco'), { timeout: LONG, what: 'the watch' });
  fs.writeFileSync(path.join(app, 'src', 'x.js'), '1');
  await waitFor(() => box.record('eco').restarts === 1, { timeout: LONG, what: 'the restart' });
  t.pass();
});

test('after a SIGKILL of the supervisor, a new one resumes watches, schedules and health checks', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  const port = await freePort();
  const healthFile = path.join(box.dir, 'health');
  const runsFile = path.join(box.dir, 'runs');
  const jobRuns = path.join(box.dir, 'job-runs');
  fs.writeFileSync(healthFile, 'ok');
  const r1 = await box.run(['start', '--name', 'watched', '--watch', '--watch-delay', '100ms', '--', process.execPath, TICKER], { cwd: app });
  const r2 = await box.run(['start', '--name', 'checked', '--ready', `tcp:${port}`, '--health', `http://127.0.0.1:${port}/health`, '--health-interval', '200ms', '--health-retries', '2', HEALTH], {
    env: { PORT: String(port), HEALTH_FILE: healthFile, RUNS_FILE: runsFile },
  });
  const r3 = await box.run(['start', '--wait', '0', '--name', 'job', '--cron-restart', '*/2 * * * * *', RUNS], { env: { RUNS_FILE: jobRuns, LIVE_MS: '50', EXIT_CODE: '0' } });
  for (const r of [r1, r2, r3]) t.is(r.exitCode, 0, r.stderr);
  const old = supervisorPid(box)!;
  const programs = ['watched', 'checked'].map((n) => box.record(n).pid!);
  process.kill(old, 'SIGKILL');
  await waitFor(() => !isAlive(old), { timeout: LONG, what: 'the supervisor gone' });
  t.true(programs.every(isAlive), 'programs survive');
  await box.run(['list']); // any command brings a supervisor back
  await waitFor(() => supervisorPid(box) !== old && supervisorPid(box) !== null && isAlive(supervisorPid(box)!), { timeout: LONG, what: 'a new supervisor' });
  await waitFor(() => supervisorLog(box).split('\n').some((l) => l.includes(`watching ${app} for watched`) && !l.includes(`[${old}]`)), { timeout: LONG, what: 'the watch resumed' });
  fs.writeFileSync(path.join(app, 'x.js'), '1');
  await waitFor(() => box.record('watched').restarts === 1, { timeout: LONG, what: 'a restart by the resumed watch' });
  fs.writeFileSync(healthFile, 'sick');
  await waitFor(() => box.record('checked').restarts === 1, { timeout: LONG, what: 'a restart by the resumed health check' });
  fs.writeFileSync(healthFile, 'ok');
  const jobs = starts(jobRuns);
  await waitFor(() => starts(jobRuns) > jobs, { timeout: LONG, what: 'a run by the resumed schedule' });
  t.true(processesOfHome(box.home).length >= 3);
});

test('bad settings are one-line errors at start; what breaks later is logged and shown, the supervisor stays', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'notify.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  const cases: [string[], number, RegExp][] = [
    [['--watch=missing'], 1, /^bgrun: --watch: cannot watch .*missing: /],
    [['--cron-restart', '61 * * * *'], 2, /^bgrun: invalid --cron-restart: "61 \* \* \* \*": Invalid value for minute: 61/],
    [['--cron-restart', '* * *'], 2, /^bgrun: invalid --cron-restart: expected 5 fields/],
    [['--health', 'ftp://x'], 2, /^bgrun: invalid --health: expected tcp:PORT/],
    [['--health', 'delay:2s'], 2, /^bgrun: invalid --health: delay: says when/],
    [['--on-exit', './notify.sh'], 1, /^bgrun: --on-exit: \.\/notify\.sh is not executable/],
    [['--on-exit', 'no-such-command-xyz --x'], 1, /^bgrun: --on-exit: 'no-such-command-xyz' is not found on PATH/],
    [['--stop-exit-codes', '0,300'], 2, /^bgrun: invalid --stop-exit-codes '0,300'/],
    [['--stop-signal', 'KILL'], 2, /^bgrun: invalid --stop-signal 'KILL'/],
    [['--restart', 'no', '--health', 'tcp:1'], 2, /^bgrun: --health needs supervision: drop --restart no/],
    [['--health-retries', '2'], 2, /^bgrun: --health-retries needs --health/],
  ];
  for (const [args, code, pattern] of cases) {
    const r = await box.run(['start', ...args, '--', process.execPath, TICKER], { cwd: app });
    t.is(r.exitCode, code, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, pattern, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, args.join(' '));
  }
  t.false(fs.existsSync(path.join(box.home, 'records', 'node.json')), 'a refused start leaves no record');

  // Later breakage: the watched folder goes away, a hook cannot run.
  const watched = path.join(app, 'watched');
  fs.mkdirSync(watched);
  const r = await box.run(['start', '--name', 'b', '--watch=watched', '--on-exit', 'exit 127', '--restart', 'always', RUNS], {
    cwd: app,
    env: { LIVE_MS: '500', RUNS_FILE: path.join(box.dir, 'runs') },
  });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => supervisorLog(box).includes(`watching ${watched} for b`), { timeout: LONG, what: 'the watch' });
  const sup = supervisorPid(box)!;
  fs.rmSync(watched, { recursive: true });
  await waitFor(() => /watched path .* was removed/.test(supervisorLog(box)), { timeout: LONG, what: 'the removal logged' });
  await waitFor(() => /--on-exit exited with code 127/.test(supervisorLog(box)), { timeout: LONG, what: 'the hook failure logged' });
  await waitFor(() => /watched path/.test(String(box.record('b').supervisionError)), { timeout: LONG, what: 'the record' });
  const show = await box.run(['show', 'b']);
  // The record keeps every problem seen, in the order seen (the hook may fail first).
  t.regex(show.stdout, /supervision error +(.*; )?watched path .* was removed/);
  t.true(isAlive(sup), 'the supervisor lives on');
});
