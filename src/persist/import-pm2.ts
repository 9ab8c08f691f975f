/**
 * `bgrun import pm2`: pm2's saved process list (`pm2 save` writes
 * $PM2_HOME/dump.pm2, a JSON list of each app's pm2_env) as bgrun config apps.
 *
 * Each entry maps to bgrun's own keys, written out in full (restart, maxRestarts,
 * minUptime: pm2's values or pm2's defaults), so the result means the same in a
 * bgrun.config.json. The environment keeps only what pm2 added over the
 * environment the import runs in (PORT, NODE_ENV, …): pm2 copies the whole
 * environment of the shell that started it into each entry, and its own
 * variables (PM2_*) mean nothing here.
 *
 * `pm2 save` writes one entry per process and deletes `instances` from each
 * (pm2 lib/API/Startup.js), so an app started with `-i 3` is three entries with
 * one name, told apart only by their instance variable (NODE_APP_INSTANCE).
 * Those entries are one app here, with `instances: 3`: three apps on one port
 * would fight over it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, describeSystemError } from '../errors.js';
import { PM2_DEFAULTS, safeName } from '../config/pm2.js';
import { readProcess } from '../core/processes/process-info.js';
import { uniqueName } from '../core/records/names.js';

/** One app as bgrun's config takes it, plus what only the import knows. */
export interface ImportedApp {
  /** bgrun config keys (bgrun.config.json). */
  config: Record<string, unknown>;
  /** Its name in pm2 (for messages; it may differ from config.name). */
  pm2Name: string;
  /** pm2's name when it is not a valid bgrun name ("My API"): it addresses the app too. */
  displayName?: string;
  /** Its status in pm2 when saved (online if any of its instances was): online apps are started, the others only written by --print. */
  pm2Status: string;
  /** The pidfiles pm2 kept for its instances, to tell whether pm2 still runs it. */
  pm2PidFiles: string[];
}

export interface ImportedDump {
  file: string;
  apps: ImportedApp[];
  /** One line each: what did not carry over, and why. */
  notes: string[];
}

/** Where `pm2 save` wrote its list: --dump, else $PM2_HOME/dump.pm2, else ~/.pm2/dump.pm2. */
export function pm2DumpFile(env: NodeJS.ProcessEnv, given?: string): string {
  if (given) return path.resolve(given);
  const home = env.PM2_HOME || path.join(env.HOME || os.homedir(), '.pm2');
  return path.join(home, 'dump.pm2');
}

/** Set by the shell that ran pm2, about itself: never the app's. */
const SHELL_BOOKKEEPING = new Set(['PWD', 'OLDPWD', 'SHLVL', '_']);

/** Variables of pm2's own, and keys pm2 puts in env that are not variables (the app's name, unique_id). */
function isPm2Variable(key: string, entry: Record<string, unknown>): boolean {
  return /^PM2_|^pm_/.test(key) || SHELL_BOOKKEEPING.has(key) || key === 'unique_id' || key === entry.name || key === 'NODE_APP_INSTANCE' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
}

/** Variable names a config refuses as keys. */
const UNSAFE_VARIABLES = new Set(['__proto__', 'constructor', 'prototype']);

/** The interpreter pm2 picks by itself for an extension (lib/Common.js sink.resolveInterpreter): left out, bgrun picks its own. */
function isDefaultInterpreter(interpreter: string, script: string): boolean {
  const ext = path.extname(script).toLowerCase();
  if (['.js', '.mjs', '.cjs', '.ts', ''].includes(ext) && interpreter === 'node') return true;
  if (ext === '.py' && /^python3?$/.test(interpreter)) return true;
  return false;
}

/** Extensions bgrun runs with an interpreter of its choice (core/processes/resolve-command.ts). */
const BGRUN_INTERPRETS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.sh', '.py']);

/** Keys of a pm2 entry that carry over as they are when bgrun reads them (watch, cron_restart, … as their helpers add them). */
const PASS_THROUGH = ['watch', 'ignore_watch', 'cron_restart', 'kill_timeout', 'restart_delay', 'exp_backoff_restart_delay', 'stop_exit_codes', 'increment_var', 'instance_var', 'merge_logs'];

/** One entry of the dump: one process of pm2's. */
interface Pm2Process {
  e: Record<string, unknown>;
  pm2Name: string;
  script: string;
  cwd: string | null;
}

const scriptOf = (e: Record<string, unknown>) => (typeof e.pm_exec_path === 'string' ? e.pm_exec_path : typeof e.script === 'string' ? e.script : null);
const cwdOf = (e: Record<string, unknown>) => (typeof e.pm_cwd === 'string' ? e.pm_cwd : typeof e.cwd === 'string' ? e.cwd : null);

