/**
 * `--watch`: a change under the watched paths restarts the program once, after
 * the settle time (`--watch-delay`), however many files changed. The watching
 * itself is tree-watch.ts (Node's fs.watch, one per folder, ignored folders
 * never walked, so node_modules costs nothing).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessRecord } from '../core/records/record.js';
import { isSupervised } from '../core/records/supervised.js';
import { DEFAULT_WATCH_DELAY_MS } from '../core/supervision.js';
import { TreeWatch } from './tree-watch.js';

/**
 * What a watch reads of a program: a record of the supervisor, or an app of `bgrun run`
 * (which has no log files, so none to leave out).
 */
export type WatchTarget = Pick<ProcessRecord, 'name' | 'desired' | 'restart' | 'watch' | 'watchIgnore' | 'watchDelayMs' | 'watchFollowSymlinks'> &
  Partial<Pick<ProcessRecord, 'outLog' | 'errLog'>>;

/** Folder names never watched, wherever they are. */
const ALWAYS_IGNORED = ['node_modules', '.git', '.hg', '.svn'];

interface Watching {
  /** What it was set up for: a record whose watch settings changed gets a new watcher. */
  key: string;
  close: () => void;
  timer: NodeJS.Timeout | null;
  changed: string[];
  /** Watched paths found missing (removed after the start): reported once, watched again once back. */
  missing: string[];
}

/** A glob as a test of a path relative to the watched root: `*` stays in a segment, `**` crosses them. */
export function globToRegExp(glob: string): RegExp {
  let pattern = glob.trim().replace(/^\.\//, '').replace(/\/+$/, '');
  const anchored = pattern.includes('/');
  pattern = pattern.replace(/^\//, '');
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // Without a slash a pattern names a file or folder anywhere (as in .gitignore); a folder takes its contents along.
  return new RegExp(`${anchored ? '^' : '(?:^|/)'}${out}(?:/.*)?$`);
}

/** The test tree-watch.ts asks of every path it meets: ignored folders are never walked. */
export function ignoreTest(record: WatchTarget, stateHome: string): (file: string) => boolean {
  const globs = [...ALWAYS_IGNORED, ...(record.watchIgnore ?? [])].map(globToRegExp);
  const roots = record.watch ?? [];
  const logs = new Set([record.outLog, record.errLog].filter((f) => f !== undefined));
  const home = path.resolve(stateHome);
  return (file) => {
    const abs = path.resolve(file);
    if (abs === home || abs.startsWith(`${home}${path.sep}`)) return true;
    if (logs.has(abs)) return true;
    for (const root of roots) {
      if (abs !== root && !abs.startsWith(`${root}${path.sep}`)) continue;
      const rel = path.relative(root, abs).split(path.sep).join('/');
      if (rel !== '' && globs.some((g) => g.test(rel))) return true;
    }
    return false;
  };
}

export function watchKey(record: WatchTarget): string {
  return JSON.stringify([record.watch, record.watchIgnore ?? [], record.watchDelayMs ?? null, record.watchFollowSymlinks ?? false]);
}

/** A settled burst of changes in a line: "a change (src/a.js)", "5 changes (a, b, c and 2 more)". */
export function describeChanges(files: string[]): string {
  const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ` and ${files.length - 3} more` : '');
  return `${files.length === 1 ? 'a change' : `${files.length} changes`} (${shown})`;
}

export class Watches {
  private readonly watching = new Map<string, Watching>();

  constructor(
    private readonly stateHome: string,
    private readonly log: (line: string) => void,
    /** Called once per settled burst of changes. */
    private readonly onChange: (name: string, files: string[]) => void,
    private readonly report: (name: string, problem: string | null) => void,
  ) {}

  /** Watches exactly the records that ask for it and should run; closes the rest. */
  sync(records: WatchTarget[]): void {
    const wanted = new Map(records.filter((r) => r.desired === 'running' && isSupervised(r) && (r.watch?.length ?? 0) > 0).map((r) => [r.name, r]));
    for (const [name, w] of this.watching) {
      const record = wanted.get(name);
      if (!record || watchKey(record) !== w.key) this.unwatch(name);
    }
    for (const [name, record] of wanted) {
      const w = this.watching.get(name);
      if (w && !this.checkRoots(name, record, w)) continue;
      if (!this.watching.has(name)) this.watch(record);
    }
  }

  /**
   * One stat per watched path and tick: a removed folder is reported (a watch on a
   * deleted inode sees nothing more), and watched afresh when it is back. False: the
   * watcher was closed to be made again.
   */
  private checkRoots(name: string, record: WatchTarget, w: Watching): boolean {
    const missing = (record.watch ?? []).filter((p) => !fs.existsSync(p));
    if (missing.join('\0') === w.missing.join('\0')) return true;
    const back = w.missing.filter((p) => !missing.includes(p));
    const gone = missing.filter((p) => !w.missing.includes(p));
    w.missing = missing;
    if (gone.length > 0) this.fail(name, `watched path ${gone.join(', ')} was removed; changes there are not seen until it is back`);
    if (back.length > 0) {
      this.log(`watched path ${back.join(', ')} of ${name} is back; watching it again`);
      if (missing.length === 0) this.report(name, null);
      this.unwatch(name);
      return false;
    }
    return true;
  }

  private watch(record: WatchTarget): void {
    const name = record.name;
    const roots = record.watch ?? [];
    const delay = record.watchDelayMs ?? DEFAULT_WATCH_DELAY_MS;
    const entry: Watching = { key: watchKey(record), close: () => {}, timer: null, changed: [], missing: roots.filter((p) => !fs.existsSync(p)) };
    this.watching.set(name, entry);
    if (entry.missing.length > 0) this.fail(name, `watched path ${entry.missing.join(', ')} is missing; changes there are not seen until it is back`);
    const tree = new TreeWatch(roots, {
      ignored: ignoreTest(record, this.stateHome),
      followSymlinks: record.watchFollowSymlinks ?? false,
      onProblem: (problem) => this.fail(name, problem),
      onChange: (file) => {
        if (this.watching.get(name) !== entry) return;
        entry.changed.push(file);
        if (entry.timer) clearTimeout(entry.timer);
        entry.timer = setTimeout(() => {
          entry.timer = null;
          const files = [...new Set(entry.changed)];
          entry.changed = [];
          this.onChange(name, files);
        }, delay);
      },
    });
    entry.close = () => tree.close();
    try {
      tree.start();
    } catch (error) {
      this.fail(name, `watching failed: ${(error as Error).message}`);
    }
    this.log(`watching ${roots.join(', ')} for ${name} (${tree.folders} folders)`);
  }

  private fail(name: string, problem: string): void {
    this.log(`${name}: ${problem}`);
    this.report(name, problem);
  }

  private unwatch(name: string): void {
    const w = this.watching.get(name);
    if (!w) return;
    this.watching.delete(name);
    if (w.timer) clearTimeout(w.timer);
    w.close();
  }

  closeAll(): void {
    for (const name of [...this.watching.keys()]) this.unwatch(name);
  }

  get size(): number {
    return this.watching.size;
  }
}
