import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { KubeSource } from './kubernetes-manifest.js';
import { PYTHON_NAME, environmentOf } from './kubernetes-python.js';

/**
 * `--dockerfile`: a minimal Dockerfile per app, and the ignore file beside it. The build
 * context is the app's folder, which bgrun does not write into: BuildKit reads
 * `<name>.Dockerfile.dockerignore` beside `<name>.Dockerfile` in place of the context's
 * `.dockerignore` (docs/kubernetes.md, "--dockerfile").
 */

/** Which runtime a generated Dockerfile is for: from the command bgrun runs, and the Python the record says it chose. */
export function runtimeOf(source: KubeSource): 'node' | 'python' | null {
  const exe = source.command[0] ?? '';
  const base = path.basename(exe);
  if (base === 'node' || base === 'nodejs') return 'node';
  // A console script (.venv/bin/mydaemon) is Python by its environment, not by its name.
  if (PYTHON_NAME.test(base) || source.module || source.python || (path.isAbsolute(exe) && environmentOf(exe) !== null)) return 'python';
  return null;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * What `pip install .` can install: a setup.py, or a pyproject.toml that declares a
 * project or a build backend (one holding only tool settings, [tool.black], is no package).
 */
export function installableProject(dir: string): 'setup.py' | 'pyproject.toml' | null {
  if (fs.existsSync(path.join(dir, 'setup.py'))) return 'setup.py';
  const pyproject = readText(path.join(dir, 'pyproject.toml'));
  if (pyproject !== null && /^\s*\[(project|build-system)\]/m.test(pyproject)) return 'pyproject.toml';
  return null;
}

/** A minimal Dockerfile: the app's folder as the build context, copied to the workdir; `ignoreFile`, the name of the ignore file beside it. */
export function dockerfileText(source: KubeSource, workdir: string, nodeMajor: number, ignoreFile = 'the .dockerignore named after this file'): string {
  const runtime = runtimeOf(source);
  const has = (file: string) => fs.existsSync(path.join(source.cwd, file));
  const lines = [
    `# ${source.name}: written by bgrun export kubernetes; build context: the app's folder.`,
    `# Build with BuildKit (Docker's default builder since 23.0): it leaves out what ${ignoreFile} beside this file lists.`,
  ];
  let after: string[] = [];
  if (runtime === 'node') {
    lines.push(`FROM node:${nodeMajor}-slim`, `WORKDIR ${workdir}`);
    if (has('package.json')) {
      lines.push(has('package-lock.json') ? 'COPY package.json package-lock.json ./' : 'COPY package.json ./');
      lines.push(has('package-lock.json') ? 'RUN npm ci --omit=dev' : 'RUN npm install --omit=dev');
    }
  } else if (runtime === 'python') {
    lines.push('FROM python:3-slim', 'ENV PYTHONUNBUFFERED=1', `WORKDIR ${workdir}`);
    // requirements.txt first, in a layer of its own: a change to the code does not reinstall them.
    if (has('requirements.txt')) lines.push('COPY requirements.txt ./', 'RUN pip install --no-cache-dir -r requirements.txt');
    const project = installableProject(source.cwd);
    // pip builds the project from its sources, so it is installed after they are copied; its console scripts land on PATH.
    if (project) after = [`# The project (${project}): its dependencies, and its console scripts on PATH.`, 'RUN pip install --no-cache-dir .'];
    else if (has('pyproject.toml')) after = ['# pyproject.toml declares no [project] or [build-system]: not installed with pip install .'];
    const exe = source.command[0] ?? '';
    const script = path.basename(exe);
    if (!project && !has('requirements.txt') && environmentOf(exe, source.python) !== null && !PYTHON_NAME.test(script)) {
      after.push(`# Nothing here installs the console script ${script} (no requirements.txt, setup.py or pyproject.toml project): add a RUN pip install of its package.`);
    }
  } else {
    throw new UsageError(
      `'${source.name}': --dockerfile writes Dockerfiles for Node and Python programs only; build an image yourself and give --image`,
      'EXPORT_FAILED',
    );
  }
  lines.push('COPY . .', ...after);
  // The kubelet stops a container with its image's signal (Kubernetes has no field for it).
  if (source.stopSignal && source.stopSignal !== 'SIGTERM') lines.push(`STOPSIGNAL ${source.stopSignal}`);
  lines.push('# The command is in the manifest (command/args).');
  return `${lines.join('\n')}\n`;
}

/** `file` relative to `dir` when it lies inside it (not `dir` itself), in the form .dockerignore takes; else null. */
function inside(dir: string, file: string): string | null {
  const rel = path.relative(dir, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? null : rel.split(path.sep).join('/');
}

/**
 * The ignore file of an app's Dockerfile. It replaces the context's own .dockerignore
 * for that build, so that one's lines come first; then what the image installs itself
 * or must not hold: dependencies installed on this machine (node_modules, the virtual
 * environment: its links and #! lines point into this machine), .git, Python's caches,
 * env files (their values go to Secrets), and what the export writes inside the app's
 * folder (`written`: the manifests, Dockerfiles and ignore files).
 */
export function dockerignoreText(source: KubeSource, written: string[]): string {
  const cwd = source.cwd;
  const lines = [`# ${source.name}: written by bgrun export kubernetes; read by BuildKit for the Dockerfile of the same name.`];
  const own = readText(path.join(cwd, '.dockerignore'));
  if (own !== null && own.trim() !== '') lines.push("# The app folder's .dockerignore (this file replaces it for this build):", own.trimEnd());
  lines.push('# Installed in the image, or of no use there:', '**/node_modules', '.venv');
  if (fs.existsSync(path.join(cwd, 'venv', 'pyvenv.cfg'))) lines.push('venv');
  const env = source.python?.env ?? environmentOf(source.command[0] ?? '');
  const envInside = env ? inside(cwd, env) : null;
  if (envInside !== null && envInside !== '.venv' && envInside !== 'venv') lines.push(envInside);
  lines.push('.git', '**/__pycache__', '**/*.pyc');
  const envFiles = (source.envFiles ?? []).map((f) => inside(cwd, f)).filter((f): f is string => f !== null);
  if (envFiles.length > 0) lines.push('# Env files: their values go to Secrets, not into the image.', ...envFiles);
  // A folder inside the app's folder is left out whole; files written into the app's folder itself one by one.
  const outputs = new Set(written.map((f) => inside(cwd, path.dirname(f)) ?? (path.dirname(f) === cwd ? path.basename(f) : null)).filter((f): f is string => f !== null));
  if (outputs.size > 0) lines.push("# What bgrun export kubernetes wrote inside the app's folder.", ...outputs);
  return `${lines.join('\n')}\n`;
}
