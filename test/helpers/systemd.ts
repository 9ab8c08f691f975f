import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How systemd itself reads our unit files, where this machine lets us ask it. */

export function which(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface VerifyResult {
  status: number | null;
  output: string;
}

/** `systemd-analyze [--user] verify <files>`; null when systemd-analyze is not installed. */
export function systemdAnalyzeVerify(files: string[], options: { user?: boolean } = {}): VerifyResult | null {
  const analyze = which('systemd-analyze');
  if (!analyze) return null;
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-sd-rt-'));
  try {
    const result = spawnSync(analyze, [...(options.user ? ['--user'] : []), 'verify', ...files], {
      encoding: 'utf8',
      // A user manager needs a runtime folder; this container has no session.
      env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: '0' },
      timeout: 30_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
  } finally {
    fs.rmSync(runtime, { recursive: true, force: true });
  }
}

const SYSTEMD_BINARIES = ['/lib/systemd/systemd', '/usr/lib/systemd/systemd'];

/** One unit as `systemd --test` dumps it: the parsed values, after systemd's own unquoting. */
export interface DumpedUnit {
  /** Each ExecStart= as argv, `$$` not yet turned into `$` (systemd does that at exec). */
  commandLines: string[][];
  /** `Key: value` lines, several values per key kept in order. */
  fields: Map<string, string[]>;
}

/**
 * Parses a command line as systemd prints it (quote_command_line): words split
 * on spaces, double quotes, backslash escapes (C escapes, octal \NNN).
 */
export function parseDumpedCommandLine(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let word = '';
    let quoted = false;
    while (i < line.length && (quoted || line[i] !== ' ')) {
      const ch = line[i]!;
      if (ch === '"') {
        quoted = !quoted;
        i++;
        continue;
      }
      if (ch === '\\') {
        const next = line[i + 1]!;
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };
        if (simple[next] !== undefined) {
          word += simple[next];
          i += 2;
        } else if (/[0-7]/.test(next)) {
          word += String.fromCharCode(Number.parseInt(line.slice(i + 1, i + 4), 8));
          i += 4;
        } else if (next === 'x') {
          word += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else {
          word += next;
          i += 2;
        }
        continue;
      }
      word += ch;
      i++;
    }
    words.push(word);
  }
  return words;
}

/**
 * Loads the units in `dir` with `systemd --test --user` (no manager is started,
 * nothing runs) and returns how systemd parsed `unitName`; null when systemd is
 * not installed or cannot do that here. systemd refuses test mode as root, so
 * as root it runs as nobody.
 */
export function systemdTestDump(dir: string, unitName: string): DumpedUnit | null {
  const systemd = SYSTEMD_BINARIES.find((f) => fs.existsSync(f));
  if (!systemd) return null;
  const asRoot = process.getuid?.() === 0;
  const runuser = which('runuser');
  if (asRoot && !runuser) return null;
  const prefix = asRoot ? [runuser!, '-u', 'nobody', '--'] : [];
  const made = spawnSync(prefix[0] ?? 'mktemp', [...prefix.slice(1), ...(asRoot ? ['mktemp'] : []), '-d'], { encoding: 'utf8' });
  const runtime = made.stdout.trim();
  if (made.status !== 0 || !runtime) return null;
  try {
    const argv = [...prefix, 'env', `XDG_RUNTIME_DIR=${runtime}`, `SYSTEMD_UNIT_PATH=${dir}:`, systemd, '--test', '--user', `--unit=${unitName}`, '--no-pager'];
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) return null;
    const lines = result.stdout.split('\n');
    const start = lines.indexOf(`\t-> Unit ${unitName}:`);
    if (start < 0) return null;
    const dumped: DumpedUnit = { commandLines: [], fields: new Map() };
    for (const line of lines.slice(start + 1)) {
      if (/^\t?-> /.test(line)) break; // the next unit, or the jobs
      const command = /^\t\t\tCommand Line: (.*)$/.exec(line);
      if (command) {
        dumped.commandLines.push(parseDumpedCommandLine(command[1]!));
        continue;
      }
      const field = /^\t\t([A-Za-z][A-Za-z ]*): (.*)$/.exec(line);
      if (field) dumped.fields.set(field[1]!, [...(dumped.fields.get(field[1]!) ?? []), field[2]!]);
    }
    return dumped;
  } finally {
    fs.rmSync(runtime, { recursive: true, force: true });
  }
}

/** Makes a folder and its files readable by everyone, so `nobody` can load units from it. */
export function openUp(dir: string): void {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    try {
      const mode = fs.statSync(d).mode;
      if ((mode & 0o005) !== 0o005) fs.chmodSync(d, mode | 0o005);
    } catch {
      break;
    }
    if (d === os.tmpdir()) break;
  }
  for (const entry of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, entry), 0o644);
}
