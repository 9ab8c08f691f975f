import { stringValue } from '../cli-args.js';
import { optionalDuration } from '../core/duration.js';
import { restartRecord } from '../core/lifecycle/restart.js';
import { type Command, JSON_OPTION } from './command.js';
import { ONLY_OPTION, TARGETS_CONFIG_OPTION, targetsOrConfigApps } from './config-apps.js';
import { printStarted } from './started.js';
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
    // One after the other, so a crash report names the program it belongs to.
    for (const record of records) {
      const result = await restartRecord(ctx, record, { ...options, waitMs, updateEnv });
      printStarted(result, io, args.values.json === true, 'restarted');
    }
    return 0;
  },
};
