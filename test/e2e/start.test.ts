import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { FIXTURES, ROOT, fixture, isAlive, processesOfHome, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, environOf, fdTarget, firstLine, listJson, procStat, runOk, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

function cmdline(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
}

function findPython(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const file = path.join(dir, 'python3');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

test('a .js script runs with this node, as the recorded pid itself, with its arguments', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['ready.js', 'a', '--b', 'two words'], { cwd: FIXTURES });
  t.is(info.name, 'ready');
  t.deepEqual(info.command, [process.execPath, fixture('ready.js'), 'a', '--b', 'two words']);
  await waitForMatch(info.outLog, new RegExp(`^ready ${info.pid} args=\\["a","--b","two words"\\]$`, 'm'), 'ready line');
  t.deepEqual(cmdline(info.pid), info.command);
});

test('a .sh script runs with sh', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, [fixture('ready.sh'), 'x', 'y']);
  t.is(info.name, 'ready');
  t.deepEqual(info.command, ['/bin/sh', fixture('ready.sh'), 'x', 'y']);
  // The script ends in `exec sleep`: the recorded pid is the one the script printed.
  await waitForMatch(info.outLog, new RegExp(`^ready ${info.pid} args=x y$`, 'm'), 'ready line');
  t.true(isAlive(info.pid));
});

const python = findPython();
(python ? test : test.skip)('a .py script runs with python3 from PATH', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, [fixture('ready.py'), '--port', '1']);
  t.is(info.name, 'ready');
  t.is((info.command as string[])[0], python!);
  t.deepEqual((info.command as string[]).slice(1), [fixture('ready.py'), '--port', '1']);
  await waitForMatch(info.outLog, new RegExp(`^ready ${info.pid} args=\\["--port", "1"\\]$`, 'm'), 'ready line');
});

test('an executable file without a known extension runs by itself', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'serve');
  fs.writeFileSync(file, '#!/bin/sh\necho "serving $$ $1"\nexec sleep 300\n', { mode: 0o755 });
  const info = await startJson(t, box, [file, 'now']);
  t.is(info.name, 'serve');
  t.deepEqual(info.command, [file, 'now']);
  await waitForMatch(info.outLog, new RegExp(`^serving ${info.pid} now$`, 'm'), 'serving line');
});

test('a command on PATH runs by its bare name: bgrun start sleep 60', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['sleep', '60'], { cwd: box.dir });
  t.is(info.name, 'sleep');
  const command = info.command as string[];
  t.is(path.basename(command[0]!), 'sleep');
  t.true(path.isAbsolute(command[0]!));
  t.deepEqual(command.slice(1), ['60']);
  t.true(isAlive(info.pid));
  t.deepEqual(cmdline(info.pid), command);
});

test('-- hands over a command and its arguments, options included', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'shell', '--', 'sh', '-c', 'echo "hello $1 $2 $$"; exec sleep 300', 'sh', 'world', '--name']);
  t.is(info.name, 'shell');
  t.is(path.basename((info.command as string[])[0]!), 'sh');
  await waitForMatch(info.outLog, new RegExp(`^hello world --name ${info.pid}$`, 'm'), 'hello line');
});

// With no `--` after them, options after the program are the program's. (`start app.js --name x -- args`,
// pm2's order, gives bgrun the options before the `--`: test/e2e/pm2-verbs.test.ts.)
test("options go before the program; the program's own options after it reach it untouched", async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--name', 'x', fixture('ready.js'), '--name', 'y', '--json', '--wait', 'soon', 'z']);
  t.is(result.exitCode, 0, result.stderr);
  // --json after the program is the program's: bgrun prints its human output.
  const match = /^started x \(pid (\d+)\)$/m.exec(result.stdout);
  t.truthy(match, result.stdout);
  const pid = Number(match![1]);
  const record = box.record('x');
  t.is(record.pid, pid);
  t.deepEqual(record.args, ['--name', 'y', '--json', '--wait', 'soon', 'z']);
  await waitForMatch(record.outLog as string, /args=\["--name","y","--json","--wait","soon","z"\]/, 'ready line');
  t.throws(() => box.record('y'));
});

