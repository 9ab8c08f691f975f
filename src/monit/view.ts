/**
 * The screen of `bgrun monit`, as a pure function of what it shows: a header, one row
 * per program with small CPU and memory graphs, the selected program's last log lines,
 * and a line of keys. Every line fits the width; there are exactly `height` of them.
 */
import { formatBytes, formatUptime } from '../commands/format.js';
import type { Status } from '../core/records/record.js';

export interface MonitRow {
  name: string;
  /** As `list` prints it: "running", "errored (1)". */
  status: string;
  kind: Status;
  pid: number | null;
  /** Percent of one core over the last interval; null when not running. */
  cpu: number | null;
  memory: number | null;
  restarts: number;
  uptimeMs: number | null;
  /** Oldest first, one sample per refresh. */
  cpuHistory: number[];
  memoryHistory: number[];
}

export interface LogLine {
  text: string;
  err: boolean;
}

export interface MonitState {
  rows: MonitRow[];
  /** Index into rows. */
  selected: number;
  /** Total programs before the filter. */
  total: number;
  filter: string;
  filtering: boolean;
  /** The outcome of the last key (restarted web, …), or ''. */
  message: string;
  log: LogLine[];
  clock: string;
}

export interface ViewOptions {
  color: boolean;
  /** Block characters for the graphs; ASCII where the terminal may not show them. */
  unicode: boolean;
  /** Seconds one graph covers (each cell the highest of its samples). */
  historySeconds: number;
}

const BLOCKS = ' ▁▂▃▄▅▆▇█';
const ASCII = ' .:-=+*#%';
const STATUS_COLOR: Record<Status, number> = { running: 32, starting: 36, stopped: 33, exited: 90, errored: 31 };

function clip(text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + (width > 0 ? '…' : '') : text;
}

function cell(text: string, width: number): string {
  return clip(text, width).padEnd(width);
}

/** A graph `width` cells wide of the last `seconds` samples, each cell the highest of its share, scaled to `top`. */
export function sparkline(samples: number[], width: number, seconds: number, top: number, unicode: boolean): string {
  if (width <= 0) return '';
  const ramp = unicode ? BLOCKS : ASCII;
  const per = Math.max(1, Math.ceil(seconds / width));
  const recent = samples.slice(-per * width);
  const cells: string[] = [];
  for (let end = recent.length; end > 0 && cells.length < width; end -= per) {
    const bucket = recent.slice(Math.max(0, end - per), end);
    const value = Math.max(...bucket);
    const level = top > 0 ? Math.min(ramp.length - 1, Math.ceil((value / top) * (ramp.length - 1))) : 0;
    cells.unshift(ramp[level]!);
  }
  return cells.join('').padStart(width);
}

interface Columns {
  name: number;
  graph: number;
}

function columns(rows: MonitRow[], width: number): Columns {
  // status 12, pid 8, cpu 6, mem 8, restarts 4, uptime 7, plus spaces: 52 besides the name and graphs.
  const name = Math.max(4, Math.min(24, Math.max(0, ...rows.map((r) => r.name.length))));
  const graph = Math.max(0, Math.min(30, Math.floor((width - 2 - name - 52) / 2)));
  return { name, graph };
}

function paint(text: string, code: number, color: boolean): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function formatCpu(cpu: number | null): string {
  return cpu === null ? '-' : `${cpu < 10 ? cpu.toFixed(1) : Math.round(cpu)}%`;
}

