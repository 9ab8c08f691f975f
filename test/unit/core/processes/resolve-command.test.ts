import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { findOnPath, resolveCommand, resolveProgram } from '../../../../src/core/processes/resolve-command.js';
import { StartError } from '../../../../src/errors.js';

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-resolve-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function file(dir: string, name: string, mode = 0o644, text = ''): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text, { mode });
  fs.chmodSync(p, mode);
  return p;
}

const env = { PATH: process.env.PATH };

test('a script is run by the interpreter its extension names, resolved against cwd', (t) => {
  const dir = tempDir(t);
  for (const name of ['a.js', 'b.mjs', 'c.cjs']) file(dir, name);
  file(dir, 'run.sh');
  t.deepEqual(resolveCommand({ program: 'a.js', args: ['--port', '3'], cwd: dir, env }), [process.execPath, path.join(dir, 'a.js'), '--port', '3']);
  t.deepEqual(resolveCommand({ program: './b.mjs', args: [], cwd: dir, env }), [process.execPath, path.join(dir, 'b.mjs')]);
  t.deepEqual(resolveCommand({ program: path.join(dir, 'c.cjs'), args: [], cwd: '/', env }), [process.execPath, path.join(dir, 'c.cjs')]);
  t.deepEqual(resolveCommand({ program: 'run.sh', args: ['x'], cwd: dir, env }), ['/bin/sh', path.join(dir, 'run.sh'), 'x']);
  // Interpreter options go right after the interpreter, before the script.
  t.deepEqual(resolveCommand({ program: 'a.js', args: ['x'], cwd: dir, env, interpreterArgs: ['--max-old-space-size=64'] }), [
    process.execPath,
    '--max-old-space-size=64',
    path.join(dir, 'a.js'),
    'x',
  ]);
  t.is(resolveProgram({ program: 'a.js', args: [], cwd: dir, env }).python, null);
});

test('an executable file runs itself; one that is not, with an unknown extension, is refused with what to do', (t) => {
  const dir = tempDir(t);
  const exe = file(dir, 'tool', 0o755, '#!/bin/sh\n');
  file(dir, 'data.bin', 0o644);
  t.deepEqual(resolveCommand({ program: 'tool', args: ['-v'], cwd: dir, env }), [exe, '-v']);
  const error = t.throws(() => resolveCommand({ program: 'data.bin', args: [], cwd: dir, env }), { instanceOf: StartError });
  t.is(error?.code, 'SCRIPT_NOT_RUNNABLE');
  t.is(error?.message, `${path.join(dir, 'data.bin')} is not executable and bgrun does not know how to run '.bin' files; chmod +x it or pass --interpreter`);
});

test('a folder, or nothing at all, is refused with the path it looked at', (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'sub'));
  t.throws(() => resolveCommand({ program: 'sub', args: [], cwd: dir, env }), {
    code: 'SCRIPT_NOT_RUNNABLE',
    message: `${path.join(dir, 'sub')} is a folder, not a program; name the script inside it`,
  } as never);
  t.throws(() => resolveCommand({ program: './missing.js', args: [], cwd: dir, env }), {
    code: 'SCRIPT_NOT_FOUND',
    message: `no such file or command: ${path.join(dir, 'missing.js')}; check the path (relative paths start from ${dir})`,
  } as never);
  t.throws(() => resolveCommand({ program: 'no-such-command-bgrun', args: [], cwd: dir, env }), {
    code: 'SCRIPT_NOT_FOUND',
    message: `no such file or command: no-such-command-bgrun; check the path (relative paths start from ${dir})`,
  } as never);
});

