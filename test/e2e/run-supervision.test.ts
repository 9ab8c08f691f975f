// bgrun run does --watch, --health and --cron-restart with the supervisor's own code (issue 15).
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, processesOfHome, sandbox, waitFor } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';
import { runLive } from '../helpers/run.js';

const LONG = { timeout: 40_000 };
const pidsOf = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => Number(m[1]));

test('--watch restarts the app once per burst of changes, node_modules is never watched, and SIGTERM leaves nothing', async (t) => {
  const box = sandbox(t);
  const src = path.join(box.dir, 'src');
  fs.mkdirSync(path.join(src, 'node_modules'), { recursive: true });
  const live = runLive(t, box, ['--name', 'w', `--watch=${src}`, '--watch-delay', '300ms', '--', process.execPath, '-e', "console.log('up ' + process.pid); setInterval(() => {}, 1000)"]);
  await waitFor(() => /w +\| up \d+/.test(live.output()) && /watching .*src for w/.test(live.output()), { ...LONG, what: 'the app and its watch' });
  fs.writeFileSync(path.join(src, 'node_modules', 'dep.js'), '1');
  fs.writeFileSync(path.join(src, 'a.js'), '1');
  fs.writeFileSync(path.join(src, 'b.js'), '2');
  await waitFor(() => pidsOf(live.output(), /w +\| up (\d+)/g).length >= 2, { ...LONG, what: 'the restart' });
  const out = live.output();
  t.regex(out, /bgrun +\| restarting w: 2 changes \(.*a\.js, .*b\.js\)/, out);
  t.false(out.includes('dep.js'), out);
  const [first, second] = pidsOf(out, /w +\| up (\d+)/g);
  t.not(first, second);
  t.false(isAlive(first!));
  t.notRegex(out, /restarting in|quick crash/, 'a restart asked for is no crash');
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
  t.false(isAlive(second!));
  t.false(fs.existsSync(box.home), 'bgrun run writes nothing to the state folder');
  t.deepEqual(processesOfHome(box.home), []);
});

test('a watched app that ended is started again by a change; bgrun keeps running for it', async (t) => {
  const box = sandbox(t);
  const live = runLive(t, box, ['--name', 'job', '--watch', '--', 'sh', '-c', 'echo ran $$']);
  await waitFor(() => /job exited with code 0; not restarted \(restart on-failure\)/.test(live.output()), { ...LONG, what: 'the first run' });
  t.false(live.output().includes('every app has ended'));
  fs.writeFileSync(path.join(box.dir, 'input.txt'), 'x');
  await waitFor(() => pidsOf(live.output(), /job +\| ran (\d+)/g).length >= 2, { ...LONG, what: 'the second run' });
  t.regex(live.output(), /starting job again: a change \(.*input\.txt\)/);
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
});

test('--health http: an app whose endpoint fails is restarted after --health-retries failures, once it was ready', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const healthFile = path.join(box.dir, 'health');
  fs.writeFileSync(healthFile, 'ok');
  const live = runLive(t, box, [
    '--name', 'api', '--env', `PORT=${port}`, '--env', `HEALTH_FILE=${healthFile}`, '--ready', `tcp:${port}`,
    '--health', `http://127.0.0.1:${port}/health`, '--health-interval', '300ms', '--health-retries', '2', fixture('sup-health.js'),
  ]);
  await waitFor(() => live.output().includes(`api is ready (tcp:${port})`), { ...LONG, what: 'ready' });
  fs.writeFileSync(healthFile, 'sick');
  await waitFor(() => pidsOf(live.output(), /api +\| listening (\d+)/g).length >= 2, { ...LONG, what: 'the restart' });
  const out = live.output();
  t.regex(out, /health check of api failed \(1\/2\): http:\/\/127\.0\.0\.1:\d+\/health: HTTP 503/, out);
  t.regex(out, /health check of api failed \(2\/2\)/);
  t.regex(out, /restarting api: its health check failed/);
  fs.writeFileSync(healthFile, 'ok');
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
  t.deepEqual(processesOfHome(box.home), []);
});

