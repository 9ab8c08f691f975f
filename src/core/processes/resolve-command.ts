import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StartError, describeSystemError } from '../../errors.js';

/** Finds an executable on PATH the way a shell would, without running a shell. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | null {
  if (command.includes('/')) return isExecutableFile(command) ? path.resolve(command) : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    // root passes X_OK for any file; require an execute bit like execve does.
    return (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Node strips TypeScript types by itself from 22.18 / 23.6 on. */
function nodeRunsTypeScript(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

/**
 * `node --import tsx` keeps the program in one process, so the pid bgrun reports
 * is the program's; the `tsx` command would put a wrapper process in between.
 */
function typeScriptCommand(script: string, cwd: string): string[] {
  if (nodeRunsTypeScript()) return [process.execPath, script];
  for (const base of [cwd, path.dirname(script)]) {
    try {
      const loader = createRequire(path.join(base, 'noop.js')).resolve('tsx');
      return [process.execPath, '--import', pathToFileURL(loader).href, script];
    } catch {
      // not installed there
    }
  }
  throw new StartError(
    'INTERPRETER_NOT_FOUND',
    `cannot run ${script}: this Node (${process.version}) does not run TypeScript and tsx is not installed; run 'npm install tsx' in ${cwd}, use Node >= 22.18, or pass --interpreter`,
  );
}

function byExtension(file: string, cwd: string, env: NodeJS.ProcessEnv): string[] | null {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case '.js':
    case '.mjs':
    case '.cjs':
      return [process.execPath, file];
    case '.ts':
    case '.mts':
    case '.cts':
      return typeScriptCommand(file, cwd);
    case '.py': {
      const python = findOnPath('python3', env);
      if (!python) {
        throw new StartError('INTERPRETER_NOT_FOUND', `cannot run ${file}: python3 is not on PATH; install it or pass --interpreter`);
      }
      return [python, file];
    }
    case '.sh':
      return ['/bin/sh', file];
    default:
      return null;
  }
}

export interface ResolveInput {
  /** What the user typed: a script path, or with `--` a command. */
  program: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  interpreter?: string | null;
  /** `--` form: the program is a command, never a script to pick an interpreter for. */
  isCommand?: boolean;
}

/** The argv to spawn; throws a StartError that says what to do when it cannot run. */
export function resolveCommand(input: ResolveInput): string[] {
  const { program, args, cwd, env } = input;
  if (input.interpreter) {
    const [interp, ...interpArgs] = input.interpreter.trim().split(/\s+/);
    const exe = interp ? findOnPath(interp, env) : null;
    if (!exe) {
      throw new StartError('INTERPRETER_NOT_FOUND', `interpreter '${input.interpreter}' not found on PATH; give its full path`);
    }
    const file = path.resolve(cwd, program);
    return [exe, ...interpArgs, fs.existsSync(file) ? file : program, ...args];
  }
  if (input.isCommand) {
    const exe = findOnPath(program.includes('/') ? path.resolve(cwd, program) : program, env);
    if (!exe) {
      throw new StartError('SCRIPT_NOT_FOUND', `command '${program}' not found${program.includes('/') ? ' or not executable' : ' on PATH'}`);
    }
    return [exe, ...args];
  }

  const file = path.resolve(cwd, program);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StartError('SCRIPT_NOT_FOUND', `cannot read ${file}: ${describeSystemError(error)}`, { cause: error });
    }
  }
  if (!st) {
    // Not a file here: a bare word may be a command on PATH, like `bgrun start sleep 60`.
    const exe = program.includes('/') ? null : findOnPath(program, env);
    if (exe) return [exe, ...args];
    throw new StartError(
      'SCRIPT_NOT_FOUND',
      `no such file or command: ${program.includes('/') ? file : program}; check the path (relative paths start from ${cwd})`,
    );
  }
  if (st.isDirectory()) {
    throw new StartError('SCRIPT_NOT_RUNNABLE', `${file} is a folder, not a program; name the script inside it`);
  }
  if (!st.isFile()) throw new StartError('SCRIPT_NOT_RUNNABLE', `${file} is not a regular file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    throw new StartError('SCRIPT_NOT_RUNNABLE', `cannot read ${file}: ${describeSystemError(error)}; check its permissions`, {
      cause: error,
    });
  }
  const viaInterpreter = byExtension(file, cwd, env);
  if (viaInterpreter) return [...viaInterpreter, ...args];
  if (isExecutableFile(file)) return [file, ...args];
  throw new StartError(
    'SCRIPT_NOT_RUNNABLE',
    `${file} is not executable and bgrun does not know how to run '${path.extname(file) || 'extension-less'}' files; chmod +x it or pass --interpreter`,
  );
}
