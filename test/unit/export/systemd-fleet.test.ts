import test from 'ava';
import { fleetUnitLines } from '../../../src/export/systemd-fleet.js';

test('a copy gets its index variables and the raised --increment-var value when the value is given with --env', (t) => {
  const lines = fleetUnitLines({ app: 'web', instance: 2, instances: 4, incrementVar: 'PORT', envVars: { PORT: '3000' } });
  t.deepEqual(lines.env, [
    ['BGRUN_INSTANCE', '2'],
    ['NODE_APP_INSTANCE', '2'],
    ['PORT', '3002'],
  ]);
  t.is(lines.comments[0], "# Copy 2 of 4 of 'web': each copy is a unit of its own (bgrun export systemd web writes them all).");
});

test('an increment of a value bgrun does not know, cluster mode and a namespace are said in comments', (t) => {
  const copy = fleetUnitLines({ app: 'web', instance: 1, instances: 2, incrementVar: 'PORT', instanceVar: 'ID', envVars: {} });
  t.deepEqual(copy.env, [
    ['BGRUN_INSTANCE', '1'],
    ['ID', '1'],
  ]);
  t.regex(copy.comments[1]!, /set PORT for this copy yourself/);
  const cluster = fleetUnitLines({ cluster: true, instances: 4, namespace: 'shop' });
  t.deepEqual(cluster.env, []);
  t.regex(cluster.comments.join('\n'), /forks 4 worker\(s\)/);
  t.regex(cluster.comments.join('\n'), /namespace 'shop': systemd has no equivalent/);
  t.deepEqual(fleetUnitLines({ envVars: { A: '1' } }), { env: [], comments: [] });
});
