import path from 'node:path';
import { UsageError } from '../../errors.js';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Words with a meaning of their own as targets; never valid names. */
const RESERVED = new Set(['all', '.', '..']);

/**
 * Names become file names in the state folder, so they are checked before any
 * path is built from them; all digits are refused so a bare number always means a pid.
 */
export function validateName(name: string): string {
  // Not starting with '-' either: such a name could never be given as a target (it reads as an option).
  if (!NAME.test(name) || /^\d+$/.test(name) || RESERVED.has(name) || name.startsWith('.') || name.startsWith('-')) {
    throw new UsageError(
      `invalid name '${name}': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-', not all digits, not 'all'`,
      'INVALID_NAME',
    );
  }
  return name;
}

export function isValidName(name: string): boolean {
  try {
    validateName(name);
    return true;
  } catch {
    return false;
  }
}

/** A default name from a program path: its base name without extension, made valid. */
export function nameFromProgram(program: string): string {
  const base = path.basename(program).replace(/\.[^.]*$/, '');
  let name = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 60);
  if (name === '' || name === 'all') name = 'app';
  if (/^\d+$/.test(name)) name = `app-${name}`;
  return name;
}

/** The first of name, name-2, name-3… that `taken` does not hold. */
export function uniqueName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) {
    const candidate = `${base.slice(0, 64 - String(i).length - 1)}-${i}`;
    if (!taken(candidate)) return candidate;
  }
}

/** A default name from a Python module (`-m pkg.server`): its last part. */
export function nameFromModule(module: string): string {
  return nameFromProgram(`${module.split('.').pop() ?? module}.py`);
}
