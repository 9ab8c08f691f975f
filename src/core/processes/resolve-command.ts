import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StartError, UsageError, describeSystemError } from '../../errors.js';
import { type PythonChoice, choosePython, findEnvCommand, isModuleName } from './python.js';

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

function byExtension(file: string, cwd: string): string[] | null {
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
  /** `-m`: run this Python module; `program` is then unused. */
  module?: string | null;
  /** Options for the interpreter (pm2's node_args / interpreter_args): right after it. A program run directly has none. */
  interpreterArgs?: string[];
}

export interface Resolved {
  /** The argv to spawn. */
  command: string[];
  /** The Python that runs it, and why that one (core/processes/python.ts); null when it is not a Python program bgrun chose for. */
  python: PythonChoice | null;
}

/** `python`, `python3`, `python3.12`. */
const PYTHON_NAME = /^python(\d+(\.\d+)?)?$/;

/** The argv to spawn; throws a StartError that says what to do when it cannot run. */
export function resolveCommand(input: ResolveInput): string[] {
  return resolveProgram(input).command;
}

/** --interpreter as an executable and its own arguments. */
function splitInterpreter(interpreter: string, env: NodeJS.ProcessEnv): { exe: string; interpArgs: string[] } {
  const [interp, ...interpArgs] = interpreter.trim().split(/\s+/);
  const exe = interp ? findOnPath(interp, env) : null;
  if (!exe) {
    throw new StartError('INTERPRETER_NOT_FOUND', `interpreter '${interpreter}' not found on PATH; give its full path`);
  }
  return { exe, interpArgs };
}

/**
 * pm2's interpreter "none": the script runs itself (execve reads its shebang), whatever its
 * extension, with no interpreter options (pm2 drops node_args then too).
 */
export const RUN_ITSELF = 'none';

/** The argv to spawn and the Python chosen for it; throws a StartError that says what to do when it cannot run. */
export function resolveProgram(input: ResolveInput): Resolved {
  const { program, args, cwd, env } = input;
  const itself = input.interpreter === RUN_ITSELF;
  const interpreter = itself ? null : input.interpreter;
  const iargs = itself ? [] : (input.interpreterArgs ?? []);
  if (input.module) {
    if (!isModuleName(input.module)) {
      throw new UsageError(`invalid module '${input.module}': give a dotted module name like package.module (a file is started without -m)`);
    }
    if (interpreter) {
      const { exe, interpArgs } = splitInterpreter(interpreter, env);
      return { command: [exe, ...interpArgs, ...iargs, '-m', input.module, ...args], python: { executable: exe, chosenBy: 'interpreter', env: null } };
    }
    const python = choosePython(cwd, env, `module ${input.module}`);
    return { command: [python.executable, ...iargs, '-m', input.module, ...args], python };
  }
  if (interpreter) {
    const { exe, interpArgs } = splitInterpreter(interpreter, env);
    const file = path.resolve(cwd, program);
    const isPython = PYTHON_NAME.test(path.basename(exe)) || path.extname(program).toLowerCase() === '.py';
    return {
      command: [exe, ...interpArgs, ...iargs, fs.existsSync(file) ? file : program, ...args],
      python: isPython ? { executable: exe, chosenBy: 'interpreter', env: null } : null,
    };
  }
  if (input.isCommand) {
    const inEnv = program.includes('/') ? null : findEnvCommand(program, cwd, env);
    if (inEnv) return { command: [inEnv.executable, ...args], python: inEnv.python };
    const exe = findOnPath(program.includes('/') ? path.resolve(cwd, program) : program, env);
    if (!exe) {
      throw new StartError('SCRIPT_NOT_FOUND', `command '${program}' not found${program.includes('/') ? ' or not executable' : ' on PATH'}`);
    }
    return { command: [exe, ...args], python: null };
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
    // Not a file here: a bare word may be a console script of the project's
    // Python environment (`bgrun start mydaemon`), or a command on PATH (`bgrun start sleep 60`).
    const inEnv = program.includes('/') ? null : findEnvCommand(program, cwd, env);
    if (inEnv) return { command: [inEnv.executable, ...args], python: inEnv.python };
    const exe = program.includes('/') ? null : findOnPath(program, env);
    if (exe) return { command: [exe, ...args], python: null };
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
  if (itself) {
    if (isExecutableFile(file)) return { command: [file, ...args], python: null };
    throw new StartError('SCRIPT_NOT_RUNNABLE', `cannot run ${file} itself (interpreter none): it is not executable; chmod +x it, or name an interpreter`);
  }
  if (path.extname(file).toLowerCase() === '.py') {
    const python = choosePython(path.dirname(file), env, file);
    return { command: [python.executable, ...iargs, file, ...args], python };
  }
  const viaInterpreter = byExtension(file, cwd);
  if (viaInterpreter) return { command: [viaInterpreter[0]!, ...iargs, ...viaInterpreter.slice(1), ...args], python: null };
  if (isExecutableFile(file)) return { command: [file, ...args], python: null };
  throw new StartError(
    'SCRIPT_NOT_RUNNABLE',
    `${file} is not executable and bgrun does not know how to run '${path.extname(file) || 'extension-less'}' files; chmod +x it or pass --interpreter`,
  );
}
