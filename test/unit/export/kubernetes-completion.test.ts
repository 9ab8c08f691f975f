import test from 'ava';
import { exportCommand } from '../../../src/commands/export.js';
import { completionCommand } from '../../../src/completion/spec.js';

test('completion knows export kubernetes: its formats, its flags and what their values are', (t) => {
  const spec = completionCommand(exportCommand, { aliases: [], summary: 'export' });
  t.deepEqual(spec.firstWords, ['systemd', 'kubernetes']);
  t.is(spec.names, 'names-and-all');
  const options = new Map(spec.options.map((o) => [o.long, o]));
  for (const flag of ['image', 'namespace', 'output', 'workdir', 'job', 'dockerfile', 'config', 'json']) t.true(options.has(flag), `--${flag}`);
  t.deepEqual(options.get('config')!.value, { kind: 'files' });
  t.deepEqual(options.get('output')!.value, { kind: 'dirs' });
  t.false(options.get('dockerfile')!.takesValue);
  t.true(options.get('image')!.takesValue);
});
