import { formatDuration } from '../core/duration.js';
import { formatBytes } from '../core/size.js';
import type { ProcessInfo, Status } from '../core/records/record.js';

export { formatBytes };

const CODES = { green: 32, red: 31, yellow: 33, gray: 90, bold: 1, cyan: 36 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\x1b[${CODES[color]}m${text}\x1b[0m` : text;
}

const STATUS_COLOR: Record<Status, Color> = {
  running: 'green',
  starting: 'cyan',
  stopped: 'yellow',
  exited: 'gray',
  errored: 'red',
};

export function formatStatus(info: Pick<ProcessInfo, 'status' | 'exitCode' | 'signal'> & { leftovers?: number[]; unhealthy?: boolean; stoppedAfter?: string | null }): string {
  if (info.status === 'running' && info.unhealthy) return 'unhealthy';
  const left = info.leftovers?.length ? `, ${info.leftovers.length} left` : '';
  if (info.status === 'stopped' && info.stoppedAfter) {
    if (info.signal) return `stopped (after ${info.signal})${left}`;
    return info.exitCode === null ? `stopped (after it ${info.stoppedAfter})${left}` : `stopped (after exit ${info.exitCode})${left}`;
  }
  if (info.status === 'exited' || info.status === 'errored') {
    if (info.signal) return `${info.status} (${info.signal})${left}`;
    if (info.exitCode !== null) return `${info.status} (${info.exitCode})${left}`;
  }
  return `${info.status}${left}`;
}

export function statusColor(status: Status): Color {
  return STATUS_COLOR[status];
}

export function formatUptime(ms: number | null): string {
  return ms === null ? '-' : formatDuration(ms);
}

/** C0 and C1 control characters: a terminal's escape sequences start with them. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** `\x1b` for ESC: escapes a shell's $'…' reads back (bash, zsh). */
function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text from a record or a config, shown with its control characters escaped: a value
 * (an argument, a folder, a name from a pm2 file) must never drive the terminal that
 * shows it (set its title, hide lines, write its clipboard).
 */
export function printable(text: string): string {
  return text.replace(CONTROL, escapeControl);
}

/** Quotes an argument only where a shell would need it, for display; one with control characters as $'…'. */
export function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg)) return arg;
  if (HAS_CONTROL.test(arg)) return `$'${arg.replace(/[\\']/g, '\\$&').replace(CONTROL, escapeControl)}'`;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** Left-aligned columns; `widthOf` ignores colour codes. */
export function table(rows: string[][], header: string[], color: boolean): string[] {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c))))
      .join('  ')
      .trimEnd();
  return [paint(line(header), 'bold', color), ...rows.map(line)];
}