test('--cwd sets the working folder, and a relative script is found from it', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--cwd', 'test/fixtures', 'env-dump.js'], { cwd: ROOT });
  t.is(info.cwd, FIXTURES);
  t.deepEqual(info.command, [process.execPath, fixture('env-dump.js')]);
  const line = await waitForMatch(info.outLog, /^\{.*\}$/m, 'env dump');
  t.is(JSON.parse(line[0]).cwd, FIXTURES);
  t.is(fs.readlinkSync(`/proc/${info.pid}/cwd`), FIXTURES);
});

test('--cwd that does not exist is refused before anything starts', async (t) => {
  const box = sandbox(t);
  const missing = path.join(box.dir, 'nope');
  const result = await box.run(['start', '--cwd', missing, fixture('ready.js')]);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), `bgrun: working folder ${missing} is unusable: no such file or directory`);
  t.deepEqual(processesOfHome(box.home), []);
  t.false(fs.existsSync(path.join(box.home, 'records', 'ready.json')));
});

test("the program gets the caller's environment, then --env-file, then --env (repeatable) on top", async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, '# settings\nexport FROM_FILE=file\nOVERRIDDEN=file\nQUOTED="a b"\nCALLER_VAR=file-wins\n');
  const info = await startJson(
    t,
    box,
    ['--env-file', envFile, '--env', 'FOO=1', '-e', 'BAR=x=y', '--env', 'OVERRIDDEN=flag', '--env', 'EMPTY=', fixture('env-dump.js')],
    { env: { CALLER_VAR: 'caller', CALLER_ONLY: 'kept' } },
  );
  const line = await waitForMatch(info.outLog, /^\{.*\}$/m, 'env dump');
  const env = JSON.parse(line[0]).env as Record<string, string>;
  t.is(env.FOO, '1');
  t.is(env.BAR, 'x=y');
  t.is(env.EMPTY, '');
  t.is(env.FROM_FILE, 'file');
  t.is(env.QUOTED, 'a b');
  t.is(env.OVERRIDDEN, 'flag');
  t.is(env.CALLER_VAR, 'file-wins');
  t.is(env.CALLER_ONLY, 'kept');
  t.is(env.BGRUN_HOME, box.home);
  // What the kernel holds, not only what node reports.
  t.is(environOf(info.pid).FOO, '1');
});

test('--env without KEY=VALUE and a malformed --env-file are refused before anything starts', async (t) => {
  const box = sandbox(t);
  const bad = await box.run(['start', '--env', 'NO.EQUALS', fixture('ready.js')]);
  t.is(bad.exitCode, 2);
  t.is(firstLine(bad.stderr), "bgrun: invalid --env: expected KEY=VALUE, and the argument has no '=' (it is not shown: it may be a secret)");
  const garbage = path.join(box.dir, 'garbage.env');
  fs.writeFileSync(garbage, 'OK=1\nthis is not a line\n');
  const badFile = await box.run(['start', '--env-file', garbage, fixture('ready.js')]);
  t.is(badFile.exitCode, 1);
  t.is(firstLine(badFile.stderr), `bgrun: ${garbage}:2: expected KEY=VALUE (a name of letters, digits, '_', '.' or '-', then '='); the line is not shown, it may hold a secret`);
  t.deepEqual(processesOfHome(box.home), []);
  t.false(fs.existsSync(path.join(box.home, 'records', 'ready.json')));
});

/**
 * Run as the `bgrun` command is (bin/bgrun.js executed, through its `sh` line): `node
 * bin/bgrun.js …`, as the other tests run it, would not do here, since Node 20 reads a
 * `--env-file` even after the script name (nodejs/node#54232) and exits 9 with "node:
 * <file>: not found" before bgrun runs. The command puts `--` before the script.
 */
test("an --env-file that does not exist is refused with bgrun's message", async (t) => {
  const box = sandbox(t);
  const missing = path.join(box.dir, 'missing.env');
  const result = await box.run(['start', '--env-file', missing, fixture('ready.js')], { asCommand: true });
  t.is(firstLine(result.stderr), `bgrun: cannot read env file ${missing}: no such file or directory`);
  t.is(result.exitCode, 1);
  t.deepEqual(processesOfHome(box.home), []);
});

