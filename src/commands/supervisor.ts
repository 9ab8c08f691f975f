import { formatDuration } from '../core/duration.js';
import { readUsage } from '../core/processes/process-info.js';
import { listApps } from '../core/lifecycle/list.js';
import { isSupervised } from '../core/records/supervised.js';
import { liveSupervisor } from '../supervisor/supervisor-file.js';
import { bgrunVersion } from '../version.js';
import { type Command, JSON_OPTION } from './command.js';
import { formatBytes, formatStatus, table } from './format.js';

export const supervisor: Command = {
  name: 'supervisor',
  usage: 'bgrun supervisor [--json]',
  options: [JSON_OPTION],
  async run(args, ctx, io) {
    const info = liveSupervisor(ctx.paths);
    const supervised = (await listApps(ctx)).processes.filter((r) => isSupervised(r));
    const memory = info ? (readUsage([info.pid]).get(info.pid)?.memory ?? null) : null;
    const uptimeMs = info ? Date.now() - Date.parse(info.startedAt) : null;
    const programs = supervised.map((r) => ({ name: r.name, pid: r.pid, status: r.status, restart: r.restart, restarts: r.restarts }));
    if (args.values.json) {
      io.out(
        JSON.stringify(
          { running: info !== null, pid: info?.pid ?? null, version: info?.version ?? null, cliVersion: bgrunVersion(), uptimeMs, memory, log: ctx.paths.supervisorLog, programs },
          null,
          2,
        ),
      );
      return 0;
    }
    if (info) {
      const stale = info.version === bgrunVersion() ? '' : ` (older than this bgrun ${bgrunVersion()}; the next start replaces it)`;
      io.out(`supervisor running: pid ${info.pid}, version ${info.version}${stale}, up ${formatDuration(uptimeMs ?? 0)}, memory ${formatBytes(memory)}`);
    } else {
      io.out('supervisor not running (it starts with the first --restart program and exits when none is left)');
    }
    io.out(`log: ${ctx.paths.supervisorLog}`);
    if (supervised.length === 0) io.out('supervises nothing');
    else {
      const rows = supervised.map((r) => [r.name, formatStatus(r), r.pid === null ? '-' : String(r.pid), r.restart, String(r.restarts)]);
      for (const line of table(rows, ['NAME', 'STATUS', 'PID', 'RESTART', 'RESTARTS'], io.color)) io.out(`  ${line}`);
    }
    return 0;
  },
};
