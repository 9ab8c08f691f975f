import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BIN, fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, listJson, runOk, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const ANSI = /\x1b\[/;

test('list with nothing started says how to start one', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['list']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, "no programs; start one with 'bgrun start <script>'");
  t.deepEqual(JSON.parse((await box.run(['list', '--json'])).stdout), []);
});

test('list prints a table with a header and one row per program', async (t) => {
  const box = sandbox(t);
  const web = await startJson(t, box, ['--name', 'web', fixture('ready.js'), '--port', '8080']);
  const worker = await startJson(t, box, ['--name', 'worker', '--', 'sleep', '300']);
  const result = await box.run(['list']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stderr, '');
  const lines = result.stdout.split('\n');
  t.is(lines.length, 3);
  t.regex(lines[0]!, /^NAME\s+PID\s+STATUS\s+UPTIME\s+RESTARTS\s+CPU\s+MEM\s+COMMAND$/);
  t.regex(lines[1]!, new RegExp(`^web\\s+${web.pid}\\s+running\\s+\\d+s\\s+0\\s+[\\d.]+%\\s+[\\d.]+ [KMG]?B\\s+${process.execPath} ${fixture('ready.js')} --port 8080$`));
  t.regex(lines[2]!, new RegExp(`^worker\\s+${worker.pid}\\s+running\\s+.*sleep 300$`));
  // Columns line up: every row starts its PID where the header does.
  const pidColumn = lines[0]!.indexOf('PID');
  t.is(lines[1]!.indexOf(String(web.pid)), pidColumn);
  t.is(lines[2]!.indexOf(String(worker.pid)), pidColumn);
});

test('ls and ps are aliases of list', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, [fixture('ready.js')]);
  const list = JSON.parse((await box.run(['list', '--json'])).stdout);
  for (const alias of ['ls', 'ps']) {
    const result = await box.run([alias, '--json']);
    t.is(result.exitCode, 0, result.stderr);
    const listed = JSON.parse(result.stdout);
    t.deepEqual(
      listed.map((p: { name: string; pid: number }) => [p.name, p.pid]),
      list.map((p: { name: string; pid: number }) => [p.name, p.pid]),
    );
  }
  t.regex((await box.run(['ls'])).stdout, /^NAME\s+PID/);
});

test('list --json has the documented fields with their types', async (t) => {
  const box = sandbox(t);
  const started = await startJson(t, box, ['--name', 'api', fixture('ready.js'), 'x'], { cwd: box.dir });
  const [info] = await listJson(box);
  t.truthy(info);
  t.is(info!.name, 'api');
  t.is(info!.pid, started.pid);
  t.is(info!.status, 'running');
  t.is(info!.exitCode, null);
  t.is(info!.restarts, 0);
  t.deepEqual(info!.command, [process.execPath, fixture('ready.js'), 'x']);
  t.is(info!.cwd, box.dir);
  t.is(typeof info!.startedAt, 'string');
  t.is(new Date(info!.startedAt as string).toISOString(), info!.startedAt as string);
  for (const key of ['outLog', 'errLog', 'pidFile'] as const) {
    t.true(path.isAbsolute(info![key] as string), key);
  }
  t.is(info!.outLog, path.join(box.home, 'logs', 'api.out.log'));
  t.is(info!.errLog, path.join(box.home, 'logs', 'api.err.log'));
  t.is(info!.pidFile, path.join(box.home, 'pids', 'api.pid'));
  t.is(typeof info!.memory, 'number');
  t.true((info!.memory as number) > 0);
  t.is(typeof info!.cpu, 'number');
  t.false('env' in info!, 'no environment in list --json');
});

test('the environment never shows in list or show output (it may hold secrets)', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'secret', '--env', 'API_TOKEN=hunter2-very-secret', fixture('ready.js')], {
    env: { INHERITED_SECRET: 'inherited-secret-value' },
  });
  for (const args of [['list'], ['list', '--json'], ['show', 'secret'], ['show', 'secret', '--json']]) {
    const result = await box.run(args);
    t.is(result.exitCode, 0, result.stderr);
    t.false(result.stdout.includes('hunter2-very-secret'), args.join(' '));
    t.false(result.stdout.includes('inherited-secret-value'), args.join(' '));
  }
  const shown = JSON.parse((await box.run(['show', 'secret', '--json'])).stdout);
  t.deepEqual(shown.envVars, ['API_TOKEN'], 'only the names of --env variables');
});

test('a program that ends on its own shows as exited, with no pid', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'brief', '--', 'sh', '-c', 'read line; exit 0'], { cwd: box.dir });
  // stdin is /dev/null: `read` gets end of file and the program ends by itself.
  const ended = await waitFor(async () => (await listJson(box)).find((p) => p.status === 'exited'), { timeout: LONG, what: 'status exited' });
  t.is(ended.name, 'brief');
  t.is(ended.pid, null);
  t.false(isAlive(info.pid));
  t.regex((await box.run(['list'])).stdout, /^brief\s+-\s+exited/m);
});

test('list shows stopped and errored programs', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'halted', fixture('ready.js')]);
  await runOk(t, box, ['stop', 'halted']);
  const failed = await box.run(['start', '--name', 'broken', '--wait', '10s', fixture('exit.js'), '4']);
  t.is(failed.exitCode, 1);
  const listed = await listJson(box);
  t.deepEqual(
    listed.map((p) => [p.name, p.status, p.pid, p.exitCode]),
    [
      ['broken', 'errored', null, 4],
      ['halted', 'stopped', null, null],
    ],
  );
  const table = (await box.run(['list'])).stdout;
  t.regex(table, /^broken\s+-\s+errored \(4\)/m);
  t.regex(table, /^halted\s+-\s+stopped\s/m);
});

test('no colour codes when output is not a terminal, even without NO_COLOR', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, [fixture('ready.js')]);
  const plain = await execa(process.execPath, [BIN, 'list'], { env: { ...box.env, NO_COLOR: '' }, reject: false });
  t.is(plain.exitCode, 0);
  t.regex(String(plain.stdout), /running/);
  t.notRegex(String(plain.stdout), ANSI);
});

test('colour on a terminal, and none there with NO_COLOR set', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, [fixture('ready.js')]);
  // script(1) gives `bgrun list` a real terminal; its output comes back on our pipe.
  const onTerminal = (env: Record<string, string>) =>
    execa('script', ['-qec', `${process.execPath} ${BIN} list`, '/dev/null'], {
      env: { BGRUN_HOME: box.home, TERM: 'xterm', PATH: process.env.PATH ?? '', ...env },
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
    });
  const coloured = await onTerminal({});
  t.is(coloured.exitCode, 0, String(coloured.stderr));
  t.regex(String(coloured.stdout), ANSI, 'coloured on a terminal');
  t.regex(String(coloured.stdout), /running/);
  const plain = await onTerminal({ NO_COLOR: '1' });
  t.is(plain.exitCode, 0, String(plain.stderr));
  t.regex(String(plain.stdout), /running/);
  t.notRegex(String(plain.stdout), ANSI, 'NO_COLOR is honoured on a terminal');
});
