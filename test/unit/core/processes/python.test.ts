import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { choosePython, describePython, findEnvCommand, findProjectEnv, isModuleName } from '../../../../src/core/processes/python.js';

function tree(t: ExecutionContext, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-python-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text, { mode: file.includes('/bin/') ? 0o755 : 0o644 });
  }
  return dir;
}

test('the nearest .venv or venv with a pyvenv.cfg, from the script folder up to the project root', (t) => {
  const dir = tree(t, {
    'p/pyproject.toml': '',
    'p/.venv/pyvenv.cfg': '',
    'p/src/pkg/app.py': '',
    'p/src/venv/pyvenv.cfg': '',
    'q/venv/bin/python': '', // no pyvenv.cfg: not an environment
    'q/.git/HEAD': '',
    'q/tool.py': '',
  });
  t.is(findProjectEnv(path.join(dir, 'p', 'src', 'pkg')), path.join(dir, 'p', 'src', 'venv'));
  t.is(findProjectEnv(path.join(dir, 'p')), path.join(dir, 'p', '.venv'));
  t.is(findProjectEnv(path.join(dir, 'q')), null);
});

test('the search stops at the project root: an environment above it belongs to another project', (t) => {
  const dir = tree(t, { '.venv/pyvenv.cfg': '', 'inner/setup.cfg': '', 'inner/deep/x.py': '', 'loose/x.py': '' });
  t.is(findProjectEnv(path.join(dir, 'inner', 'deep')), null);
  // With no root marker on the way, the search goes on up.
  t.is(findProjectEnv(path.join(dir, 'loose')), path.join(dir, '.venv'));
});

test('VIRTUAL_ENV wins over the project environment; empty counts as unset; PATH last', (t) => {
  const dir = tree(t, {
    'active/pyvenv.cfg': '',
    'active/bin/python': '#!/bin/sh\n',
    'p/.venv/pyvenv.cfg': '',
    'p/.venv/bin/python': '#!/bin/sh\n',
    'p/.venv/bin/mydaemon': '#!/bin/sh\n',
    'p/pyproject.toml': '',
    'none/pyproject.toml': '',
    'path/python3': '#!/bin/sh\n',
  });
  fs.chmodSync(path.join(dir, 'path', 'python3'), 0o755);
  const active = path.join(dir, 'active');
  t.deepEqual(choosePython(path.join(dir, 'p'), { VIRTUAL_ENV: active }, 'x'), {
    executable: path.join(active, 'bin', 'python'),
    chosenBy: 'active-env',
    env: active,
  });
  const venv = path.join(dir, 'p', '.venv');
  t.deepEqual(choosePython(path.join(dir, 'p'), { VIRTUAL_ENV: '' }, 'x'), { executable: path.join(venv, 'bin', 'python'), chosenBy: 'project-env', env: venv });
  const onPath = choosePython(path.join(dir, 'none'), { PATH: path.join(dir, 'path') }, 'x');
  t.deepEqual(onPath, { executable: path.join(dir, 'path', 'python3'), chosenBy: 'path', env: null });
  t.is(describePython(onPath), `${path.join(dir, 'path', 'python3')} (python3 on PATH)`);
  const error = t.throws(() => choosePython(path.join(dir, 'none'), { PATH: '' }, 'app.py'));
  t.regex(error.message, /^cannot run app\.py: python3 is not on PATH and no virtual environment was found/);

  t.is(findEnvCommand('mydaemon', path.join(dir, 'p'), {})?.executable, path.join(venv, 'bin', 'mydaemon'));
  t.is(findEnvCommand('sleep', path.join(dir, 'p'), {}), null);
  t.is(findEnvCommand('../x', path.join(dir, 'p'), {}), null);
  t.is(findEnvCommand('mydaemon', path.join(dir, 'none'), {}), null);
});

test('module names as python -m takes them', (t) => {
  for (const ok of ['http.server', 'uvicorn', 'pkg._private.mod2']) t.true(isModuleName(ok), ok);
  for (const bad of ['pkg/server.py', 'server.py.', '.rel', '1pkg', '', 'a..b', 'a b']) t.false(isModuleName(bad), bad);
});
