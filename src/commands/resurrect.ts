import { stringValue } from '../cli-args.js';
import { optionalDuration } from '../core/duration.js';
import { createProgress } from '../output/progress.js';
import { type Command, JSON_OPTION } from './command.js';

export const resurrect: Command = {
  name: 'resurrect',
  usage: 'bgrun resurrect [--wait <duration>] [--json]',
  options: [
    { name: 'wait', type: 'string', value: '<duration>', description: 'watch each for a crash this long (default 500ms, 0 to skip)' },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const { dumpFile, resurrect: resurrectSaved } = await import('../persist/dump.js');
    const waitMs = optionalDuration(stringValue(args.values, 'wait'), '--wait');
    const progress = createProgress(io, 'resurrecting', 0, { json: args.values.json === true });
    let results: Awaited<ReturnType<typeof resurrectSaved>>;
    try {
      results = await resurrectSaved(ctx, { waitMs, progress });
    } finally {
      progress.finish();
    }
    const failed = (results ?? []).filter((r) => r.action === 'failed');
    if (args.values.json) {
      const rows = (results ?? []).map((r) => ({
        name: r.name,
        action: r.action,
        pid: r.pid,
        error: r.error ? { code: r.error.code, message: r.error.message } : null,
      }));
      io.out(JSON.stringify(rows, null, 2));
    } else if (results === null) {
      io.out(`nothing to resurrect: ${dumpFile(ctx)} does not exist; run 'bgrun save' while your programs run`);
    } else if (results.length === 0) {
      io.out(`nothing to resurrect: the list saved in ${dumpFile(ctx)} is empty`);
    } else {
      for (const r of results) {
        if (r.action === 'started') io.out(`started ${r.name} (pid ${r.pid})`);
        else if (r.action === 'recreated') io.out(`started ${r.name} (pid ${r.pid}) from the saved spec: it had no record`);
        else if (r.action === 'running') io.out(r.pid ? `${r.name} is already running (pid ${r.pid})` : `${r.name} is already being started`);
      }
    }
    for (const r of failed) io.err(`bgrun: cannot resurrect '${r.name}': ${r.error?.message}`);
    return failed.length > 0 ? 1 : 0;
  },
};
