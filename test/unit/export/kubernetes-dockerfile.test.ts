import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { KubeSource } from '../../../src/export/kubernetes-manifest.js';
import { dockerfileText, dockerignoreText, installableProject, runtimeOf } from '../../../src/export/kubernetes-dockerfile.js';
import { exportKubernetes } from '../../../src/export/kubernetes.js';
import { kubeSource } from '../../helpers/kubernetes.js';

function tempApp(t: ExecutionContext, files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-dockerfile-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function source(cwd: string, command: string[], extra: Partial<KubeSource> = {}): KubeSource {
  return kubeSource({ name: 'mydaemon', command, cwd, restart: 'always', ...extra });
}

const consoleScript = (cwd: string) =>
  source(cwd, [path.join(cwd, '.venv', 'bin', 'mydaemon')], { python: { executable: path.join(cwd, '.venv', 'bin', 'python'), chosenBy: 'project-env', env: path.join(cwd, '.venv') } });

/** The instructions of a Dockerfile, comments left out. */
const instructions = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

test('a console script is a Python program: by the record, or by the environment its executable is in', (t) => {
  t.is(runtimeOf(consoleScript('/srv/app')), 'python');
  t.is(runtimeOf(source('/srv/app', ['/srv/app/venv/bin/mydaemon'])), 'python');
  t.is(runtimeOf(source('/srv/app', ['/usr/bin/node', 'server.js'])), 'node');
  t.is(runtimeOf(source('/srv/app', ['/usr/bin/redis-server'])), null);
});

test('Python: requirements.txt first, then the sources, then pip install . for a pyproject.toml project or a setup.py', (t) => {
  const both = tempApp(t, { 'requirements.txt': 'requests\n', 'pyproject.toml': '[project]\nname = "mydaemon"\n' });
  t.deepEqual(instructions(dockerfileText(consoleScript(both), '/app', 20)), [
    'FROM python:3-slim',
    'ENV PYTHONUNBUFFERED=1',
    'WORKDIR /app',
    'COPY requirements.txt ./',
    'RUN pip install --no-cache-dir -r requirements.txt',
    'COPY . .',
    'RUN pip install --no-cache-dir .',
  ]);
  const setupPy = tempApp(t, { 'setup.py': 'from setuptools import setup\nsetup()\n' });
  t.is(installableProject(setupPy), 'setup.py');
  t.deepEqual(instructions(dockerfileText(consoleScript(setupPy), '/app', 20)).slice(3), ['COPY . .', 'RUN pip install --no-cache-dir .']);
  const requirementsOnly = tempApp(t, { 'requirements.txt': 'gunicorn\n' });
  t.deepEqual(instructions(dockerfileText(source(requirementsOnly, ['/usr/bin/python3', 'app.py']), '/app', 20)).slice(3), [
    'COPY requirements.txt ./',
    'RUN pip install --no-cache-dir -r requirements.txt',
    'COPY . .',
  ]);
});

test('Python: a pyproject.toml with tool settings only is no package, and a console script nothing installs is said in the Dockerfile', (t) => {
  const toolsOnly = tempApp(t, { 'pyproject.toml': '[tool.black]\nline-length = 100\n' });
  t.is(installableProject(toolsOnly), null);
  const text = dockerfileText(consoleScript(toolsOnly), '/app', 20);
  t.false(instructions(text).some((l) => l.includes('pip install')));
  t.regex(text, /^# pyproject.toml declares no \[project\] or \[build-system\]: not installed with pip install \.$/m);
  t.regex(text, /^# Nothing here installs the console script mydaemon /m);
});

test('the ignore file: the app folder\'s own lines first, then dependencies of this machine, .git, caches, env files and the output inside the app', (t) => {
  const app = tempApp(t, { '.dockerignore': 'data/\n*.log\n', 'venv/pyvenv.cfg': 'home = /usr/bin\n', '.env': 'TOKEN=x\n' });
  const text = dockerignoreText({ ...consoleScript(app), envFiles: [path.join(app, '.env'), '/etc/shared.env'] }, [
    path.join(app, 'deploy', 'k8s', 'mydaemon.yaml'),
    path.join(app, 'deploy', 'k8s', 'mydaemon.Dockerfile'),
    path.join(app, 'deploy', 'k8s', 'mydaemon.Dockerfile.dockerignore'),
    path.join(os.tmpdir(), 'elsewhere', 'other.yaml'),
  ]);
  const patterns = instructions(text);
  t.deepEqual(patterns, ['data/', '*.log', '**/node_modules', '.venv', 'venv', '.git', '**/__pycache__', '**/*.pyc', '.env', 'deploy/k8s']);
  // venv/ is left out only when it is an environment (a package may be called venv); files written beside the app, one by one.
  const plain = tempApp(t, { 'venv/__init__.py': '' });
  t.deepEqual(instructions(dockerignoreText(source(plain, ['/usr/bin/node', 'server.js']), [path.join(plain, 'web.yaml'), path.join(plain, 'web.Dockerfile')])), [
    '**/node_modules',
    '.venv',
    '.git',
    '**/__pycache__',
    '**/*.pyc',
    'web.yaml',
    'web.Dockerfile',
  ]);
  // An environment named otherwise inside the app, known from the record.
  const odd = tempApp(t);
  const oddEnv = path.join(odd, 'py', 'env3');
  t.true(instructions(dockerignoreText(source(odd, [path.join(oddEnv, 'bin', 'mydaemon')], { python: { executable: path.join(oddEnv, 'bin', 'python'), chosenBy: 'active-env', env: oddEnv } }), [])).includes('py/env3'));
});

test('--dockerfile writes <name>.Dockerfile.dockerignore beside each Dockerfile, not into the app folder; an output inside the app is left out', async (t) => {
  const app = tempApp(t, { 'pyproject.toml': '[project]\nname = "mydaemon"\n' });
  const out = path.join(app, 'k8s');
  const result = await exportKubernetes([consoleScript(app)], { output: out, dockerfile: true, timeZone: null });
  const [exported] = result.apps;
  t.is(exported!.dockerfile, path.join(out, 'mydaemon.Dockerfile'));
  t.is(exported!.dockerignore, path.join(out, 'mydaemon.Dockerfile.dockerignore'));
  t.false(fs.existsSync(path.join(app, '.dockerignore')));
  const ignore = instructions(fs.readFileSync(exported!.dockerignore!, 'utf8'));
  t.true(ignore.includes('.venv') && ignore.includes('**/node_modules') && ignore.includes('k8s'));
  t.true(instructions(fs.readFileSync(exported!.dockerfile!, 'utf8')).includes('RUN pip install --no-cache-dir .'));
  const container = (exported!.objects[0]!.spec as { template: { spec: { containers: { command: string[] }[] } } }).template.spec.containers[0]!;
  t.deepEqual(container.command, ['mydaemon']);
});
