import { flushLogs } from '../core/logs/flush.js';
import { resolveTargets } from '../core/records/targets.js';
import { UsageError } from '../errors.js';
import { type Command, JSON_OPTION } from './command.js';
import { formatBytes } from './format.js';

export const flush: Command = {
  name: 'flush',
  usage: 'bgrun flush <pid|name|all>... [--out | --err] [--keep-rotated] [--json]',
  options: [
    { name: 'out', type: 'boolean', description: 'stdout log only' },
    { name: 'err', type: 'boolean', description: 'stderr log only' },
    { name: 'keep-rotated', type: 'boolean', description: 'keep the rotated copies (x.log.1 …); only empty the current logs' },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const v = args.values;
    if (args.positionals.length === 0) throw new UsageError(`missing target: ${this.usage}`);
    if (v.out && v.err) throw new UsageError('--out and --err exclude each other; give neither for both');
    const records = resolveTargets(ctx, args.positionals);
    const results = [];
    for (const record of records) {
      results.push(await flushLogs(ctx, record, { out: v.out === true, err: v.err === true, keepRotated: v['keep-rotated'] === true }));
    }
    if (v.json) {
      io.out(JSON.stringify(results, null, 2));
      return 0;
    }
    if (results.length === 0) io.out('nothing to flush');
    for (const r of results) {
      const emptied = r.emptied.reduce((sum, e) => sum + e.bytes, 0);
      const removed = r.removed.length > 0 ? `, removed ${r.removed.length} rotated ${r.removed.length === 1 ? 'copy' : 'copies'} (${formatBytes(r.removedBytes)})` : '';
      io.out(`flushed ${r.name}: emptied ${r.emptied.length} ${r.emptied.length === 1 ? 'log' : 'logs'} (${formatBytes(emptied)})${removed}`);
    }
    return 0;
  },
};
