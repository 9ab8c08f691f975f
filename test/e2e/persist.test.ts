import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { BIN, type Sandbox, fixture, isAlive, processesOfHome, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';
import { systemdAnalyzeVerify } from '../helpers/systemd.js';

test.after.always(sweepAll);

interface Listed {
  name: string;
  pid: number | null;
  status: string;
  restart: string;
}

async function list(box: Sandbox): Promise<Listed[]> {
  const r = await box.run(['list', '--json']);
  return JSON.parse(r.stdout);
}

/** Program processes of this sandbox: everything started with its BGRUN_HOME except the supervisor. */
function programPids(box: Sandbox): number[] {
  return processesOfHome(box.home).filter((pid) => {
    try {
      return !fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('BGRUN_SUPERVISOR=1');
    } catch {
      return false;
    }
  });
}

test('save, stop all, resurrect: the saved programs come back with new pids, supervised ones supervised; a second resurrect starts nothing', async (t) => {
  const box = sandbox(t);
  for (const args of [
    ['--name', 'web', fixture('ready.js'), 'two words'],
    ['--name', 'worker', '--restart', 'on-failure', fixture('ready.js')],
    ['--name', 'idle', fixture('ready.js')],
  ]) {
    const r = await box.run(['start', ...args]);
    t.is(r.exitCode, 0, r.stderr);
  }
  // Stopped before the save: the user does not want it running, so it is not saved.
  await box.run(['stop', 'idle']);
  const before = new Map((await list(box)).map((p) => [p.name, p.pid]));

  const saved = await box.run(['save']);
  t.is(saved.exitCode, 0, saved.stderr);
  t.is(saved.stdout.split('\n')[0], `saved 2 programs to ${path.join(box.home, 'dump.json')}: web, worker`);
  const dump = JSON.parse(fs.readFileSync(path.join(box.home, 'dump.json'), 'utf8'));
  t.is(dump.version, 1);
  t.deepEqual(
    dump.programs.map((p: { name: string }) => p.name),
    ['web', 'worker'],
  );
  // Specs only: how to run it, not how the last run went.
  t.deepEqual(dump.programs[0].command, [process.execPath, fixture('ready.js'), 'two words']);
  t.is(dump.programs[0].pid, undefined);
  t.is(dump.programs[0].status, undefined);
  t.is(dump.programs[1].restart, 'on-failure');
  // The environment may hold secrets, as in the records.
  t.is(fs.statSync(path.join(box.home, 'dump.json')).mode & 0o777, 0o600);

  t.is((await box.run(['stop', 'all'])).exitCode, 0);
  t.deepEqual(programPids(box), []);

  const first = await box.run(['resurrect']);
  t.is(first.exitCode, 0, first.stderr);
  const after = await list(box);
  const byName = new Map(after.map((p) => [p.name, p]));
  for (const name of ['web', 'worker']) {
    const p = byName.get(name)!;
    t.is(p.status, 'running', name);
    t.not(p.pid, before.get(name), `${name} has a new pid`);
    t.true(isAlive(p.pid!), `${name} runs`);
    t.regex(first.stdout, new RegExp(`^started ${name} \\(pid ${p.pid}\\)$`, 'm'));
  }
  t.is(byName.get('idle')!.status, 'stopped');
  t.is(byName.get('worker')!.restart, 'on-failure');

  const second = await box.run(['resurrect']);
  t.is(second.exitCode, 0, second.stderr);
  t.deepEqual(second.stdout.split('\n').sort(), [
    `web is already running (pid ${byName.get('web')!.pid})`,
    `worker is already running (pid ${byName.get('worker')!.pid})`,
  ]);
  t.deepEqual(programPids(box).sort(), [byName.get('web')!.pid, byName.get('worker')!.pid].sort());

  // Supervised again: the supervisor brings a killed worker back.
  const worker = byName.get('worker')!.pid!;
  process.kill(worker, 'SIGKILL');
  await waitFor(
    async () => {
      const w = (await list(box)).find((p) => p.name === 'worker');
      return w && w.status === 'running' && w.pid !== worker;
    },
    { what: 'the supervisor to restart worker', timeout: 15_000 },
  );
  await box.run(['stop', 'all']);
});

test('resurrect keeps the dependsOn order of a config: a dependent starts once what it needs is ready; a failed dependency holds it back', async (t) => {
  const box = sandbox(t);
  const port = await freePort();
  const stamps = path.join(box.dir, 'stamps');
  // db takes a while to listen: started side by side, web would start long before db is ready.
  fs.copyFileSync(fixture('ready-server.js'), path.join(box.dir, 'db.js'));
  const env = (name: string, extra: Record<string, string> = {}) => ({ APP_NAME: name, STAMP_FILE: stamps, ...extra });
  fs.writeFileSync(
    path.join(box.dir, 'bgrun.config.json'),
    JSON.stringify({
      apps: [
        { name: 'web', script: fixture('ready-server.js'), env: env('web'), dependsOn: ['db'] },
        { name: 'db', script: 'db.js', env: env('db', { PORT: String(port), DELAY_MS: '2500' }), ready: `tcp:${port}`, readyTimeout: '30s' },
        { name: 'lone', script: fixture('ready-server.js'), env: env('lone') },
      ],
    }),
  );
  const started = await box.run(['start'], { cwd: box.dir });
  t.is(started.exitCode, 0, started.stderr);
  t.deepEqual(box.record('web').dependsOn, ['db']);
  t.is(box.record('db').dependsOn, undefined);
  t.is((await box.run(['save'])).exitCode, 0);
  t.is((await box.run(['stop', 'all'])).exitCode, 0);
  fs.rmSync(stamps);

  const r = await box.run(['resurrect']);
  t.is(r.exitCode, 0, r.stderr);
  const at = (what: string) => Number(/ (\d+)$/.exec(readText(stamps).split('\n').find((l) => l.startsWith(`${what} `)) ?? '')?.[1]);
  t.true(at('web start') >= at('db ready'), `web started at ${at('web start')}, db was ready at ${at('db ready')}`);
  // What depends on nothing is not held back by the wait.
  t.true(at('lone start') < at('db ready'), `lone started at ${at('lone start')}, db was ready at ${at('db ready')}`);

  // db can no longer start: web is not started either, and says why.
  t.is((await box.run(['stop', 'all'])).exitCode, 0);
  fs.rmSync(path.join(box.dir, 'db.js'));
  const failed = await box.run(['resurrect', '--json']);
  t.is(failed.exitCode, 1);
  const results = new Map((JSON.parse(failed.stdout) as { name: string; action: string; error: { code: string; message: string } | null }[]).map((x) => [x.name, x]));
  t.is(results.get('db')!.action, 'failed');
  t.is(results.get('web')!.action, 'failed');
  t.deepEqual(results.get('web')!.error, { code: 'DEPENDENCY_FAILED', message: "not started: it depends on 'db', which did not start" });
  t.is(results.get('lone')!.action, 'started');
  t.is(box.record('web').status, 'stopped');
  await box.run(['stop', 'all']);
});

test('resurrect recreates a saved program whose record is gone, and two at once never start it twice', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'web', '--env', 'GREETING=hi', fixture('ready.js')])).exitCode, 0);
  t.is((await box.run(['save'])).exitCode, 0);
  t.is((await box.run(['rm', 'web'])).exitCode, 0);
  t.deepEqual(await list(box), []);

  const [a, b] = await Promise.all([box.run(['resurrect']), box.run(['resurrect'])]);
  t.is(a.exitCode, 0, a.stderr);
  t.is(b.exitCode, 0, b.stderr);
  const lines = [a.stdout, b.stdout].sort();
  // Either may win, and the winner may find the record the loser had just created.
  t.regex(lines.join('\n'), /^started web \(pid \d+\)( from the saved spec: it had no record)?$/m);
  t.regex(lines.join('\n'), /^web is already (running \(pid \d+\)|being started)$/m);
  const listed = await list(box);
  t.is(listed.length, 1);
  t.deepEqual(programPids(box), [listed[0]!.pid!]);
  // The saved environment came back with it.
  t.true(fs.readFileSync(`/proc/${listed[0]!.pid}/environ`, 'latin1').split('\0').includes('GREETING=hi'));
  await box.run(['stop', 'all']);
});

