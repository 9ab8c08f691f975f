import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, processesOfHome, readText, sandbox, sweepAll } from '../helpers/bgrun.js';
import { firstLine, listJson, runOk, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

test('restart: same name, a new pid, restarts + 1, logs appended', async (t) => {
  const box = sandbox(t);
  const first = await startJson(t, box, ['--name', 'web', '--env', 'MODE=test', fixture('env-dump.js'), '--flag']);
  await waitForMatch(first.outLog, new RegExp(`"pid":${first.pid},`));
  const result = await box.run(['restart', 'web']);
  t.is(result.exitCode, 0, result.stderr);
  const record = box.record('web');
  t.is(firstLine(result.stdout), `restarted web (pid ${record.pid})`);
  const second = record.pid!;
  t.not(second, first.pid);
  t.false(isAlive(first.pid), 'the old process is gone');
  t.true(isAlive(second));
  t.is(record.restarts, 1);
  t.is(record.status, 'running');
  await waitForMatch(first.outLog, new RegExp(`"pid":${second},`), 'the new run in the same log');
  const runs = readText(first.outLog)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { pid: number; argv: string[]; env: Record<string, string> });
  t.deepEqual(
    runs.map((r) => r.pid),
    [first.pid, second],
    'the old lines are still there',
  );
  // Started again the same way.
  t.deepEqual(runs[1]!.argv, ['--flag']);
  t.is(runs[1]!.env.MODE, 'test');
  t.deepEqual(processesOfHome(box.home), [second]);

  const again = await box.run(['restart', 'web', '--json']);
  t.is(again.exitCode, 0, again.stderr);
  const info = JSON.parse(again.stdout);
  t.is(info.restarts, 2);
  t.is(info.name, 'web');
  t.not(info.pid, second);
  t.false(isAlive(second));
  t.deepEqual((await listJson(box)).map((p) => [p.name, p.restarts, p.status]), [['web', 2, 'running']]);
});

test('a variable removed from an --env-file is gone at the next restart, a changed one changes', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, 'KEEP=1\nDROP=2\n');
  const first = await startJson(t, box, ['--name', 'app', '--env-file', envFile, fixture('env-dump.js')]);
  await waitForMatch(first.outLog, new RegExp(`"pid":${first.pid},`));
  fs.writeFileSync(envFile, 'KEEP=3\n');
  const result = await box.run(['restart', 'app']);
  t.is(result.exitCode, 0, result.stderr);
  const second = box.record('app').pid!;
  await waitForMatch(first.outLog, new RegExp(`"pid":${second},`), 'the second run');
  const [before, after] = readText(first.outLog)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { env: Record<string, string> });
  t.is(before!.env.DROP, '2');
  t.is(after!.env.KEEP, '3');
  t.false('DROP' in after!.env, 'DROP was taken out of the file');
  await box.run(['stop', 'all']);
});

test('restart of a stopped program starts it again', async (t) => {
  const box = sandbox(t);
  const first = await startJson(t, box, ['--name', 'idle', fixture('ready.js')]);
  await runOk(t, box, ['stop', 'idle']);
  const result = await box.run(['restart', 'idle', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  t.is(info.status, 'running');
  t.not(info.pid, first.pid);
  t.true(isAlive(info.pid));
  t.is(info.restarts, 1);
});

test('restart all restarts every program', async (t) => {
  const box = sandbox(t);
  const a = await startJson(t, box, ['--name', 'a', fixture('ready.js')]);
  const b = await startJson(t, box, ['--name', 'b', fixture('ready.js')]);
  const result = await box.run(['restart', 'all']);
  t.is(result.exitCode, 0, result.stderr);
  const listed = await listJson(box);
  t.deepEqual(listed.map((p) => [p.name, p.restarts, p.status]), [
    ['a', 1, 'running'],
    ['b', 1, 'running'],
  ]);
  t.false(isAlive(a.pid));
  t.false(isAlive(b.pid));
  t.deepEqual(processesOfHome(box.home).sort(), listed.map((p) => p.pid as number).sort());
});

test('restart of a program that now fails at start reports it with exit 1', async (t) => {
  const box = sandbox(t);
  const marker = path.join(box.dir, 'healthy');
  fs.writeFileSync(marker, '');
  // Runs while the marker exists, fails at once when it does not.
  const script = 'if [ -e healthy ]; then exec sleep 300; else echo "config missing" >&2; exit 5; fi';
  const first = await startJson(t, box, ['--name', 'fragile', '--', 'sh', '-c', script], { cwd: box.dir });
  fs.rmSync(marker);
  const result = await box.run(['restart', 'fragile', '--wait', '10s']);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), `bgrun: 'fragile' exited with code 5 right after starting; its stderr is in ${first.errLog}`);
  t.regex(result.stderr, /^ {2}config missing$/m);
  t.false(isAlive(first.pid));
  t.is(box.record('fragile').status, 'errored');
});