test('--interpreter runs the script with the given command and its arguments', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'prog.txt');
  fs.writeFileSync(file, "console.log('interpreted', process.pid, process.execArgv.join(' ')); setInterval(() => {}, 1000);\n");
  const info = await startJson(t, box, ['--interpreter', 'node --no-warnings', file, 'arg']);
  t.is(info.name, 'prog');
  const command = info.command as string[];
  t.is(path.basename(command[0]!), 'node');
  t.deepEqual(command.slice(1), ['--no-warnings', file, 'arg']);
  await waitForMatch(info.outLog, new RegExp(`^interpreted ${info.pid} --no-warnings$`, 'm'), 'interpreted line');
});

test('--interpreter that is not on PATH is refused', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--interpreter', 'no-such-interpreter-xyz', fixture('ready.js')]);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), "bgrun: interpreter 'no-such-interpreter-xyz' not found on PATH; give its full path");
});

test('--wait 0 returns at once; a failure after that shows in list as exited', async (t) => {
  const box = sandbox(t);
  // Fails only once the test allows it, so it is surely still running when bgrun returns.
  const script = 'while [ ! -e go ]; do sleep 0.02; done; echo late failure >&2; exit 3';
  const info = await startJson(t, box, ['--wait', '0', '--name', 'late', '--', 'sh', '-c', script], { cwd: box.dir });
  t.is(info.status, 'running');
  t.true(isAlive(info.pid));
  fs.writeFileSync(path.join(box.dir, 'go'), '');
  // Nobody watched it end: list finds it gone and calls it exited.
  const listed = await waitFor(async () => (await listJson(box)).find((p) => p.name === 'late' && p.status === 'exited'), {
    timeout: LONG,
    what: 'status exited',
  });
  t.is(listed.pid, null);
  t.false(isAlive(info.pid));
  t.is(readText(info.errLog), 'late failure\n');
});

test('start --json prints the public fields of the record', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, [fixture('ready.js')], { cwd: box.dir });
  t.is(info.name, 'ready');
  t.true(Number.isInteger(info.pid) && info.pid > 0);
  t.is(info.status, 'running');
  t.is(info.exitCode, null);
  t.is(info.restarts, 0);
  t.deepEqual(info.command, [process.execPath, fixture('ready.js')]);
  t.is(info.cwd, box.dir);
  t.is(new Date(info.startedAt as string).toISOString(), info.startedAt as string);
  t.is(info.outLog, path.join(box.home, 'logs', 'ready.out.log'));
  t.is(info.errLog, path.join(box.home, 'logs', 'ready.err.log'));
  t.is(info.pidFile, path.join(box.home, 'pids', 'ready.pid'));
  t.false(JSON.stringify(info).includes(box.home + '/records'), 'no record internals');
  t.false('env' in info, 'the environment is not printed');
});

test('start prints the name, pid and log files', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', fixture('ready.js')]);
  t.is(result.exitCode, 0, result.stderr);
  const pid = box.record('ready').pid;
  t.deepEqual(result.stdout.split('\n'), [
    `started ready (pid ${pid})`,
    `  out: ${path.join(box.home, 'logs', 'ready.out.log')}`,
    `  err: ${path.join(box.home, 'logs', 'ready.err.log')}`,
  ]);
  t.is(result.stderr, '');
});

test('default names are made unique: ready, ready-2, ready-3', async (t) => {
  const box = sandbox(t);
  const names: string[] = [];
  const pids: number[] = [];
  for (let i = 0; i < 3; i++) {
    const info = await startJson(t, box, ['--wait', '0', fixture('ready.js')]);
    names.push(info.name);
    pids.push(info.pid);
  }
  t.deepEqual(names, ['ready', 'ready-2', 'ready-3']);
  t.is(new Set(pids).size, 3);
  for (const pid of pids) t.true(isAlive(pid));
  t.deepEqual(
    (await listJson(box)).map((p) => p.name),
    ['ready', 'ready-2', 'ready-3'],
  );
});

