/**
 * A Procfile, as foreman and overmind read it: `name: command` lines, `#`
 * comments. Each command runs through `sh -c` (a Procfile is the user's own
 * shell), in the Procfile's folder, with the `.env` beside it loaded, and with
 * a PORT of its own as foreman and overmind give (5000, 5100, 5200…).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BgrunError, ConfigError, describeSystemError } from '../errors.js';
import { readEnvFile } from '../core/processes/env-file.js';
import { validateName } from '../core/records/names.js';
import type { ConfigApp } from './validate-config.js';

const LINE = /^([A-Za-z0-9_.-]+):[ \t]*(.*)$/;
const SHELL = '/bin/sh';
/** foreman's and overmind's defaults: the first app gets 5000, each next one 100 more. */
const BASE_PORT = 5000;
const PORT_STEP = 100;

export function parseProcfile(text: string, file: string): ConfigApp[] {
  const label = path.basename(file);
  const dir = path.dirname(path.resolve(file));
  const envFile = path.join(dir, '.env');
  const envFiles = fs.existsSync(envFile) ? [envFile] : [];
  // A PORT in .env is the user's choice for every app; otherwise each app gets its own.
  const ownPorts = !envFiles.some((file) => 'PORT' in readEnvFile(file));
  const apps: ConfigApp[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match || match[2]!.trim() === '') {
      throw new ConfigError(`${label}:${i + 1}: expected 'name: command', got '${line.slice(0, 60)}'`);
    }
    const name = match[1]!;
    try {
      validateName(name);
    } catch (error) {
      throw new ConfigError(`${label}:${i + 1}: ${error instanceof BgrunError ? error.message : String(error)}`);
    }
    if (apps.some((app) => app.name === name)) throw new ConfigError(`${label}:${i + 1}: '${name}' is defined twice`);
    apps.push({
      name,
      script: SHELL,
      args: ['-c', match[2]!.trim()],
      cwd: dir,
      env: ownPorts ? { PORT: String(BASE_PORT + PORT_STEP * apps.length) } : {},
      envFiles,
      interpreter: null,
      dependsOn: [],
    });
  }
  if (apps.length === 0) throw new ConfigError(`${label}: no 'name: command' lines`);
  return apps;
}

export function readProcfile(file: string): ConfigApp[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${describeSystemError(error)}`, 'CONFIG_NOT_FOUND', error);
  }
  return parseProcfile(text, file);
}
