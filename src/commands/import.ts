import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import { stringValue } from '../cli-args.js';
import { ConfigError, StartError, UsageError } from '../errors.js';
import { type Command, JSON_OPTION } from './command.js';
import { printOutcome } from './config-apps.js';

export const importCommand: Command = {
  name: 'import',
  usage: 'bgrun import pm2 [--dump <file>] [--print [--output <file>]]',
  options: [
    { name: 'dump', type: 'string', value: '<file>', description: "pm2's saved list (default: $PM2_HOME/dump.pm2, else ~/.pm2/dump.pm2; 'pm2 save' writes it)" },
    { name: 'print', type: 'boolean', description: 'start nothing: write the equivalent bgrun.config.json (mode 0600: it holds their env)' },
    { name: 'output', short: 'o', type: 'string', value: '<file>', description: 'with --print: the file to write (default: bgrun.config.json here; never overwritten)' },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const [format, ...extra] = args.positionals;
    if (format !== 'pm2') throw new UsageError(format === undefined ? `missing source: ${this.usage}` : `cannot import from '${format}': only pm2 for now (${this.usage})`);
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}': ${this.usage}`);
    if (args.values.output !== undefined && !args.values.print) throw new UsageError('--output goes with --print');
    const { isOnline, pm2DumpFile, readPm2Dump, stillRunByPm2 } = await import('../persist/import-pm2.js');
    const { knownAppKey, validateConfig } = await import('../config/validate-config.js');
    const file = pm2DumpFile(ctx.env, stringValue(args.values, 'dump'));
    const dump = readPm2Dump(file, ctx.env, knownAppKey);
    for (const note of dump.notes) io.err(`bgrun: note: ${note}`);
    if (dump.apps.length === 0) {
      io.out(`${file} holds no apps: nothing to import`);
      return 0;
    }
    const label = path.basename(file);

    if (args.values.print) {
      const output = path.resolve(stringValue(args.values, 'output') ?? 'bgrun.config.json');
      const config = { apps: dump.apps.map((a) => a.config) };
      validateConfig(config, label, process.cwd()); // what is written must load
      try {
        // Never over a file of the user's; 0600: the env values may be secrets.
        fs.writeFileSync(output, `${JSON.stringify(config, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new ConfigError(`${output} exists: bgrun will not overwrite it; give --output <another file>`, 'CONFIG_INVALID');
        }
        throw new ConfigError(`cannot write ${output}: ${(error as Error).message}`, 'CONFIG_INVALID', error);
      }
      if (args.values.json) {
        io.out(JSON.stringify({ file: output, apps: dump.apps.map((a) => a.config.name) }));
        return 0;
      }
      io.out(`wrote ${output}: ${dump.apps.map((a) => a.config.name).join(', ')} (from ${file})`);
      for (const a of dump.apps) if (a.pm2Name !== a.config.name) io.out(`  pm2's '${a.pm2Name}' is '${a.config.name}' there`);
      io.out(`start them with: bgrun start ${path.relative(process.cwd(), output) || output}`);
      return 0;
    }

    const online = dump.apps.filter((a) => isOnline(a.pm2Status));
    const busy = online.map((a) => ({ name: a.pm2Name, pid: stillRunByPm2(a) })).filter((a) => a.pid !== null);
    if (busy.length > 0) {
      throw new StartError(
        'SPAWN_FAILED',
        `pm2 still runs ${busy.map((b) => `'${b.name}' (pid ${b.pid})`).join(', ')}: stop them there first ('pm2 stop all', or 'pm2 kill' to end pm2), then import again; two copies would fight over ports and files`,
      );
    }
    const { startConfigApps } = await import('../config/start-config.js');
    const apps = validateConfig({ apps: online.map((a) => a.config) }, label, process.cwd()).map((app, i) => {
      const displayName = online[i]!.displayName;
      return displayName ? { ...app, displayName } : app;
    });
    const loaded: LoadedConfig = { file, label, kind: 'config', apps, warnings: [] };
    const json = args.values.json === true;
    const outcomes = apps.length > 0 ? await startConfigApps(ctx, loaded, { onApp: json ? undefined : (o) => printOutcome(o, io) }) : [];
    for (const a of dump.apps) {
      if (!online.includes(a)) io.out(`${a.pm2Name} was ${a.pm2Status} in pm2: not started ('bgrun import pm2 --print' writes it too)`);
    }
    if (json) io.out(JSON.stringify(outcomes.map((o) => ({ name: o.name, action: o.action, pid: o.record.pid }))));
    return 0;
  },
};
