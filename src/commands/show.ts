import { describePython } from '../core/processes/python.js';
import { listApps } from '../core/lifecycle/list.js';
import { logLimits } from '../core/logs/limits.js';
import { UsageError } from '../errors.js';
import { optionRows, supervisionFields } from '../options/show-rows.js';
import { type Command, JSON_OPTION } from './command.js';
import { resolveConfigTargets } from './config-apps.js';
import { fleetDetails, fleetRows } from './fleet-show.js';
import { supervisionDetails } from './show-supervision.js';
import { formatBytes, formatStatus, formatUptime, paint, printable, quoteArg, statusColor } from './format.js';

export const show: Command = {
  name: 'show',
  usage: 'bgrun show <pid|name> [--json]',
  options: [JSON_OPTION],
  async run(args, ctx, io) {
    if (args.positionals.length !== 1 || args.positionals[0] === 'all') {
      throw new UsageError(`show takes exactly one program: ${this.usage}`);
    }
    // An ended run's pid names its program here (show only reads); see core/records/targets.ts.
    const [target] = await resolveConfigTargets(ctx, args.positionals, undefined, { pastPids: true });
    const { processes, records } = await listApps(ctx);
    const info = processes.find((p) => p.name === target!.name)!;
    const record = records.find((r) => r.name === target!.name)!;
    const supervision = await supervisionDetails(record);
    const details = {
      ...info,
      // Not running: the pid its last run had (kept by a stop or the supervisor); null while it runs.
      lastPid: info.lastPid ?? null,
      desired: record.desired,
      interpreter: record.interpreter,
      python: record.python ?? null,
      module: record.module ?? null,
      displayName: record.displayName ?? null,
      pm2Defaults: record.pm2Defaults ?? [],
      envVars: Object.keys(record.envVars),
      envFiles: record.envFiles,
      ready: record.ready ?? null,
      readyAt: record.readyAt ?? null,
      startError: record.startError ?? null,
      dependsOn: record.dependsOn ?? [],
      /** The limits in force (a record older than rotation gets its mode's defaults); null: never rotated. */
      logRotation: logLimits(record),
      ...fleetDetails(record, ctx.paths),
      ...supervisionFields(record),
      ...supervision.json,
    };
    if (args.values.json) {
      io.out(JSON.stringify(details, null, 2));
      return 0;
    }
    const rows: [string, string][] = [
      ['name', info.name],
      ...(record.displayName ? [['display name', record.displayName] as [string, string]] : []),
      ['status', paint(formatStatus(info), statusColor(info.status), io.color)],
      ['pid', info.pid === null ? '-' : String(info.pid)],
      ...(details.lastPid !== null ? [['last pid', String(details.lastPid)] as [string, string]] : []),
      ['uptime', formatUptime(info.uptimeMs)],
      ['restarts', String(info.restarts)],
      ['exit code', info.exitCode === null ? '-' : String(info.exitCode)],
      ['signal', info.signal ?? '-'],
      ...(details.startError ? [['start error', details.startError] as [string, string]] : []),
      ['cpu', info.cpu === null ? '-' : `${info.cpu}%`],
      ['memory', formatBytes(info.memory)],
      ['command', info.command.map(quoteArg).join(' ')],
      ...(record.python ? [['python', describePython(record.python)] as [string, string]] : []),
      // The start options, each as its entry of the option table shows it.
      ...optionRows(record),
      ...(record.pm2Defaults?.length ? [['defaults', describePm2Defaults(record.pm2Defaults)] as [string, string]] : []),
      ...fleetRows(record, ctx.paths),
      ['created', info.createdAt],
      ['started', info.startedAt ?? '-'],
      ['ended', info.endedAt ?? '-'],
      ['out log', info.outLog],
      ['err log', info.errLog],
      ['pidfile', info.pidFile],
      ...supervision.rows,
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    // Every value but the painted status may come from a config: its control characters are shown, never sent.
    for (const [k, value] of rows) io.out(`${k.padEnd(width)}  ${k === 'status' ? value : printable(value)}`);
    return 0;
  },
};

/** The pm2 defaults an app got, and what bgrun's own files would have given instead. */
function describePm2Defaults(defaults: string[]): string {
  const interpreter = defaults.find((d) => d.startsWith('interpreter: '));
  const instead = [
    defaults.some((d) => d !== interpreter) ? 'no restart' : null,
    interpreter === undefined ? null : interpreter === 'interpreter: bash' ? '.sh with sh' : 'the script run itself',
  ].filter(Boolean);
  return `pm2's, as its file is a pm2 file: ${defaults.join(', ')} (bgrun's own files: ${instead.join(', ')})`;
}
