import path from 'node:path';

/** `python`, `python3`, `python3.12`: the names a Python interpreter goes by. */
const PYTHON = /^python(\d+(\.\d+)?)?$/;

/** Whether a spawned command runs Python: its program (a .py script resolves to python3 first) is a Python interpreter. */
export function runsPython(command: string[]): boolean {
  const program = command[0];
  return program !== undefined && PYTHON.test(path.basename(program));
}

/**
 * Python block-buffers stdout when it is a file, so a script's print() lines
 * would reach its log only in 8 KB pieces or at exit (nohup's empty nohup.out).
 * bgrun runs Python unbuffered unless the environment already says otherwise:
 * a PYTHONUNBUFFERED the user set, even empty, is left as it is.
 */
export function withPythonUnbuffered(command: string[], env: Record<string, string>): Record<string, string> {
  if (!runsPython(command) || env.PYTHONUNBUFFERED !== undefined) return env;
  return { ...env, PYTHONUNBUFFERED: '1' };
}
