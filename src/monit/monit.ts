/**
 * `bgrun monit`: a full-screen view refreshed every second, drawn with plain ANSI
 * sequences on the alternate screen. The terminal is restored on every way out: q,
 * Ctrl-C (a key in raw mode), SIGTERM, SIGHUP, an error, or the process exiting.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Context } from '../core/context.js';
import { listApps } from '../core/lifecycle/list.js';
import { restartRecord } from '../core/lifecycle/restart.js';
import { startExisting } from '../core/lifecycle/start.js';
import { stopRecord } from '../core/lifecycle/stop.js';
import { readTail } from '../core/logs/read.js';
import { BgrunError } from '../errors.js';
import type { ProcessInfo, ProcessRecord } from '../core/records/record.js';
import { formatStatus } from '../commands/format.js';
import { installFile } from '../install-root.js';
import { writeAll } from '../stdio.js';
import { type LogLine, type MonitRow, type MonitState, renderScreen } from './view.js';

const REFRESH_MS = 1000;
const HISTORY_SECONDS = 120;
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const CLK_TCK = 100;

export interface MonitOptions {
  color: boolean;
  /** Refresh interval (tests and the benchmark shorten it). */
  refreshMs?: number;
}

interface Sample {
  pid: number;
  ticks: number;
  at: number;
}

/** utime + stime of a pid in clock ticks (Linux); null elsewhere or when gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** Log text made safe for the screen: no escape sequences or control characters, tabs as spaces. */
/** The last lines of a log; a log replaced by a link shows why it is not read, in its place. */
function tailOrWhy(file: string, count: number): string[] {
  try {
    return readTail(file, count);
  } catch (error) {
    if (error instanceof BgrunError && error.code === 'LOG_IS_LINK') return [error.message];
    throw error;
  }
}

export function screenSafe(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\t/g, '  ').replace(/[\x00-\x1f\x7f]/g, '');
}

