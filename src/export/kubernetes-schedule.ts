import { UsageError } from '../errors.js';

/**
 * `--cron-restart` as a CronJob's schedule. bgrun takes croner's syntax (5 fields, or
 * 6 with seconds first, and @daily and the like); a CronJob takes 5 fields and the
 * same @ names (the API server parses them with robfig/cron), by the minute.
 */

/** The nicknames both accept. */
const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Month and weekday names, as croner and robfig/cron both read them (any case). */
const NAMES = /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat)\b/gi;

export interface Schedule {
  schedule: string;
  /** What the schedule lost on the way (a seconds field other than 0). */
  lost: string | null;
}

/** The CronJob schedule of `expr`; croner extensions a CronJob refuses are a usage error (exit 2), like a name it refuses. */
export function cronJobSchedule(name: string, expr: string): Schedule {
  const trimmed = expr.trim();
  if (NICKNAMES.has(trimmed.toLowerCase())) return { schedule: trimmed.toLowerCase(), lost: null };
  const fields = trimmed.split(/\s+/);
  // Day and month names (WED, JUL) are cron for both and hold the letters; only what is left can be an extension.
  if (fields.some((f) => /[LW#]/i.test(f.replace(NAMES, '')))) {
    throw new UsageError(
      `'${name}': --cron-restart "${trimmed}" uses L, W or #, which a Kubernetes CronJob does not accept: write the schedule with 5 plain fields`,
      'EXPORT_FAILED',
    );
  }
  if (fields.length !== 6) return { schedule: fields.join(' '), lost: null };
  const [secondsField, ...rest] = fields;
  return {
    schedule: rest.join(' '),
    lost: secondsField === '0' ? null : `the seconds field '${secondsField}' of --cron-restart: a CronJob runs by the minute, at the start of each matching minute`,
  };
}

/** The IANA time zone croner (and so bgrun's schedule) runs in here, or null when unknown. */
export function localTimeZone(): string | null {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && zone !== 'Etc/Unknown' ? zone : null;
}
