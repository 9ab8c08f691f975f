import { resetCounters } from '../core/lifecycle/reset.js';
import { resolveTargets } from '../core/records/targets.js';
import type { Command } from './command.js';
import { requireTargets } from './stop.js';

export const reset: Command = {
  name: 'reset',
  usage: 'bgrun reset <pid|name|all>...',
  options: [],
  async run(args, ctx, io) {
    const names = await resetCounters(ctx, resolveTargets(ctx, requireTargets(args, this.usage)));
    for (const name of names) io.out(`reset ${name}: restarts 0`);
    return 0;
  },
};