test('resurrect without a save, with an empty save, and with a program that cannot start', async (t) => {
  const box = sandbox(t);
  const nothing = await box.run(['resurrect']);
  t.is(nothing.exitCode, 0);
  t.is(nothing.stdout, `nothing to resurrect: ${path.join(box.home, 'dump.json')} does not exist; run 'bgrun save' while your programs run`);

  const empty = await box.run(['save']);
  t.is(empty.exitCode, 0);
  t.regex(empty.stdout, /^saved an empty list to /);
  t.regex((await box.run(['resurrect'])).stdout, /^nothing to resurrect: the list saved in .* is empty$/);

  const gone = path.join(box.dir, 'gone');
  fs.mkdirSync(gone);
  t.is((await box.run(['start', '--name', 'lost', '--cwd', gone, fixture('ready.js')])).exitCode, 0);
  t.is((await box.run(['start', '--name', 'fine', fixture('ready.js')])).exitCode, 0);
  t.is((await box.run(['save'])).exitCode, 0);
  await box.run(['stop', 'all']);
  fs.rmSync(gone, { recursive: true });
  const r = await box.run(['resurrect']);
  t.is(r.exitCode, 1);
  t.regex(r.stderr.split('\n')[0]!, /^bgrun: cannot resurrect 'lost': /);
  t.regex(r.stdout, /^started fine \(pid \d+\)$/m);
  const json = JSON.parse((await box.run(['resurrect', '--json'])).stdout);
  t.deepEqual(
    json.map((row: { name: string; action: string }) => [row.name, row.action]),
    [
      ['fine', 'running'],
      ['lost', 'failed'],
    ],
  );
  await box.run(['stop', 'all']);
});

