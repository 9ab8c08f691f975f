import { stringValue } from '../cli-args.js';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { type Command, JSON_OPTION } from './command.js';
import { quoteArg } from './format.js';

const FORMATS = ['systemd'];

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a native systemd unit per program, equivalent to what bgrun runs',
  usage: 'bgrun export systemd <pid|name|all>... [--user] [--output <dir>]',
  options: [
    { name: 'user', type: 'boolean', description: 'user units (systemctl --user, WantedBy=default.target) instead of system units' },
    { name: 'output', short: 'o', type: 'string', value: '<dir>', description: 'write bgrun-<name>.service files there (default: print them)' },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const [format, ...targets] = args.positionals;
    if (format === undefined) throw new UsageError(`missing format: ${this.usage}`);
    if (!FORMATS.includes(format)) throw new UsageError(`unknown export format '${format}': use ${FORMATS.join(', ')}`);
    if (targets.length === 0) throw new UsageError(`missing target: ${this.usage}`);
    const { exportSystemd } = await import('../export/systemd.js');
    const user = args.values.user === true;
    const output = stringValue(args.values, 'output') ?? null;
    const units = exportSystemd(ctx, targets, { user, outputDir: output });
    for (const unit of units) for (const warning of unit.warnings) io.err(`bgrun: warning: ${warning}`);
    if (args.values.json) {
      io.out(JSON.stringify(units.map((u) => ({ name: u.name, unit: u.unitName, file: u.file, text: u.text, warnings: u.warnings })), null, 2));
      return 0;
    }
    if (units.length === 0) {
      io.err('bgrun: no programs to export');
      return 0;
    }
    if (!args.values.output) {
      io.out(units.map((u) => u.text).join('\n'));
      return 0;
    }
    const { SYSTEM_UNIT_DIR, userUnitDir } = await import('../persist/startup.js');
    const installDir = user ? userUnitDir(ctx.env) : SYSTEM_UNIT_DIR;
    const systemctl = user ? 'systemctl --user' : 'systemctl';
    for (const unit of units) io.out(`wrote ${unit.file}`);
    io.out('');
    io.out('To hand them over to systemd (stop them in bgrun first, or they run twice):');
    io.out(`  bgrun stop ${units.map((u) => u.name).join(' ')}`);
    if (output !== null && path.resolve(output) !== installDir) {
      io.out(`  cp ${units.map((u) => quoteArg(u.file!)).join(' ')} ${quoteArg(installDir)}/`);
    }
    io.out(`  ${systemctl} daemon-reload && ${systemctl} enable --now ${units.map((u) => u.unitName).join(' ')}`);
    return 0;
  },
};
