/**
 * pm2's files as pm2 reads them. Runs before the checks of validate-config.ts
 * on files that are not bgrun's own (config-dialect.ts), and turns a pm2 file
 * into what those checks take:
 *
 * - the shape: an `apps` list (or pm2's `pm2` key), one app object, or a list at the top;
 * - pm2's defaults where bgrun's differ: autorestart unless `autorestart: false`, with
 *   pm2's max_restarts (16) and min_uptime (1000 ms), read from pm2's source
 *   (lib/God.js, lib/API/schema.json), not from bgrun's;
 * - pm2's aliases (`exec`, `out`, `err`, `cron`, …) and keys with a bgrun meaning
 *   (`node_args`, `interpreter_args`, `exec_interpreter`, `port`, …);
 * - env values that are undefined or null dropped, as pm2 does (`PORT: process.env.PORT`);
 * - pm2's watch settings (`ignore_watch`, …) without `watch` dropped silently, as pm2 ignores them;
 * - a name pm2 accepts but bgrun's files cannot (spaces, `/`, …) kept as the display
 *   name, with a safe name derived for files and targets;
 * - every key with no meaning here, and every key pm2 itself ignores (a typo),
 *   accepted with one warning line, never refused.
 */
import path from 'node:path';
import { nameFromProgram } from '../core/records/names.js';
import { suggest } from '../suggest.js';

/** pm2's own defaults for the keys where bgrun's differ (pm2 7, lib/God.js handleExit and lib/API/schema.json). */
export const PM2_DEFAULTS = { autorestart: true, max_restarts: 16, min_uptime: 1000 } as const;

/**
 * pm2's interpreter for a script's extension (lib/API/interpreter.json), where bgrun's
 * own choice is sh (.sh) or none at all. Not for .js, .ts and .py: bgrun's choices there
 * (the Node that runs bgrun, Node or tsx, the project's Python) are kept.
 */
export const PM2_INTERPRETERS: Readonly<Record<string, string>> = { '.sh': 'bash', '.rb': 'ruby', '.php': 'php', '.pl': 'perl' };

/** pm2's spellings of the same key (schema.json "alias"), turned into the key bgrun reads. */
const ALIASES: Record<string, string> = {
  exec: 'script',
  out: 'out_file',
  output: 'out_file',
  out_log: 'out_file',
  error: 'error_file',
  err: 'error_file',
  err_file: 'error_file',
  err_log: 'error_file',
  log: 'log_file',
  cron: 'cron_restart',
  combine_logs: 'merge_logs',
  pid: 'pid_file',
  user: 'uid',
};

/** pm2's keys that only say how to watch. */
const PM2_WATCH_SETTINGS = ['ignore_watch', 'watch_delay', 'watch_options'];

const NO_AGENT = "pm2's monitoring agent has no equivalent here ('bgrun list' and 'bgrun show' read the system)";

/** pm2 keys with no meaning in bgrun: accepted with one warning line saying why (or what to use). */
export const PM2_IGNORED: Record<string, string> = {
  vizion: 'bgrun does not track versions',
  post_update: 'bgrun does not track versions',
  pmx: NO_AGENT,
  automation: NO_AGENT,
  trace: NO_AGENT,
  disable_trace: NO_AGENT,
  v8: NO_AGENT,
  event_loop_inspector: NO_AGENT,
  deep_monitoring: NO_AGENT,
  io: NO_AGENT,
  autodump: "bgrun keeps its records on disk at every change; 'bgrun save' writes the list 'bgrun resurrect' brings back",
  force: 'bgrun never starts a second copy of a running app (give another name for a second one)',
  source_map_support: 'for source maps in Node, set interpreterArgs: ["--enable-source-maps"]',
  disable_source_map_support: 'bgrun adds nothing to the program, source maps included',
  shutdown_with_message: "bgrun stops with a signal (SIGTERM, or 'bgrun stop --signal')",
  wait_ready: 'bgrun does not wait for process.send(\'ready\'); use ready: "tcp:PORT", "http://127.0.0.1:PORT/health" or "log:/listening/"',
  listen_timeout: 'it needs a readiness check: add ready ("tcp:PORT", …) and readyTimeout',
  pid_file: "bgrun writes each pidfile in its state folder ('bgrun show <name>' names it)",
  filter_env: "bgrun passes the environment 'bgrun start' ran in, plus env; unset what it should not see",
  append_env_to_name: 'names stay as written',
  windowsHide: 'bgrun runs on Linux and macOS',
  username: 'bgrun runs programs as the user who starts them',
  uid: 'bgrun runs programs as the user who starts them (run bgrun as that user)',
  gid: 'bgrun runs programs as the user who starts them (run bgrun as that user)',
  kill_retry_time: "bgrun checks every stop until the tree is gone ('bgrun stop --timeout' sets when it escalates)",
  write: 'no meaning outside pm2',
  execute_command: 'no meaning outside pm2',
  install_url: 'no meaning outside pm2',
  name_prefix: 'names stay as written',
  log_type: 'bgrun writes what the program writes',
  disable_logs: "bgrun always keeps the logs ('bgrun flush', or --max-log-size to bound them)",
  autostart: 'bgrun starts every app of the file it is asked to start (use --only to choose)',
  treekill: 'bgrun always stops the whole process tree',
};

