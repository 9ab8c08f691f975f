import { type OptionSpec, type Parsed, stringValue } from '../cli-args.js';
import { parseDuration } from '../core/duration.js';
import type { StopOptions } from '../core/lifecycle/stop.js';
import { isValidSignal } from '../core/processes/terminate.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../output/progress.js';
import type { Command } from './command.js';
import { formatStatus } from './format.js';
import { ONLY_OPTION, TARGETS_CONFIG_OPTION, stopTargets } from './config-apps.js';

export const STOP_OPTIONS: OptionSpec[] = [
  { name: 'signal', short: 's', type: 'string', value: '<SIG>', description: "signal to send first (default: the program's --stop-signal, else TERM)" },
  { name: 'timeout', short: 't', type: 'string', value: '<duration>', description: "then SIGKILL after this long (default: the program's --kill-timeout, else 10s)" },
];

export function stopOptions(args: Parsed): StopOptions {
  const options: StopOptions = {};
  const signal = stringValue(args.values, 'signal');
  if (signal !== undefined) {
    const name = (/^SIG/i.test(signal) ? signal : `SIG${signal}`).toUpperCase();
    if (!isValidSignal(name)) throw new UsageError(`unknown signal '${signal}'; use a name such as TERM, INT or HUP`);
    options.signal = name;
  }
  const timeout = stringValue(args.values, 'timeout');
  if (timeout !== undefined) options.timeoutMs = parseDuration(timeout, '--timeout');
  return options;
}

export function requireTargets(args: Parsed, usage: string): string[] {
  if (args.positionals.length === 0) throw new UsageError(`missing target: ${usage}`);
  return args.positionals;
}

export const stop: Command = {
  name: 'stop',
  usage: 'bgrun stop <pid|name|all>... [--signal SIG] [--timeout <duration>]',
  options: [...STOP_OPTIONS, TARGETS_CONFIG_OPTION, ONLY_OPTION],
  async run(args, ctx, io) {
    const progress = createProgress(io, 'stopping', 0);
    const options = { ...stopOptions(args), progress };
    let results: Awaited<ReturnType<typeof stopTargets>>;
    try {
      results = await stopTargets(ctx, args, this.usage, options);
    } finally {
      progress.finish();
    }
    for (const r of results) {
      if (r.unrecorded) {
        io.err(`bgrun: warning: ${r.name}: the stop was done but not recorded (${r.unrecorded}); free some space and run 'bgrun stop ${r.name}' again, or a supervisor may start it again`);
      }
      if (r.leftovers) io.out(`stopped what was left of ${r.name} (pid ${r.leftovers.join(', ')}): its main process had exited`);
      else if (!r.wasRunning) io.out(`${r.name} was not running${r.previous && r.previous.status !== 'stopped' ? ` (${formatStatus(r.previous)})` : ''}`);
      else io.out(`stopped ${r.name} (pid ${r.pid})${r.escalated ? ' with SIGKILL after the timeout' : ''}`);
    }
    if (results.length === 0) io.out('nothing to stop');
    return 0;
  },
};