test('a bare word that is no file is a command on PATH; with -- it is always a command', (t) => {
  const dir = tempDir(t);
  const sleep = findOnPath('sleep', env);
  t.truthy(sleep);
  t.deepEqual(resolveCommand({ program: 'sleep', args: ['60'], cwd: dir, env }), [sleep!, '60']);
  // A file of that name in cwd is not what `--` means.
  file(dir, 'sleep', 0o644);
  t.deepEqual(resolveCommand({ program: 'sleep', args: ['60'], cwd: dir, env, isCommand: true }), [sleep!, '60']);
  t.throws(() => resolveCommand({ program: 'no-such-command-bgrun', args: [], cwd: dir, env, isCommand: true }), {
    code: 'SCRIPT_NOT_FOUND',
    message: "command 'no-such-command-bgrun' not found on PATH",
  } as never);
  const exe = file(dir, 'local-tool', 0o755, '#!/bin/sh\n');
  t.deepEqual(resolveCommand({ program: './local-tool', args: [], cwd: dir, env, isCommand: true }), [exe]);
});

test('--interpreter is found on PATH and keeps its own arguments', (t) => {
  const dir = tempDir(t);
  const script = file(dir, 'job.rb');
  const sh = findOnPath('sh', env)!;
  t.deepEqual(resolveCommand({ program: 'job.rb', args: ['a'], cwd: dir, env, interpreter: 'sh -e' }), [sh, '-e', script, 'a']);
  t.throws(() => resolveCommand({ program: 'job.rb', args: [], cwd: dir, env, interpreter: 'no-such-interp-bgrun' }), {
    code: 'INTERPRETER_NOT_FOUND',
    message: "interpreter 'no-such-interp-bgrun' not found on PATH; give its full path",
  } as never);
});

test('interpreter none (pm2\'s "none") runs the script itself, whatever its extension; one that is not executable is refused in one line', (t) => {
  const dir = tempDir(t);
  const sh = file(dir, 'b.sh', 0o755, '#!/bin/bash\n');
  const js = file(dir, 'tool.js', 0o755, '#!/usr/bin/env node\n');
  const py = file(dir, 'tool.py', 0o755, '#!/usr/bin/env python3\n');
  t.deepEqual(resolveCommand({ program: 'b.sh', args: ['x'], cwd: dir, env, interpreter: 'none' }), [sh, 'x']);
  // Interpreter options have no interpreter to go to: dropped, as pm2 drops node_args with "none".
  t.deepEqual(resolveCommand({ program: 'tool.js', args: [], cwd: dir, env, interpreter: 'none', interpreterArgs: ['--inspect'] }), [js]);
  t.deepEqual(resolveProgram({ program: 'tool.py', args: [], cwd: dir, env, interpreter: 'none' }), { command: [py], python: null });
  // A command on PATH is one already.
  t.deepEqual(resolveCommand({ program: 'sleep', args: ['1'], cwd: dir, env, interpreter: 'none' }), [findOnPath('sleep', env)!, '1']);
  const plain = file(dir, 'c.sh', 0o644, '#!/bin/bash\n');
  t.throws(() => resolveCommand({ program: 'c.sh', args: [], cwd: dir, env, interpreter: 'none' }), {
    code: 'SCRIPT_NOT_RUNNABLE',
    message: `cannot run ${plain} itself (interpreter none): it is not executable; chmod +x it, or name an interpreter`,
  } as never);
});

test('findOnPath takes only executable regular files, in PATH order, as a shell would', (t) => {
  const first = tempDir(t);
  const second = tempDir(t);
  file(first, 'tool', 0o644);
  fs.mkdirSync(path.join(first, 'dir-tool'));
  const wanted = file(second, 'tool', 0o755);
  file(second, 'dir-tool', 0o755);
  const pathEnv = { PATH: ['', first, second].join(path.delimiter) };
  t.is(findOnPath('tool', pathEnv), wanted);
  t.is(findOnPath('dir-tool', pathEnv), path.join(second, 'dir-tool'));
  t.is(findOnPath('absent', pathEnv), null);
  t.is(findOnPath('tool', {}), null);
  t.is(findOnPath(wanted, {}), wanted, 'a path is checked, not searched');
});