test('show prints everything known about one program; status is its alias', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'api', '--env', 'PORT=1', fixture('ready.js'), 'x'], { cwd: box.dir });
  const result = await box.run(['show', 'api']);
  t.is(result.exitCode, 0, result.stderr);
  const fields = new Map(result.stdout.split('\n').map((l) => [l.slice(0, 16).trim(), l.slice(16)] as const));
  t.is(fields.get('name'), 'api');
  t.is(fields.get('status'), 'running');
  t.is(fields.get('pid'), String(info.pid));
  t.is(fields.get('restarts'), '0');
  t.is(fields.get('command'), `${process.execPath} ${fixture('ready.js')} x`);
  t.is(fields.get('cwd'), box.dir);
  t.is(fields.get('env set'), 'PORT');
  t.is(fields.get('out log'), info.outLog);
  t.is(fields.get('err log'), info.errLog);
  t.is(fields.get('pidfile'), info.pidFile);
  t.is(fields.get('log rotation'), 'never');
  t.is(fields.get('depends on'), '-');
  const alias = await box.run(['status', 'api']);
  t.is(alias.exitCode, 0, alias.stderr);
  t.is(alias.stdout.replace(/^(uptime|cpu|memory) .*$/gm, ''), result.stdout.replace(/^(uptime|cpu|memory) .*$/gm, ''));
});

test('show --json adds what list leaves out, and works by pid', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'x.env');
  fs.writeFileSync(envFile, 'A=1\n');
  const info = await startJson(t, box, ['--name', 'api', '--env-file', envFile, '--env', 'B=2', '--max-log-size', '2M', '--max-log-files', '3', fixture('ready.js')]);
  const result = await box.run(['show', String(info.pid), '--json']);
  t.is(result.exitCode, 0, result.stderr);
  const shown = JSON.parse(result.stdout);
  t.is(shown.name, 'api');
  t.is(shown.pid, info.pid);
  t.is(shown.status, 'running');
  t.is(shown.desired, 'running');
  t.is(shown.interpreter, null);
  t.deepEqual(shown.envVars, ['B']);
  t.deepEqual(shown.envFiles, [envFile]);
  t.is(shown.outLog, info.outLog);
  t.is(shown.pidFile, info.pidFile);
  t.deepEqual(shown.logRotation, { maxBytes: 2 * 1024 * 1024, maxFiles: 3 });
  t.deepEqual(shown.dependsOn, []);
  const text = await box.run(['show', 'api']);
  t.regex(text.stdout, /^log rotation {4}past 2\.0 MB, 3 copies kept$/m);
});

test('show refuses zero, several or all programs, and names it does not know', async (t) => {
  const box = sandbox(t);
  const usage = 'bgrun: show takes exactly one program: bgrun show <pid|name> [--json]';
  for (const args of [['show'], ['show', 'all'], ['show', 'a', 'b']]) {
    const result = await box.run(args);
    t.is(result.exitCode, 2, args.join(' '));
    t.is(firstLine(result.stderr), usage);
  }
  const unknown = await box.run(['status', 'nope']);
  t.is(unknown.exitCode, 1);
  t.is(firstLine(unknown.stderr), "bgrun: no process named 'nope'; see 'bgrun list'");
});

test('rm stops and forgets a program; its logs are kept', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'temp', fixture('ready.js')]);
  await waitForMatch(info.outLog, /^ready /m);
  const result = await box.run(['rm', 'temp']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `removed temp (stopped pid ${info.pid}); logs kept in ${info.outLog} and ${info.errLog}`);
  t.false(isAlive(info.pid));
  t.false(fs.existsSync(path.join(box.home, 'records', 'temp.json')));
  t.false(fs.existsSync(info.pidFile));
  t.regex(readText(info.outLog), new RegExp(`^ready ${info.pid} `, 'm'));
  t.true(fs.existsSync(info.errLog));
  t.deepEqual(await listJson(box), []);
  const gone = await box.run(['show', 'temp']);
  t.is(gone.exitCode, 1);
  // The name is free again.
  const again = await startJson(t, box, ['--name', 'temp', fixture('ready.js')]);
  t.is(again.restarts, 0);
});

test('delete is an alias of rm; rm of a stopped program and rm all', async (t) => {
  const box = sandbox(t);
  const a = await startJson(t, box, ['--name', 'a', fixture('ready.js')]);
  await startJson(t, box, ['--name', 'b', fixture('ready.js')]);
  const c = await startJson(t, box, ['--name', 'c', fixture('ready.js')]);
  await runOk(t, box, ['stop', 'b']);
  const deleted = await box.run(['delete', 'b']);
  t.is(deleted.exitCode, 0, deleted.stderr);
  t.is(deleted.stdout, `removed b; logs kept in ${path.join(box.home, 'logs', 'b.out.log')} and ${path.join(box.home, 'logs', 'b.err.log')}`);
  const all = await box.run(['rm', 'all']);
  t.is(all.exitCode, 0, all.stderr);
  t.is(all.stdout.split('\n').length, 2);
  t.false(isAlive(a.pid));
  t.false(isAlive(c.pid));
  t.deepEqual(await listJson(box), []);
  t.deepEqual(processesOfHome(box.home), []);
  t.deepEqual(fs.readdirSync(path.join(box.home, 'records')), [], 'no records left');
  t.is(fs.readdirSync(path.join(box.home, 'logs')).length, 6);
});

test('restart and rm of unknown programs fail with exit 1; without a target with exit 2', async (t) => {
  const box = sandbox(t);
  for (const command of ['restart', 'rm', 'delete']) {
    const unknown = await box.run([command, 'nope']);
    t.is(unknown.exitCode, 1, command);
    t.is(firstLine(unknown.stderr), "bgrun: no process named 'nope'; see 'bgrun list'");
    const missing = await box.run([command]);
    t.is(missing.exitCode, 2, command);
    t.regex(firstLine(missing.stderr), /^bgrun: missing target: bgrun (restart|rm) <pid\|name\|all>\.\.\./);
  }
});
