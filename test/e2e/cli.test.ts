import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ROOT, fixture, isAlive, processesOfHome, sandbox, sweepAll } from '../helpers/bgrun.js';
import { firstLine, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CORE_COMMANDS = ['start', 'list', 'logs', 'stop', 'restart', 'show', 'rm'];

test('--help, -h, help and no arguments print the usage and exit 0', async (t) => {
  const box = sandbox(t);
  const outputs: string[] = [];
  for (const args of [['--help'], ['-h'], ['help'], []]) {
    const result = await box.run(args);
    t.is(result.exitCode, 0, args.join(' '));
    t.is(result.stderr, '');
    outputs.push(result.stdout);
  }
  const usage = outputs[0]!;
  t.true(outputs.every((o) => o === usage));
  const lines = usage.split('\n');
  t.is(lines[0], 'bgrun: run programs in the background, safely');
  t.true(lines.includes('Usage: bgrun <command> [options]'));
  for (const command of CORE_COMMANDS) t.regex(usage, new RegExp(`^ {2}${command} +\\S`, 'm'), command);
  t.regex(usage, /Exit status: 0 success, 1 failure, 2 usage error\./);
  // Help touches no state.
  t.false(fs.existsSync(box.home));
});

test('<command> --help prints that command’s usage and options, and does nothing else', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'keep', fixture('ready.js')]);
  for (const command of [...CORE_COMMANDS, 'ls', 'ps', 'status', 'delete']) {
    const args = ['stop', 'restart', 'rm', 'delete'].includes(command) ? [command, 'all', '--help'] : [command, '--help'];
    const result = await box.run(args);
    t.is(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`);
    const lines = result.stdout.split('\n');
    t.true(lines.some((l) => l.startsWith(`Usage: bgrun ${command === 'ls' || command === 'ps' ? 'list' : command === 'status' ? 'show' : command === 'delete' ? 'rm' : command}`)), args.join(' '));
    t.true(lines.includes('Options:'), command);
    t.regex(result.stdout, /^ {2}-h, --help +show this help$/m, command);
  }
  t.true(isAlive(info.pid), 'stop/restart/rm all --help touched nothing');
  t.is(box.record('keep').pid, info.pid);
  t.is(box.record('keep').restarts, 0);
  const start = (await box.run(['start', '-h'])).stdout;
  for (const option of ['--name', '--cwd', '--env', '--env-file', '--interpreter', '--wait', '--json']) {
    t.regex(start, new RegExp(`^ {2}(-\\w, )? *${option} `, 'm'), option);
  }
  t.is((await box.run(['help', 'start'])).stdout, start);
});

test('--help after the program belongs to the program', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', fixture('ready.js'), '--help']);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(firstLine(result.stdout), /^started ready \(pid \d+\)$/);
  const record = box.record('ready');
  await waitForMatch(record.outLog as string, /args=\["--help"\]/);
  const dashed = await box.run(['start', '--name', 'd', '--', 'sh', '-c', 'echo "$@"; exec sleep 300', 'sh', '--help', '-h']);
  t.is(dashed.exitCode, 0, dashed.stderr);
  await waitForMatch(box.record('d').outLog as string, /^--help -h$/m);
});

test('--version, -V and version print the package version', async (t) => {
  const box = sandbox(t);
  for (const args of [['--version'], ['-V'], ['version']]) {
    const result = await box.run(args);
    t.is(result.exitCode, 0);
    t.is(result.stdout, VERSION);
    t.is(result.stderr, '');
  }
});

/** Runs bgrun and checks the exit status and the one-line error; returns stderr. */
async function expectError(
  t: ExecutionContext,
  box: ReturnType<typeof sandbox>,
  args: string[],
  code: number,
  line: string | RegExp,
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const result = await box.run(args, options);
  t.is(result.exitCode, code, `${args.join(' ')}: ${result.stderr}`);
  if (typeof line === 'string') t.is(firstLine(result.stderr), line, args.join(' '));
  else t.regex(firstLine(result.stderr), line, args.join(' '));
  t.false(result.stderr.includes('    at '), `no stack trace: ${args.join(' ')}`);
  return result;
}

test('unknown command, unknown option and missing argument are usage errors (exit 2)', async (t) => {
  const box = sandbox(t);
  await expectError(t, box, ['frobnicate'], 2, "bgrun: unknown command 'frobnicate'; run 'bgrun --help' for the list");
  await expectError(t, box, ['start', '--bogus', fixture('ready.js')], 2, "bgrun: unknown option '--bogus'; see --help");
  await expectError(t, box, ['list', '-x'], 2, "bgrun: unknown option '-x'; see --help");
  await expectError(t, box, ['start', '--name'], 2, 'bgrun: option --name needs a value <name>');
  await expectError(t, box, ['start', '--json=1', fixture('ready.js')], 2, 'bgrun: option --json takes no value');
  // In an empty folder: nothing there to start either.
  const missing = /^bgrun: missing program: 'bgrun start <script> \[args\.\.\.\]' or 'bgrun start -- <command> \[args\.\.\.\]'/;
  await expectError(t, box, ['start'], 2, missing, { cwd: box.dir });
  await expectError(t, box, ['start', '--name', 'x'], 2, missing, { cwd: box.dir });
  await expectError(t, box, ['start', '--'], 2, missing, { cwd: box.dir });
  t.deepEqual(processesOfHome(box.home), []);
});

test('bad durations are usage errors (exit 2)', async (t) => {
  const box = sandbox(t);
  const hint = 'use milliseconds or a number with ms, s, m or h (for example 500ms, 10s, 2m)';
  await expectError(t, box, ['start', '--wait', 'soon', fixture('ready.js')], 2, `bgrun: invalid --wait 'soon': ${hint}`);
  await expectError(t, box, ['start', '--wait', '-1', fixture('ready.js')], 2, `bgrun: invalid --wait '-1': ${hint}`);
  await expectError(t, box, ['stop', 'all', '-t', '5x'], 2, `bgrun: invalid --timeout '5x': ${hint}`);
  await expectError(t, box, ['restart', 'all', '--wait', '1d'], 2, `bgrun: invalid --wait '1d': ${hint}`);
  t.deepEqual(processesOfHome(box.home), []);
});

test('invalid names are usage errors (exit 2) and start nothing', async (t) => {
  const box = sandbox(t);
  const rule = "use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-', not all digits, not 'all'";
  for (const name of ['../x', '123', 'all', '.hidden', 'a/b', 'x'.repeat(65), '']) {
    await expectError(t, box, ['start', '--name', name, fixture('ready.js')], 2, `bgrun: invalid name '${name}': ${rule}`);
  }
  await expectError(t, box, ['logs', '../../etc/passwd'], 2, `bgrun: invalid name '../../etc/passwd': ${rule}`);
  t.deepEqual(processesOfHome(box.home), []);
  const records = path.join(box.home, 'records');
  t.deepEqual(fs.existsSync(records) ? fs.readdirSync(records) : [], []);
});

test('a missing script, a folder, a non-executable file and an unknown command fail with exit 1', async (t) => {
  const box = sandbox(t);
  await expectError(t, box, ['start', 'nope.js'], 1, `bgrun: no such file or command: nope.js; check the path (relative paths start from ${box.dir})`, {
    cwd: box.dir,
  });
  const missingPath = path.join(box.dir, 'sub', 'nope.js');
  await expectError(t, box, ['start', missingPath], 1, `bgrun: no such file or command: ${missingPath}; check the path (relative paths start from ${ROOT})`);
  await expectError(t, box, ['start', box.dir], 1, `bgrun: ${box.dir} is a folder, not a program; name the script inside it`);
  const data = path.join(box.dir, 'data.txt');
  fs.writeFileSync(data, 'not a program\n');
  await expectError(
    t,
    box,
    ['start', data],
    1,
    `bgrun: ${data} is not executable and bgrun does not know how to run '.txt' files; chmod +x it or pass --interpreter`,
  );
  await expectError(t, box, ['start', '--', 'no-such-command-xyz', 'a'], 1, "bgrun: command 'no-such-command-xyz' not found on PATH");
  await expectError(t, box, ['start', '--', data], 1, `bgrun: command '${data}' not found or not executable`);
  t.deepEqual(processesOfHome(box.home), []);
  const records = path.join(box.home, 'records');
  t.deepEqual(fs.existsSync(records) ? fs.readdirSync(records) : [], [], 'a refused start leaves no record');
});

(process.getuid?.() !== 0 ? test : test.skip)('an unreadable script fails with exit 1', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'secret.js');
  fs.writeFileSync(file, 'setInterval(() => {}, 1000);\n', { mode: 0o000 });
  await expectError(t, box, ['start', file], 1, `bgrun: cannot read ${file}: permission denied; check its permissions`);
  t.deepEqual(processesOfHome(box.home), []);
});

test('an unknown target fails with exit 1 for every command that takes one', async (t) => {
  const box = sandbox(t);
  for (const command of ['stop', 'restart', 'logs', 'show', 'status', 'rm', 'delete']) {
    await expectError(t, box, [command, 'ghost'], 1, "bgrun: no process named 'ghost'; see 'bgrun list'");
  }
});

test('an unusable state folder fails with exit 1 and one line', async (t) => {
  const box = sandbox(t);
  // As root permissions do not stop mkdir, but a regular file in the path does.
  const file = path.join(box.dir, 'a-file');
  fs.writeFileSync(file, '');
  const home = path.join(file, 'home');
  const line = `bgrun: cannot create the state folder ${home}: a part of the path is not a folder; set BGRUN_HOME to a folder you can write`;
  for (const args of [['list'], ['start', fixture('ready.js')], ['stop', 'all'], ['logs', 'x']]) {
    const result = await box.run(args, { env: { BGRUN_HOME: home } });
    t.is(result.exitCode, 1, args.join(' '));
    t.is(result.stderr, line, `exactly one line: ${args.join(' ')}`);
    t.is(result.stdout, '');
  }
  t.deepEqual(processesOfHome(home), []);
});

test('the stack trace is shown only with BGRUN_DEBUG=1', async (t) => {
  const box = sandbox(t);
  const plain = await box.run(['stop', 'ghost']);
  t.is(plain.exitCode, 1);
  t.false(plain.stderr.includes('    at '));
  const debug = await box.run(['stop', 'ghost'], { env: { BGRUN_DEBUG: '1' } });
  t.is(debug.exitCode, 1);
  t.regex(debug.stderr, /^ {4}at /m, 'a stack trace');
  t.regex(debug.stderr, /^bgrun: no process named 'ghost'; see 'bgrun list'$/m);
});

test('with --json an error is also printed as JSON on stdout', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['show', 'ghost', '--json']);
  t.is(result.exitCode, 1);
  t.deepEqual(JSON.parse(result.stdout), { error: { code: 'TARGET_NOT_FOUND', message: "no process named 'ghost'; see 'bgrun list'" } });
  t.is(firstLine(result.stderr), "bgrun: no process named 'ghost'; see 'bgrun list'");
  const usage = await box.run(['start', '--json', '--wait', 'x', fixture('ready.js')]);
  t.is(usage.exitCode, 2);
  t.is(JSON.parse(usage.stdout).error.code, 'INVALID_DURATION');
});

test('a --json after the program does not turn bgrun’s own error into JSON', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', 'nope.js', '--json'], { cwd: box.dir });
  t.is(result.exitCode, 1);
  t.is(result.stdout, '');
  t.regex(firstLine(result.stderr), /^bgrun: no such file or command: nope\.js;/);
  const before = await box.run(['start', '--json', 'nope.js'], { cwd: box.dir });
  t.is(JSON.parse(before.stdout).error.code, 'SCRIPT_NOT_FOUND');
});
