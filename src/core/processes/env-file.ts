import fs from 'node:fs';
import { BgrunError, UsageError, describeSystemError } from '../../errors.js';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/** Parses the `.env` format: KEY=VALUE, optional `export`, quotes, # comments. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    const match = LINE.exec(line);
    if (!match) {
      throw new BgrunError('ENV_FILE', `${file}:${i + 1}: expected KEY=VALUE, got '${line.slice(0, 40)}'`);
    }
    const key = match[1]!;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    env[key] = value;
  }
  return env;
}

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new BgrunError('ENV_FILE', `cannot read env file ${file}: ${describeSystemError(error)}`, { cause: error });
  }
  return parseEnvFile(text, file);
}

/** Parses one --env KEY=VALUE. */
export function parseEnvAssignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq > 0 ? text.slice(0, eq) : '';
  if (eq < 0 && /^[A-Za-z0-9_-]+$/.test(text)) {
    throw new UsageError(`--env ${text} names an env profile (pm2's env_${text}), which only a config file has; for a variable use --env KEY=VALUE`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    throw new UsageError(`invalid --env '${text}': use KEY=VALUE with a key of letters, digits and '_'`);
  }
  return [key, text.slice(eq + 1)];
}

/** The environment a program gets: inherited, then env files (read now), then --env. */
export function composeEnv(spec: {
  env: Record<string, string>;
  envFiles: string[];
  envVars: Record<string, string>;
}): Record<string, string> {
  const env = { ...spec.env };
  for (const file of spec.envFiles) Object.assign(env, readEnvFile(file));
  return Object.assign(env, spec.envVars);
}
