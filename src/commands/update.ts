import { type Command, JSON_OPTION } from './command.js';

export const update: Command = {
  name: 'update',
  usage: 'bgrun update [--json]',
  options: [JSON_OPTION],
  // It replaces the supervisor itself: no revival first.
  noSupervisor: true,
  async run(args, ctx, io) {
    const { replaceSupervisor } = await import('../supervisor/ensure.js');
    const result = await replaceSupervisor(ctx);
    if (args.values.json) {
      io.out(JSON.stringify(result));
      return 0;
    }
    if (result.pid === null) {
      io.out('no supervisor needed: no program asks for one (plain programs keep running without it)');
    } else {
      const old = result.replaced === null ? 'none was running' : `replaced pid ${result.replaced}`;
      io.out(`supervisor ${result.version} started (pid ${result.pid}; ${old}); it adopts the running programs without restarting them`);
    }
    return 0;
  },
};
