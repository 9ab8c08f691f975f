import test from 'ava';
import { type KubeSource, kubernetesObjects } from '../../../src/export/kubernetes-manifest.js';
import { kubernetesNames } from '../../../src/export/kubernetes-names.js';
import { environmentOf, pythonInImage } from '../../../src/export/kubernetes-python.js';
import { kubeSource } from '../../helpers/kubernetes.js';

const projectEnv = { executable: '/srv/app/.venv/bin/python', chosenBy: 'project-env' as const, env: '/srv/app/.venv' };

const base: KubeSource = kubeSource({
  name: 'mydaemon',
  command: ['/srv/app/.venv/bin/mydaemon', '--port', '8000'],
  cwd: '/srv/app',
  restart: 'always',
  python: projectEnv,
});

function container(source: KubeSource) {
  const e = kubernetesObjects(source, { image: 'i:1', names: kubernetesNames([source.name]), ports: new Map() });
  const spec = (e.objects[0]!.spec as { template: { spec: { containers: { command: string[]; args?: string[] }[] } } }).template.spec;
  return { e, c: spec.containers[0]! };
}

test('the environment of an executable: the one the record names, else a .venv, venv or env folder; none for others', (t) => {
  t.is(environmentOf('/srv/app/.venv/bin/mydaemon', projectEnv), '/srv/app/.venv');
  t.is(environmentOf('/srv/app/pyenv-3/bin/mydaemon', { executable: '/srv/app/pyenv-3/bin/python', chosenBy: 'active-env', env: '/srv/app/pyenv-3' }), '/srv/app/pyenv-3');
  t.is(environmentOf('/srv/app/venv/bin/python3'), '/srv/app/venv');
  t.is(environmentOf('/usr/bin/python3'), null);
  t.is(environmentOf('/usr/local/bin/mydaemon', { executable: '/usr/bin/python3', chosenBy: 'path', env: null }), null);
});

test("a virtual environment's Python → python, its console script → its name on PATH; other executables are not Python's", (t) => {
  t.is(pythonInImage('/srv/app/.venv/bin/python3.12', projectEnv)?.to, 'python');
  t.is(pythonInImage('/srv/app/.venv/bin/mydaemon', projectEnv)?.to, 'mydaemon');
  t.is(pythonInImage('/home/u/.virtualenvs/tools/bin/gunicorn', { executable: '/home/u/.virtualenvs/tools/bin/python', chosenBy: 'active-env', env: '/home/u/.virtualenvs/tools' })?.to, 'gunicorn');
  t.is(pythonInImage('/usr/bin/python3', null), null);
  t.is(pythonInImage('/srv/app/bin/serve', null), null);
});

test('a console script of the project environment runs by its name in the image, and the notes say what was changed', (t) => {
  const { e, c } = container(base);
  t.deepEqual(c.command, ['mydaemon']);
  t.deepEqual(c.args, ['--port', '8000']);
  t.deepEqual(e.paths, [{ from: '/srv/app/.venv/bin/mydaemon', to: 'mydaemon' }]);
  t.true(e.notes.some((n) => n.startsWith("the console script /srv/app/.venv/bin/mydaemon of the virtual environment /srv/app/.venv on this machine → mydaemon, looked up on the image's PATH")));
  const annotations = e.objects[0]!.metadata.annotations as Record<string, string>;
  t.regex(annotations['bgrun.dev/notes']!, /the console script \/srv\/app\/\.venv\/bin\/mydaemon/);
});

test("a script run by the environment's Python (.venv/bin/python app.py) runs with python, its path made relative; the same note", (t) => {
  const { e, c } = container({ ...base, name: 'app', command: ['/srv/app/.venv/bin/python', '/srv/app/app.py'] });
  t.deepEqual([...c.command, ...(c.args ?? [])], ['python', 'app.py']);
  t.true(e.notes.some((n) => n.startsWith('/srv/app/.venv/bin/python, the Python of the virtual environment /srv/app/.venv on this machine, → python of the image')));
  // An environment named otherwise, known from the record, is not copied into the image either.
  const odd = container({ ...base, name: 'odd', command: ['/srv/app/py/bin/python', '-m', 'pkg.server'], python: { executable: '/srv/app/py/bin/python', chosenBy: 'active-env', env: '/srv/app/py' } });
  t.deepEqual([...odd.c.command, ...(odd.c.args ?? [])], ['python', '-m', 'pkg.server']);
  // Python outside any environment keeps its name on the image's PATH, with no note.
  const system = container({ ...base, name: 'sys', command: ['/usr/bin/python3', '/srv/app/app.py'], python: { executable: '/usr/bin/python3', chosenBy: 'path', env: null } });
  t.deepEqual(system.c.command, ['python3']);
  t.false(system.e.notes.some((n) => n.includes('virtual environment')));
});
