import path from 'node:path';
import { StartError } from '../../errors.js';
import type { ProcessRecord, RecordOrigin } from './record.js';

/** What a config app or a command line asks to run, enough to tell it from another program. */
export interface Wanted {
  script: string;
  args?: string[];
  cwd: string;
  origin: RecordOrigin;
}

/** How messages name where a record came from. */
export function describeOrigin(record: Pick<ProcessRecord, 'origin' | 'cwd'>): string {
  const origin = record.origin;
  if (origin?.kind === 'config' && origin.file) return `an app of ${origin.file}`;
  if (origin?.kind === 'cli') return `started on the command line in ${origin.cwd}`;
  return `running in ${record.cwd}`;
}

function sameProgram(record: ProcessRecord, wanted: Wanted): boolean {
  return (
    record.cwd === wanted.cwd &&
    path.resolve(record.cwd, record.script) === path.resolve(wanted.cwd, wanted.script) &&
    JSON.stringify(record.args) === JSON.stringify(wanted.args ?? [])
  );
}

/**
 * Whether a config's app may use the record of the same name: one made by the same
 * config file, or (made on the command line, or by a bgrun that kept no origin) the
 * same program in the same folder. Anything else is another project's program.
 */
export function belongsToConfig(record: ProcessRecord, wanted: Wanted): boolean {
  if (wanted.origin.kind !== 'config') return true;
  if (record.origin?.kind === 'config') return record.origin.file === wanted.origin.file;
  return sameProgram(record, wanted);
}

/** Throws when a config's app would skip or take over a same-named program of another origin. */
export function checkNameOwner(record: ProcessRecord | null, wanted: Wanted & { name: string }): void {
  if (!record || belongsToConfig(record, wanted)) return;
  const here = wanted.origin.file ?? wanted.cwd;
  throw new StartError(
    'NAME_TAKEN',
    `cannot start '${wanted.name}' of ${here}: that name belongs to another program, ${describeOrigin(record)}; ` +
      `rename the app, or forget the other one with 'bgrun rm ${wanted.name}'`,
  );
}
