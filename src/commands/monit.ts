import { UsageError } from '../errors.js';
import { isTerminal } from '../stdio.js';
import type { Command } from './command.js';

export const monit: Command = {
  name: 'monit',
  usage: [
    'bgrun monit',
    '',
    'Refreshes every second: one row per program (status, pid, CPU, memory, restarts, uptime, and graphs of CPU',
    "and memory over the last 2 minutes), the selected program's last log lines below. Keys: up/down or j/k select,",
    "r restart, s start, x stop, l or Enter follow its log ('bgrun logs <name> -f'; Ctrl-C comes back), / filter",
    'by name, q or Ctrl-C quit. Needs a terminal (exit 2 otherwise: use bgrun list); no colour with NO_COLOR.',
  ].join('\n'),
  options: [],
  async run(_args, ctx, io) {
    if (!isTerminal(1)) throw new UsageError("monit needs a terminal and stdout is not one; use 'bgrun list' (or list --json)");
    const { runMonit } = await import('../monit/monit.js');
    return runMonit(ctx, { color: io.color });
  },
};