/** Keys pm2 handles that bgrun reads itself (in the option table or here): never "unknown". */
const HANDLED_HERE = new Set(['node_args', 'interpreter_args', 'interpreterArgs', 'exec_interpreter', 'port']);

/** The pm2 keys a typo is compared with (schema.json), besides the keys bgrun reads. */
const PM2_SCHEMA_KEYS = [
  'script',
  'name',
  'cwd',
  'args',
  'interpreter',
  'node_args',
  'interpreter_args',
  'exec_interpreter',
  'out_file',
  'error_file',
  'log_file',
  'log_date_format',
  'time',
  'env',
  'max_memory_restart',
  'restart_delay',
  'exp_backoff_restart_delay',
  'instances',
  'kill_timeout',
  'cron_restart',
  'merge_logs',
  'autorestart',
  'watch',
  'ignore_watch',
  'watch_options',
  'watch_delay',
  'min_uptime',
  'max_restarts',
  'exec_mode',
  'increment_var',
  'instance_var',
  'namespace',
  'stop_exit_codes',
  'port',
  ...Object.keys(PM2_IGNORED),
];

export interface Pm2App {
  /** The app as bgrun's checks take it. */
  value: unknown;
  /** The name as written, when it is not a valid bgrun name (the app's `name` is then the derived one). */
  displayName?: string;
  /** pm2 defaults this app got because its file left them out, e.g. "autorestart: true". */
  defaults: string[];
}

