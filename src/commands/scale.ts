import { stringValue } from '../cli-args.js';
import { optionalDuration } from '../core/duration.js';
import { scaleApp } from '../core/fleet/scale.js';
import { UsageError } from '../errors.js';
import { type Command, JSON_OPTION } from './command.js';
import { printStarted } from './started.js';
import { STOP_OPTIONS, stopOptions } from './stop.js';

export const scale: Command = {
  name: 'scale',
  usage: 'bgrun scale <app> <N|+N>',
  options: [...STOP_OPTIONS, { name: 'wait', type: 'string', value: '<duration>', description: 'watch each new copy for a crash this long (default 500ms)' }, JSON_OPTION],
  async run(args, ctx, io) {
    const [app, count, ...extra] = [...args.positionals, ...args.rest];
    if (app === undefined || count === undefined || extra.length > 0) throw new UsageError(`scale takes an app and a count: ${this.usage}`);
    const waitMs = optionalDuration(stringValue(args.values, 'wait'), '--wait');
    const result = await scaleApp(ctx, app, count, { ...stopOptions(args), waitMs });
    const json = args.values.json === true;
    if (json) {
      io.out(JSON.stringify({ app: result.app, from: result.from, to: result.to, started: result.started.map((r) => r.record.name), stopped: result.stopped.map((s) => s.name) }));
      return 0;
    }
    for (const s of result.stopped) io.out(s.wasRunning ? `stopped ${s.name} (pid ${s.pid})` : `${s.name} was not running`);
    for (const r of result.started) printStarted(r, io, false, 'started');
    io.out(`${result.app}: ${result.to} ${result.to === 1 ? 'copy' : 'copies'} (was ${result.from})`);
    return 0;
  },
};
