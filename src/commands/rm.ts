import { removeRecord } from '../core/lifecycle/remove.js';
import { resolveTargets } from '../core/records/targets.js';
import type { Command } from './command.js';
import { STOP_OPTIONS, requireTargets, stopOptions } from './stop.js';

export const rm: Command = {
  name: 'rm',
  aliases: ['delete'],
  summary: 'stop programs if they run and forget them (their logs are kept)',
  usage: 'bgrun rm <pid|name|all>...',
  options: STOP_OPTIONS,
  async run(args, ctx, io) {
    const options = stopOptions(args);
    const records = resolveTargets(ctx, requireTargets(args, this.usage));
    await Promise.all(
      records.map(async (record) => {
        const result = await removeRecord(ctx, record, options);
        io.out(`removed ${record.name}${result.wasRunning ? ` (stopped pid ${result.pid})` : ''}; logs kept in ${record.outLog} and ${record.errLog}`);
      }),
    );
    return 0;
  },
};