function row(r: MonitRow, selected: boolean, cols: Columns, width: number, options: ViewOptions, memoryTop: number): string {
  const graphs =
    cols.graph > 0
      ? ` ${sparkline(r.cpuHistory, cols.graph, options.historySeconds, 100, options.unicode)} ${sparkline(r.memoryHistory, cols.graph, options.historySeconds, memoryTop, options.unicode)}`
      : '';
  const cells = [
    `${selected ? '>' : ' '}${cell(r.name, cols.name)}`,
    cell(r.status, 12),
    cell(r.pid === null ? '-' : String(r.pid), 8),
    formatCpu(r.cpu).padStart(6),
    (r.memory === null ? '-' : formatBytes(r.memory)).padStart(8),
    String(r.restarts).padStart(4),
    (r.uptimeMs === null ? '-' : formatUptime(r.uptimeMs)).padStart(7),
  ];
  const plain = clip(cells.join(' ') + graphs, width).padEnd(width);
  if (!options.color) return plain;
  if (selected) return `\x1b[7m${plain}\x1b[0m`;
  // Colour the status cell only: its place is fixed.
  const at = 1 + cols.name + 1;
  return plain.slice(0, at) + paint(plain.slice(at, at + 12), STATUS_COLOR[r.kind], true) + plain.slice(at + 12);
}

/** The screen: `height` lines, none wider than `width` columns. */
export function renderScreen(state: MonitState, width: number, height: number, options: ViewOptions): string[] {
  const lines: string[] = [];
  const running = state.rows.filter((r) => r.kind === 'running').length;
  const filtered = state.filter ? `, filter '${state.filter}': ${state.rows.length}` : '';
  const title = `bgrun monit  ${state.total} program${state.total === 1 ? '' : 's'}, ${running} running${filtered}`;
  lines.push(paint(cell(`${clip(title, width - state.clock.length - 1).padEnd(width - state.clock.length)}${state.clock}`, width), 1, options.color));
  const cols = columns(state.rows, width);
  const minutes = options.historySeconds >= 120 ? `${Math.round(options.historySeconds / 60)}m` : `${options.historySeconds}s`;
  const graphHead = cols.graph > 0 ? ` ${cell(`CPU ${minutes}`, cols.graph)} ${cell(`MEM ${minutes}`, cols.graph)}` : '';
  const head = [` ${cell('NAME', cols.name)}`, cell('STATUS', 12), cell('PID', 8), 'CPU'.padStart(6), 'MEM'.padStart(8), '↺'.padStart(4), 'UPTIME'.padStart(7)].join(' ');
  lines.push(paint(cell(head + graphHead, width), 90, options.color));

  // Footer 1 line, log pane at least 3 (title + 2), the table the rest but no more than it needs.
  const bodyHeight = Math.max(0, height - 3);
  const tableHeight = Math.max(1, Math.min(state.rows.length || 1, bodyHeight - Math.min(bodyHeight - 1, Math.max(3, Math.floor(bodyHeight * 0.4)))));
  const first = Math.max(0, Math.min(state.selected - Math.floor(tableHeight / 2), state.rows.length - tableHeight));
  let memoryTop = 1;
  for (const r of state.rows) for (const m of r.memoryHistory) if (m > memoryTop) memoryTop = m;
  for (let i = 0; i < tableHeight; i++) {
    const r = state.rows[first + i];
    if (r) lines.push(row(r, first + i === state.selected, cols, width, options, memoryTop));
    else lines.push(cell(i === 0 ? (state.filter ? '  no program matches the filter' : "  no programs yet: start one with 'bgrun start'") : '', width));
  }

  const logHeight = Math.max(0, height - lines.length - 1);
  if (logHeight > 0) {
    const selected = state.rows[state.selected];
    const label = selected ? ` ${selected.name}: last lines ` : ' logs ';
    lines.push(paint(`──${label}${'─'.repeat(Math.max(0, width - label.length - 2))}`.slice(0, width), 90, options.color));
    const shown = state.log.slice(-(logHeight - 1));
    for (let i = 0; i < logHeight - 1; i++) {
      const line = shown[i];
      if (!line) lines.push(' '.repeat(width));
      else if (line.err) lines.push(`${paint('!', 31, options.color)} ${cell(line.text, width - 2)}`);
      else lines.push(`  ${cell(line.text, width - 2)}`);
    }
  }

  const keys = state.filtering ? `filter: ${state.filter}_  (Enter keep, Esc clear)` : '↑↓ select  r restart  s start  x stop  l logs  / filter  q quit';
  const footer = state.message ? `${state.message}  |  ${keys}` : keys;
  lines.push(paint(cell(footer, width), 7, options.color));
  return lines.slice(0, height);
}