/** The keys of one read: escape sequences (arrows, page keys) whole, anything else a character at a time. */
export function splitKeys(text: string): string[] {
  return text.match(/\x1b\[[0-9;]*[~A-Za-z]|[\s\S]/gu) ?? [];
}

function unicodeTerminal(env: NodeJS.ProcessEnv): boolean {
  return /utf-?8/i.test(env.LC_ALL || env.LC_CTYPE || env.LANG || '');
}

class Monit {
  private rows: MonitRow[] = [];
  private records = new Map<string, ProcessRecord>();
  private history = new Map<string, { cpu: number[]; memory: number[]; last: Sample | null }>();
  private selectedName: string | null = null;
  private filter = '';
  private filtering = false;
  private message = '';
  private total = 0;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private restored = true;
  private finish!: (code: number) => void;
  readonly done = new Promise<number>((resolve) => {
    this.finish = resolve;
  });
  /** Render times in ms, for the benchmark. */
  readonly renderTimes: number[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly options: MonitOptions,
  ) {}

  // Terminal ---------------------------------------------------------------

  private enter(): void {
    writeAll(1, ENTER);
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    this.restored = false;
  }

  /** Idempotent and synchronous: safe from an 'exit' handler. */
  restore = (): void => {
    if (this.restored) return;
    this.restored = true;
    try {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
    } catch {
      // stdin gone
    }
    try {
      writeAll(1, LEAVE);
    } catch {
      // stdout gone
    }
  };

  private size(): { width: number; height: number } {
    const width = process.stdout.columns || 80;
    const height = process.stdout.rows || 24;
    return { width: Math.max(20, width), height: Math.max(5, height) };
  }

  // Data -----------------------------------------------------------------

  private async refresh(): Promise<void> {
    const { processes, records } = await listApps(this.ctx);
    this.records = new Map(records.map((r) => [r.name, r]));
    this.total = processes.length;
    const now = Date.now();
    this.rows = processes
      .filter((p) => this.filter === '' || p.name.includes(this.filter))
      .map((p) => this.toRow(p, now));
    for (const name of [...this.history.keys()]) if (!processes.some((p) => p.name === name)) this.history.delete(name);
  }

  private toRow(p: ProcessInfo, now: number): MonitRow {
    let h = this.history.get(p.name);
    if (!h) {
      h = { cpu: [], memory: [], last: null };
      this.history.set(p.name, h);
    }
    let cpu: number | null = null;
    if (p.status === 'running' && p.pid !== null) {
      const ticks = cpuTicks(p.pid);
      if (ticks === null) cpu = p.cpu;
      else if (h.last && h.last.pid === p.pid && now > h.last.at) cpu = Math.max(0, ((ticks - h.last.ticks) / CLK_TCK / ((now - h.last.at) / 1000)) * 100);
      h.last = ticks === null ? null : { pid: p.pid, ticks, at: now };
    } else {
      h.last = null;
    }
    h.cpu.push(cpu ?? 0);
    h.memory.push(p.memory ?? 0);
    if (h.cpu.length > HISTORY_SECONDS) h.cpu.shift();
    if (h.memory.length > HISTORY_SECONDS) h.memory.shift();
    return {
      name: p.name,
      status: formatStatus(p),
      kind: p.status,
      pid: p.status === 'running' ? p.pid : null,
      cpu: p.status === 'running' ? (cpu ?? p.cpu) : null,
      memory: p.status === 'running' ? p.memory : null,
      restarts: p.restarts,
      uptimeMs: p.uptimeMs,
      cpuHistory: h.cpu,
      memoryHistory: h.memory,
    };
  }

  private selectedIndex(): number {
    const at = this.rows.findIndex((r) => r.name === this.selectedName);
    if (at >= 0) return at;
    this.selectedName = this.rows[0]?.name ?? null;
    return 0;
  }

  private logLines(height: number): LogLine[] {
    const record = this.selectedName ? this.records.get(this.selectedName) : undefined;
    if (!record) return [];
    const count = Math.max(1, height);
    const out = tailOrWhy(record.outLog, count).map((text) => ({ text: screenSafe(text), err: false }));
    const err = tailOrWhy(record.errLog, count).map((text) => ({ text: screenSafe(text), err: true }));
    // Without times the two cannot be interleaved: stderr's last lines go below, up to half the pane.
    const errShown = err.slice(-Math.min(err.length, out.length > 0 ? Math.ceil(count / 2) : count));
    return [...out.slice(-(count - errShown.length)), ...errShown];
  }

  render(): void {
    if (this.paused || this.restored) return;
    const started = performance.now();
    const { width, height } = this.size();
    const state: MonitState = {
      rows: this.rows,
      selected: this.selectedIndex(),
      total: this.total,
      filter: this.filter,
      filtering: this.filtering,
      message: this.message,
      log: this.logLines(height),
      clock: new Date().toTimeString().slice(0, 8),
    };
    const lines = renderScreen(state, width, height, { color: this.options.color, unicode: unicodeTerminal(process.env), historySeconds: HISTORY_SECONDS });
    writeAll(1, `\x1b[H${lines.join('\x1b[K\r\n')}\x1b[K\x1b[J`);
    this.renderTimes.push(performance.now() - started);
  }

  /**
   * One refresh, then the next one scheduled while the view is shown. The loop stops while
   * the logs are followed (openLogs) and starts again on the way back; a tick still in
   * flight then does not start a second loop beside it.
   */
  private async tick(): Promise<void> {
    this.stopTicking();
    try {
      await this.refresh();
      this.render();
    } catch (error) {
      this.message = `refresh failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (!this.restored && this.timer === null) this.timer = setTimeout(() => void this.tick(), this.options.refreshMs ?? REFRESH_MS);
  }

  private stopTicking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // Keys -----------------------------------------------------------------

  /** What each key does outside the filter prompt. */
  private readonly keymap: Record<string, () => void> = {
    q: () => this.quit(0),
    '\x03': () => this.quit(0),
    '\x1b[A': () => this.move(-1),
    k: () => this.move(-1),
    '\x1b[B': () => this.move(1),
    j: () => this.move(1),
    '\x1b[5~': () => this.move(-10),
    '\x1b[6~': () => this.move(10),
    r: () => this.act('restart'),
    s: () => this.act('start'),
    x: () => this.act('stop'),
    l: () => this.openLogs(),
    '\r': () => this.openLogs(),
    '/': () => {
      this.filtering = true;
      this.render();
    },
  };

  private onKey = (data: Buffer): void => {
    // One read can hold several keys (typed fast, pasted, or over a slow ssh link): each in turn.
    for (const key of splitKeys(data.toString('utf8'))) {
      if (this.restored && !this.paused) return;
      if (this.filtering) this.onFilterKey(key);
      else this.keymap[key]?.();
      if (this.paused) return;
    }
  };

  private onFilterKey(key: string): void {
    if (key === '\r') this.filtering = false;
    else if (key === '\x1b' || key === '\x03') {
      this.filtering = false;
      this.filter = '';
    } else if (key === '\x7f' || key === '\b') this.filter = this.filter.slice(0, -1);
    else if (/^[\w.-]+$/.test(key)) this.filter += key;
    void this.refresh().then(() => this.render());
  }

  private move(by: number): void {
    if (this.rows.length === 0) return;
    const at = Math.max(0, Math.min(this.rows.length - 1, this.selectedIndex() + by));
    this.selectedName = this.rows[at]!.name;
    this.render();
  }

  private act(action: 'restart' | 'start' | 'stop'): void {
    const name = this.selectedName;
    const record = name ? this.records.get(name) : undefined;
    if (!name || !record) return;
    this.message = `${action === 'stop' ? 'stopping' : action === 'start' ? 'starting' : 'restarting'} ${name}…`;
    this.render();
    const work =
      action === 'restart'
        ? restartRecord(this.ctx, record).then((r) => `restarted ${name} (pid ${r.record.pid})`)
        : action === 'start'
          ? startExisting(this.ctx, name).then((r) => `started ${name} (pid ${r.record.pid})`)
          : stopRecord(this.ctx, record).then((r) => (r.wasRunning ? `stopped ${name}` : `${name} was not running`));
    work.then(
      (text) => {
        this.message = text;
      },
      (error: unknown) => {
        this.message = `cannot ${action} ${name}: ${error instanceof Error ? error.message : String(error)}`;
      },
    ).finally(() => void this.refresh().then(() => this.render()));
  }

  /** `bgrun logs <name> -f` on the normal screen; back to the view when it ends (Ctrl-C). */
  private openLogs(): void {
    const name = this.selectedName;
    const bin = installFile('bin/bgrun.js');
    if (!name || !bin) return;
    this.paused = true;
    this.stopTicking();
    this.restore();
    process.stdin.off('data', this.onKey);
    const ignore = () => {};
    process.on('SIGINT', ignore);
    writeAll(1, `bgrun monit: following ${name}'s logs; Ctrl-C goes back\n`);
    const child = spawn(process.execPath, [bin, 'logs', name, '-f'], { stdio: 'inherit', env: this.ctx.env });
    const back = () => {
      process.off('SIGINT', ignore);
      this.paused = false;
      this.enter();
      process.stdin.on('data', this.onKey);
      this.render();
      void this.tick();
    };
    child.once('exit', back);
    child.once('error', (error) => {
      this.message = `cannot open the logs: ${error.message}`;
    });
  }

  quit(code: number): void {
    this.stopTicking();
    process.stdin.off('data', this.onKey);
    this.restore();
    process.stdin.pause();
    this.finish(code);
  }

  async run(): Promise<number> {
    const onExit = () => this.restore();
    const onSignal = (signal: NodeJS.Signals) => this.quit(signal === 'SIGTERM' ? 143 : 129);
    const onResize = () => this.render();
    process.on('exit', onExit);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    process.stdout.on('resize', onResize);
    try {
      this.enter();
      process.stdin.on('data', this.onKey);
      process.stdin.resume();
      await this.tick();
      return await this.done;
    } finally {
      this.quit(0);
      process.off('exit', onExit);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
      process.stdout.off('resize', onResize);
    }
  }
}

/** Runs the view until q, Ctrl-C or a signal; resolves with the exit status. */
export function runMonit(ctx: Context, options: MonitOptions): Promise<number> {
  return new Monit(ctx, options).run();
}
