import { stringValue } from '../cli-args.js';
import { optionalDuration } from '../core/duration.js';
import { intentOf } from '../core/lifecycle/intent.js';
import { restartRecord } from '../core/lifecycle/restart.js';
import { observe } from '../core/lifecycle/status.js';
import { BgrunError, EXIT_FAILURE } from '../errors.js';
import { type Command, JSON_OPTION } from './command.js';
import { ONLY_OPTION, TARGETS_CONFIG_OPTION, targetsOrConfigApps } from './config-apps.js';
import { printStarted, reportFailure } from './started.js';
import { STOP_OPTIONS, stopOptions } from './stop.js';

export const restart: Command = {
  name: 'restart',
  usage: 'bgrun restart <pid|name|all>... [--update-env] [--wait <duration>]',
  options: [
    ...STOP_OPTIONS,
    { name: 'wait', type: 'string', value: '<duration>', description: 'watch for a crash this long (default 500ms)' },
    { name: 'update-env', type: 'boolean', description: 'take the current environment instead of the recorded one' },
    TARGETS_CONFIG_OPTION,
    ONLY_OPTION,
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const options = stopOptions(args);
    const waitMs = optionalDuration(stringValue(args.values, 'wait'), '--wait');
    const { records } = await targetsOrConfigApps(ctx, args, this.usage, 'start');
    const updateEnv = args.values['update-env'] ? (Object.fromEntries(Object.entries(ctx.env).filter(([, v]) => v !== undefined)) as Record<string, string>) : null;
    const json = args.values.json === true;
    // `all` is what is meant to be running: not what was stopped on purpose, nor a one-shot that finished.
    const onlyMeantToRun = args.positionals.length === 1 && args.positionals[0] === 'all';
    let failed = 0;
    // One after the other, so a crash report names the program it belongs to; a failure does not stop the others.
    for (const record of records) {
      const seen = observe(record).record;
      const intent = intentOf(seen);
      if (onlyMeantToRun && intent === 'stopped') {
        io.out(`${record.name} is stopped: not restarted ('bgrun restart ${record.name}' starts it)`);
        continue;
      }
      if (onlyMeantToRun && intent === 'finished') {
        io.out(`${record.name} finished (exit code 0): not restarted ('bgrun restart ${record.name}' runs it again)`);
        continue;
      }
      try {
        printStarted(await restartRecord(ctx, record, { ...options, waitMs, updateEnv }), io, json, 'restarted');
      } catch (error) {
        if (!(error instanceof BgrunError)) throw error;
        failed++;
        reportFailure(io, record.name, 'restart', error, json);
      }
    }
    return failed > 0 ? EXIT_FAILURE : 0;
  },
};