function readEntry(raw: unknown, i: number, notes: string[]): Pm2Process | null {
  if (typeof raw !== 'object' || raw === null) {
    notes.push(`entry ${i}: not an app, skipped`);
    return null;
  }
  const e = raw as Record<string, unknown>;
  const pm2Name = typeof e.name === 'string' && e.name !== '' ? e.name : `app-${i}`;
  const script = scriptOf(e);
  if (!script) {
    notes.push(`${pm2Name}: no script in the dump, skipped`);
    return null;
  }
  if (pm2Name.startsWith('pm2-') && /node_modules\/pm2-/.test(script)) {
    notes.push(`${pm2Name}: a pm2 module, skipped`);
    return null;
  }
  return { e, pm2Name, script, cwd: cwdOf(e) };
}

/** pm2's instance number of a process (its instance_var, NODE_APP_INSTANCE unless renamed), or null. */
function instanceNumber(e: Record<string, unknown>): number | null {
  const key = typeof e.instance_var === 'string' && e.instance_var !== '' ? e.instance_var : 'NODE_APP_INSTANCE';
  const n = Number(e[key]);
  return e[key] !== undefined && Number.isInteger(n) && n >= 0 ? n : null;
}

/**
 * The processes of one pm2 app: same name, script and working folder (pm2 allows two apps of one name
 * with different scripts; those stay two apps). Instance 0 first: it holds the increment_var's base.
 */
function groupInstances(processes: Pm2Process[]): Pm2Process[][] {
  const groups = new Map<string, Pm2Process[]>();
  for (const p of processes) {
    const key = JSON.stringify([p.pm2Name, p.script, p.cwd]);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((g) => [...g].sort((a, b) => (instanceNumber(a.e) ?? 0) - (instanceNumber(b.e) ?? 0)));
}

/** The variables pm2 added for the app over the environment the import runs in. */
function addedEnv(e: Record<string, unknown>, pm2Name: string, baseEnv: NodeJS.ProcessEnv, notes: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const source = typeof e.env === 'object' && e.env !== null ? (e.env as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(source)) {
    if (isPm2Variable(key, e) || value === undefined || value === null || typeof value === 'object') continue;
    // A config cannot name these (config/unsafe-keys.ts), and `env.__proto__ = …` would be lost silently.
    if (UNSAFE_VARIABLES.has(key)) {
      notes.push(`${pm2Name}: the variable ${key} is not carried over (a config cannot name it); set it in the program's environment another way`);
      continue;
    }
    const text = String(value);
    if (baseEnv[key] !== text) env[key] = text;
  }
  return env;
}

function mapApp(group: Pm2Process[], baseEnv: NodeJS.ProcessEnv, known: (key: string) => boolean, notes: string[]): ImportedApp {
  const { e, pm2Name, script, cwd } = group[0]!;
  const name = safeName(pm2Name);
  const config: Record<string, unknown> = { name, script };
  if (Array.isArray(e.args) && e.args.length > 0) config.args = e.args.map(String);
  if (cwd) config.cwd = cwd;
  const interpreter = typeof e.exec_interpreter === 'string' ? e.exec_interpreter : null;
  if (interpreter === 'none') {
    // pm2 ran it itself: so must bgrun where it would pick an interpreter by the extension.
    if (BGRUN_INTERPRETS.has(path.extname(script).toLowerCase())) config.interpreter = 'none';
  } else if (interpreter && !isDefaultInterpreter(interpreter, script)) config.interpreter = interpreter;
  if (Array.isArray(e.node_args) && e.node_args.length > 0) config.interpreterArgs = e.node_args.map(String);

  const env = addedEnv(e, pm2Name, baseEnv, notes);
  if (group.length > 1) {
    // Copies differ by their increment_var (PORT 3000, 3001, …): bgrun adds the index to instance 0's value itself.
    const increment = typeof e.increment_var === 'string' ? e.increment_var : null;
    const differing = new Set<string>();
    for (const other of group.slice(1)) {
      const theirs = addedEnv(other.e, pm2Name, baseEnv, []);
      for (const key of new Set([...Object.keys(env), ...Object.keys(theirs)])) if (key !== increment && env[key] !== theirs[key]) differing.add(key);
    }
    if (differing.size > 0) notes.push(`${pm2Name}: its instances had different values of ${[...differing].join(', ')}; every copy gets instance 0's`);
  }
  if (Object.keys(env).length > 0) config.env = env;

  const supervised = e.autorestart !== false;
  config.restart = supervised ? 'always' : 'no';
  if (supervised) {
    config.maxRestarts = typeof e.max_restarts === 'number' ? e.max_restarts : PM2_DEFAULTS.max_restarts;
    config.minUptime = typeof e.min_uptime === 'number' ? e.min_uptime : PM2_DEFAULTS.min_uptime;
  }
  // pm2 restarts an app over its limit even with autorestart false; so does bgrun (supervised for it).
  if (typeof e.max_memory_restart === 'number' && e.max_memory_restart > 0) config.maxMemory = e.max_memory_restart;
  // One entry per instance (pm2 save deletes `instances`); an older or hand-made dump may still say it.
  const instances = group.length > 1 ? group.length : Number(e.instances);
  if (Number.isInteger(instances) && instances !== 1 && known('instances')) config.instances = instances;
  if (typeof e.exec_mode === 'string' && /^cluster/.test(e.exec_mode)) {
    if (known('exec_mode')) config.exec_mode = 'cluster';
    else notes.push(`${pm2Name}: cluster mode is not available here: runs in fork mode`);
  }
  if (typeof e.namespace === 'string' && e.namespace !== 'default' && known('namespace')) config.namespace = e.namespace;
  for (const key of PASS_THROUGH) {
    const value = e[key];
    if (value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0)) continue;
    // pm2 writes instance_var (its default NODE_APP_INSTANCE) into every entry: it means something only for copies.
    if ((key === 'instance_var' || key === 'increment_var' || key === 'merge_logs') && config.instances === undefined) continue;
    if (known(key)) config[key] = value;
    else notes.push(`${pm2Name}: ${key} is not carried over (bgrun does not read it yet)`);
  }
  const statuses = group.map((p) => (typeof p.e.status === 'string' ? p.e.status : 'unknown'));
  const online = statuses.filter(isOnline).length;
  if (online > 0 && online < group.length) {
    notes.push(`${pm2Name}: ${group.length - online} of its ${group.length} instances were not online in pm2; all ${group.length} copies start here`);
  }
  return {
    config,
    pm2Name,
    ...(name !== pm2Name ? { displayName: pm2Name } : {}),
    pm2Status: online > 0 ? statuses.find(isOnline)! : statuses[0]!,
    pm2PidFiles: group.flatMap((p) => (typeof p.e.pm_pid_path === 'string' ? [p.e.pm_pid_path] : [])),
  };
}

