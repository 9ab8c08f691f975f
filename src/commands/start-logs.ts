import type { Parsed } from '../cli-args.js';
import { parseMaxLogFiles, parseMaxLogSize } from '../core/logs/limits.js';
import type { RestartPolicy } from '../core/records/record.js';
import type { StartOptions } from '../core/lifecycle/start.js';
import { UsageError } from '../errors.js';

/** `start --max-log-size/--max-log-files` as StartOptions; only the ones given. */
export function logOptions(v: Parsed['values'], restart: RestartPolicy | undefined): Pick<StartOptions, 'maxLogBytes' | 'maxLogFiles'> {
  const out: Pick<StartOptions, 'maxLogBytes' | 'maxLogFiles'> = {};
  if (v['max-log-size'] !== undefined) out.maxLogBytes = parseMaxLogSize(v['max-log-size'] as string);
  if (v['max-log-files'] !== undefined) {
    out.maxLogFiles = parseMaxLogFiles(v['max-log-files'] as string);
    if ((restart ?? 'no') === 'no' && !out.maxLogBytes) {
      throw new UsageError('--max-log-files needs --max-log-size for a plain program (supervised programs rotate at 10M by default)');
    }
  }
  return out;
}
