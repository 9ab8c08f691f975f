import { type Parsed, stringValue } from '../cli-args.js';
import type { InitSystem } from '../persist/startup.js';
import { UsageError } from '../errors.js';
import type { Command } from './command.js';

const INITS: InitSystem[] = ['systemd', 'cron'];

/** A user unit unless root asks for a system one: only root can install those. */
function wantsUserUnit(args: Parsed): boolean {
  return args.values.user === true || process.getuid?.() !== 0;
}

const formatCommand = (args: string[]) => ['systemctl', ...args].join(' ');

export const startup: Command = {
  name: 'startup',
  usage: 'bgrun startup [--user] [--print] [--init systemd|cron]',
  options: [
    { name: 'user', type: 'boolean', description: 'a systemd user unit (the default unless root; root gets a system unit)' },
    { name: 'print', type: 'boolean', description: 'print the unit or crontab line; change nothing' },
    { name: 'init', type: 'string', value: '<systemd|cron>', description: 'how to run it at boot (default: systemd when it runs here, else cron)' },
  ],
  async run(args, ctx, io) {
    const init = stringValue(args.values, 'init');
    if (init !== undefined && !INITS.includes(init as InitSystem)) throw new UsageError(`invalid --init '${init}': use systemd or cron`);
    const { installStartup, resurrectCommand, systemdRunning } = await import('../persist/startup.js');
    const print = args.values.print === true;
    const result = installStartup(ctx, { user: wantsUserUnit(args), init: init as InitSystem | undefined, print });
    if (result.kind === 'cron') {
      if (print) {
        io.out(result.line);
        return 0;
      }
      io.out("systemd is not running here, so there is no unit to install. To run 'bgrun resurrect' at boot,");
      io.out("add this line to your crontab ('crontab -e'):");
      io.out('');
      io.out(result.line);
      io.out('');
      io.out("It brings back what 'bgrun save' recorded; run 'bgrun save' again after changes.");
      return 0;
    }
    if (print) {
      io.out(`# ${result.unitFile}`);
      io.out(result.text.trimEnd());
      return 0;
    }
    const cmd = resurrectCommand(ctx);
    io.out(`wrote ${result.unitFile} and enabled it (${result.wantsLink})`);
    io.out(`at boot it runs 'bgrun resurrect' for ${cmd.home}, which brings back what 'bgrun save' recorded; run 'bgrun save' again after changes`);
    for (const ran of result.ran) io.out(`ran ${formatCommand(ran)}`);
    if (result.systemctlError) io.err(`bgrun: warning: ${result.systemctlError}`);
    if (result.toRun.length > 0) {
      const why = systemdRunning() ? 'run' : 'systemd is not running here; once it is, run';
      io.out(`${why}: ${result.toRun.map(formatCommand).join(' && ')}`);
    }
    if (result.lingerHint) io.out(`note: ${result.lingerHint}`);
    return 0;
  },
};

export const unstartup: Command = {
  name: 'unstartup',
  usage: 'bgrun unstartup [--user]',
  options: [{ name: 'user', type: 'boolean', description: 'the user unit (the default unless root)' }],
  async run(args, ctx, io) {
    const { removeStartup } = await import('../persist/startup.js');
    const result = removeStartup(ctx, { user: wantsUserUnit(args) });
    if (result.removed) io.out(`removed ${result.unitFile}`);
    else io.out(`no startup unit at ${result.unitFile}`);
    for (const ran of result.ran) io.out(`ran ${formatCommand(ran)}`);
    if (result.systemctlError) io.err(`bgrun: warning: ${result.systemctlError}`);
    if (!result.removed) io.out("if you added the '@reboot … bgrun.js resurrect' line to your crontab, remove it with 'crontab -e'");
    return 0;
  },
};
