import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "500", "500ms", "2s", "1.5m", "1h" into milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `invalid ${what} '${text}': use milliseconds or a number with ms, s, m or h (for example 500ms, 10s, 2m)`,
      'INVALID_DURATION',
    );
  }
  const ms = Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
  if (ms > MAX_DURATION_MS) {
    throw new UsageError(`invalid ${what} '${text}': at most ${MAX_DURATION_MS} ms (24 days), the longest a timer can wait`, 'INVALID_DURATION');
  }
  return ms;
}

/** Node's timers wait at most 2^31 - 1 ms; a longer one fires after 1 ms (with only a warning). */
export const MAX_DURATION_MS = 2 ** 31 - 1;

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d${h % 24 ? `${h % 24}h` : ''}`;
}

/** parseDuration for an option that may be absent. */
export function optionalDuration(text: string | undefined, what: string): number | undefined {
  return text === undefined ? undefined : parseDuration(text, what);
}
