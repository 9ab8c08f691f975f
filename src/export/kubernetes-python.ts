import path from 'node:path';
import type { PythonChoice } from '../core/processes/python.js';

/**
 * A Python program's executable inside the image. A virtual environment of the host
 * cannot move into an image: its `bin/python` links to the host's interpreter and its
 * console scripts start with a `#!<host path>/bin/python` line. In the image, Python is
 * `python` on PATH and a console script is where `pip install` puts it: on PATH, by its
 * name. Pure: no file system (docs/kubernetes.md, "Python").
 */

/** `python`, `python3`, `python3.12`. */
export const PYTHON_NAME = /^python(\d+(\.\d+)*)?$/;

/** The folder of a virtual environment by its usual names, for a record that does not say (older records, a path given to start). */
const ENV_BIN = /^(.*\/(?:\.?venv|env))\/bin\/[^/]+$/;

/** The virtual environment whose bin/ holds `exe`: the one bgrun chose for it (the record's python), else by its folder's name. */
export function environmentOf(exe: string, python?: PythonChoice | null): string | null {
  if (python?.env && path.dirname(exe) === path.join(python.env, 'bin')) return python.env;
  return ENV_BIN.exec(exe)?.[1] ?? null;
}

export interface ImageExecutable {
  /** The executable in the image: `python`, or the console script's name. */
  to: string;
  /** What was changed and what the image must provide (bgrun.dev/notes). */
  note: string;
}

/** `exe` when it lies in a virtual environment, as the image has it; null for any other executable. */
export function pythonInImage(exe: string, python?: PythonChoice | null): ImageExecutable | null {
  const env = environmentOf(exe, python);
  if (env === null) return null;
  const name = path.basename(exe);
  if (PYTHON_NAME.test(name)) {
    return {
      to: 'python',
      note: `${exe}, the Python of the virtual environment ${env} on this machine, → python of the image: the image must install the packages that environment holds (requirements.txt, the project: the Dockerfile of --dockerfile installs both)`,
    };
  }
  return {
    to: name,
    note: `the console script ${exe} of the virtual environment ${env} on this machine → ${name}, looked up on the image's PATH: the image must install the package that provides it (pip install . for the project's own scripts, as the Dockerfile of --dockerfile does, or its requirements)`,
  };
}
