/**
 * Which Python runs a `.py` script, a `-m` module or a console script: the one
 * its user would get with the project's virtual environment activated, even
 * from a shell (cron, a deploy script, `resurrect` at boot) where it is not.
 *
 * Order: --interpreter; the active environment (VIRTUAL_ENV); a `.venv/` or
 * `venv/` holding a pyvenv.cfg in the script's folder or a parent, up to the
 * project's root (the first folder with pyproject.toml, setup.py, setup.cfg or
 * .git); else python3 on PATH. The path is recorded as found (never resolved
 * through its symlinks: a venv's python is a symlink, and Python finds its
 * environment from the path it was started by).
 */
import fs from 'node:fs';
import path from 'node:path';
import { StartError } from '../../errors.js';

/** How the Python of a program was chosen; kept in its record and shown by `show`. */
export type PythonSource = 'interpreter' | 'active-env' | 'project-env' | 'path';

export interface PythonChoice {
  /** Absolute path of the interpreter, as spawned. */
  executable: string;
  chosenBy: PythonSource;
  /** The virtual environment's folder, when one was chosen. */
  env: string | null;
}

/** Folders that mark a project's root: the search for its environment stops there. */
const PROJECT_ROOT_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg', '.git'];
/** Where projects keep their environment (uv and poetry's in-project setting: .venv). */
const ENV_FOLDERS = ['.venv', 'venv'];

function isExecutableFile(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

function isVirtualEnv(dir: string): boolean {
  try {
    return fs.statSync(path.join(dir, 'pyvenv.cfg')).isFile();
  } catch {
    return false;
  }
}

/**
 * The virtual environment of the project `from` (a folder) belongs to: the
 * nearest `.venv/` or `venv/` with a pyvenv.cfg, looking no higher than the
 * project's root. Null when there is none.
 */
export function findProjectEnv(from: string): string | null {
  let dir = path.resolve(from);
  for (;;) {
    for (const name of ENV_FOLDERS) {
      const candidate = path.join(dir, name);
      if (isVirtualEnv(candidate)) return candidate;
    }
    if (PROJECT_ROOT_MARKERS.some((marker) => exists(path.join(dir, marker)))) return null;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The active environment: VIRTUAL_ENV as `activate` (or uv, poetry shell) sets it; empty counts as unset. */
function activeEnv(env: NodeJS.ProcessEnv): string | null {
  const value = env.VIRTUAL_ENV;
  return value ? path.resolve(value) : null;
}

function envPython(venv: string, what: string): string {
  for (const name of ['python', 'python3']) {
    const candidate = path.join(venv, 'bin', name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new StartError(
    'INTERPRETER_NOT_FOUND',
    `${what} ${venv} has no working bin/python (the Python it was made with may be gone); recreate it, or pass --interpreter`,
  );
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** The environment a Python program from folder `from` runs in, by the rules above (--interpreter excepted). */
function chooseEnv(from: string, env: NodeJS.ProcessEnv): { venv: string; chosenBy: 'active-env' | 'project-env' } | null {
  const active = activeEnv(env);
  if (active) return { venv: active, chosenBy: 'active-env' };
  const project = findProjectEnv(from);
  return project ? { venv: project, chosenBy: 'project-env' } : null;
}

/**
 * The Python for a script in (or a module run from) folder `from`.
 * Throws INTERPRETER_NOT_FOUND, saying what to do, when there is none.
 */
export function choosePython(from: string, env: NodeJS.ProcessEnv, what: string): PythonChoice {
  const chosen = chooseEnv(from, env);
  if (chosen) {
    const label = chosen.chosenBy === 'active-env' ? 'the active environment (VIRTUAL_ENV)' : 'the project environment';
    return { executable: envPython(chosen.venv, label), chosenBy: chosen.chosenBy, env: chosen.venv };
  }
  const python = findOnPath('python3', env);
  if (!python) {
    throw new StartError(
      'INTERPRETER_NOT_FOUND',
      `cannot run ${what}: python3 is not on PATH and no virtual environment was found (.venv/ or venv/ beside it, or VIRTUAL_ENV); install Python, or pass --interpreter`,
    );
  }
  return { executable: python, chosenBy: 'path', env: null };
}

/**
 * A bare command (`bgrun start mydaemon`) that is a console script of the
 * environment a shell would have activated: the active one, else the
 * project's around `cwd`. Null when that environment has no such command.
 */
export function findEnvCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): { executable: string; python: PythonChoice } | null {
  if (command.includes('/') || command === '' || command === '.' || command === '..') return null;
  const chosen = chooseEnv(cwd, env);
  if (!chosen) return null;
  const executable = path.join(chosen.venv, 'bin', command);
  if (!isExecutableFile(executable)) return null;
  let python: string;
  try {
    python = envPython(chosen.venv, 'the environment');
  } catch {
    python = path.join(chosen.venv, 'bin', 'python');
  }
  return { executable, python: { executable: python, chosenBy: chosen.chosenBy, env: chosen.venv } };
}

/** One line for `start` and `show`: the interpreter and why it was chosen. */
export function describePython(choice: PythonChoice): string {
  switch (choice.chosenBy) {
    case 'interpreter':
      return `${choice.executable} (--interpreter)`;
    case 'active-env':
      return `${choice.executable} (the active environment, VIRTUAL_ENV=${choice.env})`;
    case 'project-env':
      return `${choice.executable} (the project's environment ${choice.env})`;
    default:
      return `${choice.executable} (python3 on PATH)`;
  }
}

/** A module name as `python -m` takes it: dotted identifiers. */
export function isModuleName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name);
}