test('startup --user writes a user unit that runs bgrun resurrect, enables it, and unstartup removes it', async (t) => {
  const box = sandbox(t);
  const home = path.join(box.dir, 'user-home');
  fs.mkdirSync(home);
  // A stand-in systemctl: systemd is never touched from a test.
  const calls = path.join(box.dir, 'systemctl.calls');
  const fake = path.join(box.dir, 'systemctl');
  fs.writeFileSync(fake, `#!/bin/sh\necho "$@" >> '${calls}'\n`, { mode: 0o755 });
  const env = { HOME: home, BGRUN_SYSTEMCTL: fake };
  const r = await box.run(['startup', '--user', '--init', 'systemd'], { env });
  t.is(r.exitCode, 0, r.stderr);
  const unitFile = path.join(home, '.config', 'systemd', 'user', 'bgrun-resurrect.service');
  const wants = path.join(home, '.config', 'systemd', 'user', 'default.target.wants', 'bgrun-resurrect.service');
  t.is(r.stdout.split('\n')[0], `wrote ${unitFile} and enabled it (${wants})`);
  const unit = fs.readFileSync(unitFile, 'utf8');
  t.regex(unit, new RegExp(`^ExecStart=${process.execPath} ${BIN} resurrect$`, 'm'));
  t.regex(unit, new RegExp(`^Environment=BGRUN_HOME=${box.home}$`, 'm'));
  t.regex(unit, /^Type=oneshot$/m);
  t.regex(unit, /^RemainAfterExit=yes$/m);
  t.regex(unit, /^KillMode=process$/m);
  t.regex(unit, /^WantedBy=default\.target$/m);
  t.is(fs.readlinkSync(wants), '../bgrun-resurrect.service');
  if (!fs.existsSync('/var/lib/systemd/linger/root') && process.getuid?.() === 0) t.regex(r.stdout, /loginctl enable-linger root/);
  if (fs.existsSync('/run/systemd/system')) {
    t.is(fs.readFileSync(calls, 'utf8'), '--user daemon-reload\n');
  } else {
    t.false(fs.existsSync(calls), 'no systemctl where systemd does not run');
    t.regex(r.stdout, /^systemd is not running here; once it is, run: systemctl --user daemon-reload$/m);
  }
  const verified = systemdAnalyzeVerify([unitFile], { user: true });
  if (verified === null) t.log('systemd-analyze is not installed: the unit is checked by content only');
  else t.deepEqual(verified, { status: 0, output: '' });

  // XDG_CONFIG_HOME wins over HOME, as it does for systemd.
  const xdg = path.join(box.dir, 'xdg');
  const r2 = await box.run(['startup', '--user', '--init', 'systemd'], { env: { ...env, XDG_CONFIG_HOME: xdg } });
  t.is(r2.exitCode, 0, r2.stderr);
  t.true(fs.existsSync(path.join(xdg, 'systemd', 'user', 'bgrun-resurrect.service')));

  const removed = await box.run(['unstartup', '--user'], { env });
  t.is(removed.exitCode, 0, removed.stderr);
  t.is(removed.stdout.split('\n')[0], `removed ${unitFile}`);
  t.false(fs.existsSync(unitFile));
  t.false(fs.existsSync(wants));
  const again = await box.run(['unstartup', '--user'], { env });
  t.is(again.exitCode, 0);
  t.is(again.stdout.split('\n')[0], `no startup unit at ${unitFile}`);
});