test('starting an explicit name that is running fails with exit 1 and starts nothing', async (t) => {
  const box = sandbox(t);
  const first = await startJson(t, box, ['--name', 'web', fixture('ready.js')]);
  const before = processesOfHome(box.home);
  t.deepEqual(before, [first.pid]);
  const second = await box.run(['start', '--name', 'web', fixture('ticker.js')]);
  t.is(second.exitCode, 1);
  t.is(firstLine(second.stderr), `bgrun: 'web' is already running (pid ${first.pid}); use 'bgrun restart web', or --name to start another`);
  t.is(second.stdout, '');
  t.deepEqual(processesOfHome(box.home), [first.pid]);
  t.is(box.record('web').pid, first.pid);
  t.deepEqual(box.record('web').command, [process.execPath, fixture('ready.js')]);
});

test('a name whose program has ended can be started again; its logs are appended', async (t) => {
  const box = sandbox(t);
  const first = await startJson(t, box, ['--name', 'again', fixture('ready.js')]);
  await waitForMatch(first.outLog, new RegExp(`^ready ${first.pid} `, 'm'));
  await runOk(t, box, ['stop', 'again']);
  const second = await startJson(t, box, ['--name', 'again', fixture('ready.js')]);
  t.not(second.pid, first.pid);
  await waitForMatch(second.outLog, new RegExp(`^ready ${second.pid} `, 'm'));
  t.regex(readText(second.outLog), new RegExp(`^ready ${first.pid} `, 'm'));
});

test('the program runs detached: its own session and group, stdin /dev/null, no terminal, logs on fds 1 and 2', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, [fixture('ready.js')]);
  const stat = procStat(info.pid)!;
  t.is(stat.sid, info.pid, 'session leader');
  t.is(stat.pgid, info.pid, 'group leader');
  t.is(stat.ttyNr, 0, 'no controlling terminal');
  t.is(fdTarget(info.pid, 0), '/dev/null');
  t.is(fdTarget(info.pid, 1), info.outLog);
  t.is(fdTarget(info.pid, 2), info.errLog);
  // bgrun is not in the data path: nothing else holds the log files open for writing.
  t.is(fs.readFileSync(info.pidFile, 'utf8'), `${info.pid}\n`);
});

test('a program that dies within the grace period: exit 1, its exit code and the tail of its stderr', async (t) => {
  const box = sandbox(t);
  const lines = Array.from({ length: 12 }, (_, i) => `problem ${i + 1}`);
  const result = await box.run(['start', '--wait', '10s', fixture('exit.js'), '3', ...lines]);
  t.is(result.exitCode, 1);
  const errLog = path.join(box.home, 'logs', 'exit.err.log');
  t.deepEqual(result.stderr.split('\n'), [
    `bgrun: 'exit' exited with code 3 right after starting; its stderr is in ${errLog}`,
    'from its stderr:',
    ...lines.slice(-10).map((l) => `  ${l}`),
  ]);
  const record = box.record('exit');
  t.is(record.status, 'errored');
  t.is(record.exitCode, 3);
  const listed = (await listJson(box))[0]!;
  t.is(listed.status, 'errored');
  t.is(listed.exitCode, 3);
  t.is(listed.pid, null);
});

test('a failing start within the default grace period is caught too', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--name', 'boom', '--', 'sh', '-c', 'echo kaput >&2; exit 7']);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), `bgrun: 'boom' exited with code 7 right after starting; its stderr is in ${path.join(box.home, 'logs', 'boom.err.log')}`);
  t.regex(result.stderr, /^ {2}kaput$/m);
});

test('a program killed by a signal within the grace period is reported with the signal', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--wait', '10s', '--name', 'killed', '--', 'sh', '-c', 'kill -KILL $$']);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), `bgrun: 'killed' was killed by SIGKILL right after starting; its stderr is in ${path.join(box.home, 'logs', 'killed.err.log')}`);
  t.is(box.record('killed').signal, 'SIGKILL');
});

test('a program that exits 0 within the grace period is a success', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--wait', '10s', fixture('exit.js'), '0']);
  t.is(result.exitCode, 0, result.stderr);
  const record = box.record('exit');
  t.is(firstLine(result.stdout), `exit ran and exited with code 0 (pid ${record.pid})`);
  t.is(record.status, 'exited');
  t.is(record.exitCode, 0);
  t.is((await listJson(box))[0]!.status, 'exited');
});