export interface Pm2File {
  apps: Pm2App[];
  /** One line each, already saying which apps and why: printed once by the command. */
  warnings: string[];
  /** The top-level object as bgrun's checks take it ({ apps: [...] }). */
  value: { apps: unknown[] };
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** A bgrun name for a pm2 name: runs of other characters become '-' ("My API" → "My-API"), as docs/config.md says. */
export function safeName(display: string): string {
  return nameFromProgram(`${display.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-+$/, '')}.x`);
}

function isValidPlainName(name: string): boolean {
  return NAME.test(name) && !/^\d+$/.test(name) && name !== 'all' && !name.startsWith('.');
}

/** Drops undefined and null values (pm2 does: `PORT: process.env.PORT` with PORT unset). */
function withoutUnset(env: unknown): unknown {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return env;
  return Object.fromEntries(Object.entries(env as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null));
}

/** pm2's args for the interpreter: a list, or a string split at spaces. */
function interpreterArgsOf(value: unknown): unknown {
  if (typeof value === 'string') return value.trim() === '' ? [] : value.trim().split(/\s+/);
  return value;
}

/**
 * One pm2 app: pm2's aliases, mapped keys and defaults; keys with no meaning
 * here are dropped with a warning. `known` says which keys bgrun's checks read.
 */
function fromPm2App(
  raw: unknown,
  known: (key: string) => boolean,
  bgrunKeys: readonly string[],
  warn: (key: string, reason: string) => void,
): Pm2App {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { value: raw, defaults: [] };
  const app: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const canonical = ALIASES[key] ?? key;
    if (canonical !== key && (raw as Record<string, unknown>)[canonical] !== undefined) continue; // the canonical key wins
    app[canonical] = value;
  }
  const out: Record<string, unknown> = {};
  let interpreterArgs: unknown;
  for (const [key, value] of Object.entries(app)) {
    if (value === undefined) continue; // pm2 reads an unset key as absent
    if (key === 'env' || /^env_/.test(key)) {
      out[key] = withoutUnset(value);
    } else if (key === 'node_args' || key === 'interpreter_args' || key === 'interpreterArgs') {
      interpreterArgs = interpreterArgsOf(value);
    } else if (key === 'exec_interpreter') {
      if (app.interpreter === undefined) out.interpreter = value;
    } else if (key === 'port') {
      // pm2's shortcut for env.PORT
      const env = (typeof out.env === 'object' && out.env !== null ? out.env : withoutUnset(app.env ?? {})) as Record<string, unknown>;
      if (env.PORT === undefined && value !== null) out.env = { ...env, PORT: value };
    } else if (key === 'treekill' && value !== false) {
      // true is what bgrun does anyway
    } else if (key === 'listen_timeout' && app.ready !== undefined && app.readyTimeout === undefined) {
      out.readyTimeout = value;
    } else if (PM2_IGNORED[key] !== undefined) {
      warn(key, `ignored: ${PM2_IGNORED[key]}`);
    } else if (known(key)) {
      out[key] = value;
    } else {
      const near = suggest(key, [...new Set([...PM2_SCHEMA_KEYS.filter((k) => known(k) || HANDLED_HERE.has(k)), ...bgrunKeys])]);
      warn(key, `unknown key, ignored as pm2 ignores it${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  if (interpreterArgs !== undefined) out.interpreterArgs = interpreterArgs;
  // pm2 reads its watch settings only when watch is on (a file that turned watch off keeps
  // them for later): dropped silently, as pm2 ignores them, rather than refused.
  if (out.watch === undefined || out.watch === false) for (const key of PM2_WATCH_SETTINGS) delete out[key];

  let displayName: string | undefined;
  if (typeof out.name === 'string' && out.name !== '' && !isValidPlainName(out.name)) {
    displayName = out.name;
    out.name = safeName(out.name);
  }

  // pm2's defaults where bgrun's differ: pm2 restarts unless told not to.
  const defaults: string[] = [];
  if (out.autorestart === undefined && out.restart === undefined) {
    out.autorestart = PM2_DEFAULTS.autorestart;
    defaults.push('autorestart: true');
  }
  const supervised = out.restart !== undefined ? out.restart !== 'no' : out.autorestart === true;
  if (supervised) {
    if (out.max_restarts === undefined && out.maxRestarts === undefined) {
      out.max_restarts = PM2_DEFAULTS.max_restarts;
      defaults.push(`max_restarts: ${PM2_DEFAULTS.max_restarts}`);
    }
    if (out.min_uptime === undefined && out.minUptime === undefined) {
      out.min_uptime = PM2_DEFAULTS.min_uptime;
      defaults.push(`min_uptime: ${PM2_DEFAULTS.min_uptime}`);
    }
  }
  // pm2 runs a .sh script with bash: a bash script would fail under sh where sh is dash.
  const byExtension = typeof out.script === 'string' && out.module === undefined ? PM2_INTERPRETERS[path.extname(out.script).toLowerCase()] : undefined;
  if (out.interpreter === undefined && byExtension !== undefined) {
    out.interpreter = byExtension;
    defaults.push(`interpreter: ${byExtension}`);
  }
  return { value: out, ...(displayName !== undefined ? { displayName } : {}), defaults };
}

/** The app objects of a pm2 file, whatever its shape; null when it holds none. */
function appsOf(value: unknown): { apps: unknown[]; rest: Record<string, unknown> } | null {
  if (Array.isArray(value)) return { apps: value, rest: {} };
  if (typeof value !== 'object' || value === null) return null;
  const top = value as Record<string, unknown>;
  for (const key of ['apps', 'pm2']) {
    if (top[key] !== undefined) {
      const { [key]: list, ...rest } = top;
      return { apps: Array.isArray(list) ? list : [list], rest };
    }
  }
  // One app object at the top, as pm2 allows (`pm2 start app.json` holding { "script": … }).
  if (top.script !== undefined || top.exec !== undefined) return { apps: [top], rest: {} };
  return null;
}

const TOP_LEVEL_REASONS: Record<string, string> = {
  deploy: "pm2's deploy section is for 'pm2 deploy'; bgrun does not deploy",
  static: "pm2's static file server has no equivalent; run a static server as an app",
};

/**
 * A pm2 file's value as bgrun's checks take it, with one warning line per key
 * that has no meaning here. Returns null when it does not look like a pm2 file
 * at all (the checks then report it as they would).
 */
export function fromPm2File(value: unknown, label: string, known: (key: string) => boolean, bgrunKeys: readonly string[]): Pm2File | null {
  const found = appsOf(value);
  if (!found) return null;
  const lines: string[] = [];
  for (const [key, v] of Object.entries(found.rest)) {
    if (v === undefined) continue;
    lines.push(`${label}: ${key}: ignored: ${TOP_LEVEL_REASONS[key] ?? 'a pm2 file holds apps (and deploy); pm2 ignores other keys too'}`);
  }
  // One line per key and reason, naming every app that has it.
  const perKey = new Map<string, { key: string; reason: string; apps: string[] }>();
  const apps = found.apps.map((raw, i) =>
    fromPm2App(raw, known, bgrunKeys, (key, reason) => {
      const id = `${key}\0${reason}`;
      const entry = perKey.get(id) ?? { key, reason, apps: [] };
      entry.apps.push(appLabel(raw, i));
      perKey.set(id, entry);
    }),
  );
  for (const w of perKey.values()) lines.push(`${label}: ${w.key} (${w.apps.join(', ')}): ${w.reason}`);
  return { apps, warnings: lines, value: { apps: apps.map((a) => a.value) } };
}

function appLabel(raw: unknown, i: number): string {
  if (typeof raw === 'object' && raw !== null) {
    const r = raw as Record<string, unknown>;
    if (typeof r.name === 'string' && r.name !== '') return r.name;
    const script = r.script ?? r.exec;
    if (typeof script === 'string' && script !== '') return nameFromProgram(script);
  }
  return `apps[${i}]`;
}
