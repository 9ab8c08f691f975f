/**
 * The start options as `bgrun show` prints them, from the option table alone: a new
 * option shows up with the row its entry gives, and a supervision option that has none
 * still shows its raw value, so what shapes supervision is never hidden.
 */
import type { ProcessRecord } from '../core/records/record.js';
import { START_OPTIONS, type StartOption } from './start-options.js';

function raw(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function fieldOf(record: ProcessRecord, option: StartOption): unknown {
  return option.field === undefined ? undefined : (record as unknown as Record<string, unknown>)[option.field];
}

/** One [label, value] per option that has a row and a value for this program, in the table's order. */
export function optionRows(record: ProcessRecord): [string, string][] {
  const rows: [string, string][] = [];
  for (const option of START_OPTIONS) {
    const show = option.show;
    if (show && 'partOf' in show) continue;
    if (show) {
      const value = show.value(record);
      if (value !== null) rows.push([show.label, value]);
      continue;
    }
    const value = fieldOf(record, option);
    if (option.supervision && value !== undefined && value !== null) rows.push([option.flag ?? option.key, raw(value)]);
  }
  return rows;
}

/**
 * The record's field of every supervision option (null when unset), for `show --json`.
 * Only those: an old record's `env` field holds a whole environment, never shown.
 */
export function supervisionFields(record: ProcessRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const option of START_OPTIONS) if (option.supervision && option.field !== undefined) out[option.field] = fieldOf(record, option) ?? null;
  return out;
}
