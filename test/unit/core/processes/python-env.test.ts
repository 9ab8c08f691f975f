import test from 'ava';
import { runsPython, withPythonUnbuffered } from '../../../../src/core/processes/python-env.js';

test('python, python3 and pythonX.Y by any path are Python; others are not', (t) => {
  for (const p of ['python', 'python3', 'python3.12', '/usr/bin/python3', '/srv/app/.venv/bin/python']) t.true(runsPython([p, 'x.py']), p);
  for (const p of ['node', 'pythonw', 'ipython', 'python-config', '/bin/sh']) t.false(runsPython([p]), p);
  t.false(runsPython([]));
});

test('PYTHONUNBUFFERED=1 is added only when unset', (t) => {
  t.deepEqual(withPythonUnbuffered(['python3'], { A: 'b' }), { A: 'b', PYTHONUNBUFFERED: '1' });
  t.deepEqual(withPythonUnbuffered(['python3'], { PYTHONUNBUFFERED: '' }), { PYTHONUNBUFFERED: '' });
  t.deepEqual(withPythonUnbuffered(['node'], {}), {});
});
