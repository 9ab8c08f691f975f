import { removeRecord } from '../core/lifecycle/remove.js';
import { resolveTargets } from '../core/records/targets.js';
import type { Command } from './command.js';
import { ONLY_OPTION, configFileArgument, targetsOrConfigApps } from './config-apps.js';
import { STOP_OPTIONS, requireTargets, stopOptions } from './stop.js';

export const rm: Command = {
  name: 'rm',
  usage: 'bgrun rm <pid|name|all>...   bgrun rm <config file> [--only <app>]',
  options: [...STOP_OPTIONS, ONLY_OPTION],
  async run(args, ctx, io) {
    const options = stopOptions(args);
    // pm2's `pm2 delete ecosystem.config.js`: the apps of that file that bgrun knows.
    const records =
      configFileArgument(args) !== null
        ? (await targetsOrConfigApps(ctx, args, this.usage, 'stop')).records
        : resolveTargets(ctx, requireTargets(args, this.usage));
    await Promise.all(
      records.map(async (record) => {
        const result = await removeRecord(ctx, record, options);
        io.out(`removed ${record.name}${result.wasRunning ? ` (stopped pid ${result.pid})` : ''}; logs kept in ${record.outLog} and ${record.errLog}`);
      }),
    );
    return 0;
  },
};
