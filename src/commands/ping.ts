import { liveSupervisor } from '../supervisor/supervisor-file.js';
import { type Command, JSON_OPTION } from './command.js';

export const ping: Command = {
  name: 'ping',
  usage: 'bgrun ping [--json]',
  options: [JSON_OPTION],
  async run(args, ctx, io) {
    // Every command first brings back a supervisor that supervised programs lack (cli.ts): this one reports it.
    const info = liveSupervisor(ctx.paths);
    if (args.values.json) {
      io.out(JSON.stringify({ msg: 'pong', supervisor: info ? { pid: info.pid, version: info.version } : null }));
      return 0;
    }
    io.out(
      info
        ? `pong: the supervisor is up (pid ${info.pid}, version ${info.version})`
        : 'pong: no supervisor runs, and none is needed: no program asks for one (plain programs need no resident process)',
    );
    return 0;
  },
};