/** pm2's statuses of a process it runs. */
export const isOnline = (status: string) => status === 'online' || status === 'launching';

/** Reads and maps pm2's dump; throws a one-line ConfigError when it is missing or not pm2's. */
export function readPm2Dump(file: string, baseEnv: NodeJS.ProcessEnv, known: (key: string) => boolean): ImportedDump {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read pm2's saved list ${file}: ${describeSystemError(error)}; run 'pm2 save' first, or give --dump <file>`,
      'CONFIG_NOT_FOUND',
      error,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not a pm2 dump (not JSON: ${(error as Error).message})`, 'CONFIG_INVALID', error);
  }
  if (!Array.isArray(value)) throw new ConfigError(`${file}: not a pm2 dump (expected a list of apps)`, 'CONFIG_INVALID');
  const notes: string[] = [];
  const processes = value.map((raw, i) => readEntry(raw, i, notes)).filter((p): p is Pm2Process => p !== null);
  const apps = groupInstances(processes).map((group) => mapApp(group, baseEnv, known, notes));
  // Two pm2 apps whose names map to one bgrun name (two scripts under one name, "My API" and "My-API"): one
  // is numbered, never onto another app's name, and a name pm2 had as it is ("My-API") is kept before one
  // derived from a display name. A numbered app gets no display name of pm2's valid name: that is the other
  // app's name (a shared "My API" stays the display name of both, and bgrun refuses it as ambiguous).
  const wanted = new Set(apps.map((a) => a.config.name as string));
  const given = new Set<string>();
  for (const app of [...apps.filter((a) => a.displayName === undefined), ...apps.filter((a) => a.displayName !== undefined)]) {
    const name = app.config.name as string;
    if (given.has(name)) app.config.name = uniqueName(name, (n) => given.has(n) || wanted.has(n));
    given.add(app.config.name as string);
  }
  return { file, apps, notes };
}

/** Whether pm2 still runs the app (its pidfile names a live process): two copies would fight over ports and files. */
export function stillRunByPm2(app: ImportedApp): number | null {
  for (const file of app.pm2PidFiles) {
    try {
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      const info = readProcess(pid);
      if (info && !info.dead) return pid;
    } catch {
      // no pidfile: pm2 does not run that instance
    }
  }
  return null;
}