test('startup without systemd prints the crontab @reboot line and writes nothing', async (t) => {
  const box = sandbox(t);
  const home = path.join(box.dir, 'user-home');
  fs.mkdirSync(home);
  // cron turns a bare % into a line break: it must come out escaped.
  const odd = path.join(box.dir, '50% state');
  const env = { HOME: home, BGRUN_HOME: odd };
  const printed = await box.run(['startup', '--init', 'cron', '--print'], { env });
  t.is(printed.exitCode, 0, printed.stderr);
  t.is(printed.stdout, `@reboot BGRUN_HOME='${path.join(box.dir, '50\\% state')}' ${process.execPath} ${BIN} resurrect`);

  if (fs.existsSync('/run/systemd/system')) {
    t.log('systemd runs here: the automatic fallback to cron is not exercised');
  } else {
    const r = await box.run(['startup', '--user']);
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout.split('\n')[0], "systemd is not running here, so there is no unit to install. To run 'bgrun resurrect' at boot,");
    t.true(r.stdout.split('\n').includes(`@reboot BGRUN_HOME=${box.home} ${process.execPath} ${BIN} resurrect`));
  }
  t.deepEqual(fs.readdirSync(home), []);
  const bad = await box.run(['startup', '--init', 'upstart']);
  t.is(bad.exitCode, 2);
  t.is(bad.stderr.split('\n')[0], "bgrun: invalid --init 'upstart': use systemd or cron");
});

test('startup as root without --user: a system unit for multi-user.target (printed only)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.pass('not root: a system unit needs root');
    return;
  }
  const box = sandbox(t);
  const r = await box.run(['startup', '--init', 'systemd', '--print']);
  t.is(r.exitCode, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.is(lines[0], '# /etc/systemd/system/bgrun-resurrect.service');
  t.true(lines.includes('WantedBy=multi-user.target'));
  t.true(lines.includes('After=network-online.target'));
  t.true(lines.includes(`ExecStart=${process.execPath} ${BIN} resurrect`));
});

test('after a crash of everything (as after a reboot), resurrect brings back several supervised programs at once', async (t) => {
  const box = sandbox(t);
  for (const name of ['a', 'b', 'c']) {
    const r = await box.run(['start', '--name', name, '--restart', 'on-failure', '--wait', '0', fixture('ready.js')]);
    t.is(r.exitCode, 0, r.stderr);
  }
  t.is((await box.run(['start', '--name', 'plain', fixture('ready.js')])).exitCode, 0);
  t.is((await box.run(['save'])).exitCode, 0);
  // Programs and supervisor die at once; the records still say they should run.
  const everything = processesOfHome(box.home);
  for (const pid of everything) process.kill(pid, 'SIGKILL');
  await waitFor(() => everything.every((pid) => !isAlive(pid)), { what: 'everything dead' });

  const r = await box.run(['resurrect']);
  t.is(r.exitCode, 0, r.stderr);
  const listed = await list(box);
  t.deepEqual(
    listed.map((p) => [p.name, p.status]),
    [
      ['a', 'running'],
      ['b', 'running'],
      ['c', 'running'],
      ['plain', 'running'],
    ],
  );
  t.deepEqual(programPids(box).sort(), listed.map((p) => p.pid!).sort());
  await box.run(['stop', 'all']);
});
