import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeSystemError } from '../errors.js';
import type { Context } from '../core/context.js';
import { readEnvFile } from '../core/processes/env-file.js';
import type { ProcessRecord } from '../core/records/record.js';
import { writeFileAtomic } from '../core/records/registry.js';
import { intentOf } from '../core/lifecycle/intent.js';
import { observe } from '../core/lifecycle/status.js';
import { resolveTargets } from '../core/records/targets.js';
import { bgrunVersion } from '../version.js';
import { ExportError, type SystemdUnit, systemdUnit } from './systemd-unit.js';

export interface ExportOptions {
  /** User units (`systemctl --user`) instead of system units. */
  user?: boolean;
  /** Write `bgrun-<name>.service` files here; without it nothing is written. */
  outputDir?: string | null;
  /** System units: User=; defaults to the account running bgrun. */
  runAs?: string | null;
  /** `export systemd all`: only programs meant to be running (not stopped, finished or errored); each other one goes to onSkip. */
  onlyMeantToRun?: boolean;
  onSkip?: (record: ProcessRecord) => void;
}

export interface ExportedUnit extends SystemdUnit {
  /** The file written, or null when only the text was asked for. */
  file: string | null;
  /** Where the unit will not behave exactly like bgrun, in words. */
  warnings: string[];
}

/**
 * What systemd would do differently with the environment: an env file that
 * cannot be read now, and variables set both by --env and in an env file
 * (bgrun lets --env win; systemd lets EnvironmentFile= win over Environment=).
 */
function environmentWarnings(record: ProcessRecord): string[] {
  const warnings: string[] = [];
  const fromFiles = new Map<string, string>();
  for (const file of record.envFiles ?? []) {
    try {
      for (const key of Object.keys(readEnvFile(file))) fromFiles.set(key, file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      warnings.push(`'${record.name}': ${reason}; systemd will refuse to start the unit until it can read it`);
    }
  }
  for (const key of Object.keys(record.envVars ?? {})) {
    const file = fromFiles.get(key);
    if (file) {
      warnings.push(
        `'${record.name}': ${key} is set by --env and in ${file}; bgrun lets --env win, systemd lets the EnvironmentFile= win`,
      );
    }
  }
  return warnings;
}

/** One unit per target program (names, pids or `all`), written to `outputDir` when given. */
export function exportSystemd(ctx: Context, targets: string[], options: ExportOptions = {}): ExportedUnit[] {
  let records = resolveTargets(ctx, targets);
  if (options.onlyMeantToRun) {
    const observed = records.map((r) => observe(r).record);
    for (const r of observed) if (intentOf(r) !== 'run') options.onSkip?.(r);
    records = observed.filter((r) => intentOf(r) === 'run');
  }
  const runAs = options.runAs ?? os.userInfo().username;
  const units = records.map((record) => ({
    ...systemdUnit(record, { user: options.user === true, runAs, bgrunVersion: bgrunVersion() }),
    file: null as string | null,
    warnings: environmentWarnings(record),
  }));
  if (!options.outputDir) return units;
  const dir = path.resolve(options.outputDir);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new ExportError(`cannot create the output folder ${dir}: ${describeSystemError(error)}`);
  }
  for (const unit of units) {
    const file = path.join(dir, unit.unitName);
    try {
      // 0600: Environment= lines may hold secrets, as the records do.
      writeFileAtomic(file, unit.text);
    } catch (error) {
      throw new ExportError(`cannot write ${file}: ${describeSystemError(error)}`);
    }
    unit.file = file;
  }
  return units;
}
