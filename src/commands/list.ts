import { listApps } from '../core/lifecycle/list.js';
import { type Command, JSON_OPTION } from './command.js';
import { formatBytes, formatStatus, formatUptime, paint, printable, quoteArg, statusColor, table } from './format.js';

export const list: Command = {
  name: 'list',
  usage: 'bgrun list [--json]',
  options: [JSON_OPTION],
  async run(args, ctx, io) {
    const { processes, corrupt } = await listApps(ctx);
    for (const error of corrupt) io.err(`bgrun: ${error.message}`);
    if (args.values.json) {
      io.out(JSON.stringify(processes, null, 2));
      return 0;
    }
    if (processes.length === 0) {
      io.out("no programs; start one with 'bgrun start <script>'");
      return 0;
    }
    // A namespace column only when some program has one (pm2 `namespace`).
    const spaced = processes.some((p) => p.namespace !== undefined);
    const rows = processes.map((p) => [
      p.name,
      ...(spaced ? [printable(p.namespace ?? '-')] : []),
      p.pid === null ? '-' : String(p.pid),
      paint(formatStatus(p), statusColor(p.status), io.color),
      formatUptime(p.uptimeMs),
      String(p.restarts),
      p.cpu === null ? '-' : `${p.cpu}%`,
      formatBytes(p.memory),
      p.command.map(quoteArg).join(' '),
    ]);
    for (const line of table(rows, ['NAME', ...(spaced ? ['NAMESPACE'] : []), 'PID', 'STATUS', 'UPTIME', 'RESTARTS', 'CPU', 'MEM', 'COMMAND'], io.color)) io.out(line);
    return 0;
  },
};
