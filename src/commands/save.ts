import { type Command, JSON_OPTION } from './command.js';
import { formatStatus } from './format.js';

export const save: Command = {
  name: 'save',
  usage: 'bgrun save [--json]',
  options: [JSON_OPTION],
  async run(args, ctx, io) {
    const { saveDump } = await import('../persist/dump.js');
    const result = await saveDump(ctx);
    if (args.values.json) {
      io.out(JSON.stringify(result));
      return 0;
    }
    const count = result.names.length;
    const skipped = result.skipped.map((r) => `${r.name} (${formatStatus(r)})`).join(', ');
    if (count === 0) {
      io.out(`saved an empty list to ${result.file}: no program is meant to be running, so 'bgrun resurrect' will start nothing`);
      if (skipped) io.out(`not saved (not meant to be running): ${skipped}`);
      return 0;
    }
    io.out(`saved ${count} program${count === 1 ? '' : 's'} to ${result.file}: ${result.names.join(', ')}`);
    if (skipped) io.out(`not saved (not meant to be running): ${skipped}`);
    io.out("'bgrun resurrect' brings them back; 'bgrun startup' runs it at boot. Run 'bgrun save' again after changes.");
    return 0;
  },
};