test('--health tcp: a port that does not accept restarts the app; the new run that listens stays', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  // The first run never listens, the next ones do (and say so once they accept).
  const code = `const fs = require('fs'); const first = !fs.existsSync('ran'); fs.writeFileSync('ran', ''); console.log('run ' + process.pid); if (!first) require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening ' + process.pid)); setInterval(() => {}, 1000)`;
  const live = runLive(t, box, ['--name', 'tcp', '--health', `tcp:${port}`, '--health-interval', '500ms', '--health-retries', '2', '--', process.execPath, '-e', code]);
  await waitFor(() => /tcp +\| listening \d+/.test(live.output()), { ...LONG, what: 'a run that listens' });
  const before = live.output();
  t.regex(before, /health check of tcp failed \(2\/2\): tcp:\d+: connection refused/);
  t.regex(before, /restarting tcp: its health check failed/);
  // Checks go on passing for the run that accepts: no failure after it listened.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const after = live.output().slice(live.output().search(/tcp +\| listening/));
  t.false(after.includes('health check of tcp failed'), live.output());
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
});

test('a config app with --health cmd: runs the check in its folder with its environment; settings left to the supervisor are named', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(box.dir, 'bgrun.config.json'),
    JSON.stringify({
      apps: [
        {
          name: 'svc',
          script: process.execPath,
          args: ['-e', "console.log('svc ' + process.pid); setInterval(() => {}, 1000)"],
          cwd: app,
          env: { MARK: 'yes' },
          health: 'cmd:test "$MARK" = yes && test -f healthy',
          healthInterval: '300ms',
          healthRetries: 2,
          onExit: 'true',
        },
      ],
    }),
  );
  fs.writeFileSync(path.join(app, 'healthy'), '');
  const live = runLive(t, box, []);
  await waitFor(() => /svc +\| svc \d+/.test(live.output()), { ...LONG, what: 'svc' });
  t.regex(live.output(), /bgrun +\| svc: --on-exit not done by bgrun run/);
  // Healthy while the file is in its folder and MARK in its environment: checks pass for a while.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.false(live.output().includes('health check of svc failed'), live.output());
  fs.rmSync(path.join(app, 'healthy'));
  await waitFor(() => pidsOf(live.output(), /svc +\| svc (\d+)/g).length >= 2, { ...LONG, what: 'the restart' }).catch((error: unknown) => {
    t.log(live.output());
    throw error;
  });
  t.regex(live.output(), /health check of svc failed \(1\/2\): cmd:.*exited with code 1/);
  t.regex(live.output(), /restarting svc: its health check failed/);
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
});

test('--cron-restart starts an app that ended again on its schedule', async (t) => {
  const box = sandbox(t);
  const live = runLive(t, box, ['--name', 'tick', '--cron-restart', '*/2 * * * * *', '--', 'sh', '-c', 'echo tick $$']);
  await waitFor(() => pidsOf(live.output(), /tick +\| tick (\d+)/g).length >= 3, { ...LONG, what: 'three runs' });
  t.regex(live.output(), /starting tick again: its --cron-restart schedule/);
  t.false(live.output().includes('every app has ended'));
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
});

test('--health log: a heartbeat line read from the pipe keeps the app; none since the last check restarts it', async (t) => {
  const box = sandbox(t);
  fs.writeFileSync(path.join(box.dir, 'alive'), '');
  const code = "const fs = require('fs'); console.log('run ' + process.pid); setInterval(() => { if (fs.existsSync('alive')) console.log('beat') }, 100)";
  const live = runLive(t, box, ['--name', 'hb', '--health', 'log:/^beat$/', '--health-interval', '700ms', '--health-retries', '2', '--', process.execPath, '-e', code]);
  await waitFor(() => /hb +\| beat/.test(live.output()), { ...LONG, what: 'the heartbeat' });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  t.false(live.output().includes('health check of hb failed'), live.output());
  fs.rmSync(path.join(box.dir, 'alive'));
  await waitFor(() => pidsOf(live.output(), /hb +\| run (\d+)/g).length >= 2, { ...LONG, what: 'the restart' });
  t.regex(live.output(), /health check of hb failed \(2\/2\): log:\/\^beat\$\/: no matching line since the last check/);
  live.child.kill('SIGTERM');
  t.is(await live.exited, 0, live.output());
});
