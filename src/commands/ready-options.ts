import type { Parsed } from '../cli-args.js';
import { parseDuration } from '../core/duration.js';
import { parseProbe } from '../core/ready/parse.js';
import { UsageError } from '../errors.js';

/** `--ready <probe>` and `--ready-timeout <duration>` of start, checked before anything runs. */
export function readyOptions(values: Parsed['values']): { ready?: string; readyTimeoutMs?: number } {
  const ready = values.ready as string | undefined;
  const timeout = values['ready-timeout'] as string | undefined;
  if (ready === undefined) {
    if (timeout !== undefined) throw new UsageError('--ready-timeout needs --ready: the probe to wait for');
    return {};
  }
  parseProbe(ready);
  return { ready: ready.trim(), ...(timeout === undefined ? {} : { readyTimeoutMs: parseDuration(timeout, '--ready-timeout') }) };
}
