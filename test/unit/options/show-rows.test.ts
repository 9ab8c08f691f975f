import test from 'ava';
import type { ProcessRecord } from '../../../src/core/records/record.js';
import { optionRows, supervisionFields } from '../../../src/options/show-rows.js';
import { START_OPTIONS, type StartOption } from '../../../src/options/start-options.js';

test('every option that shapes supervision has its place in show: a row, or a part of another option\'s row', (t) => {
  const withRow = new Set(START_OPTIONS.filter((o) => o.show && !('partOf' in o.show)).map((o) => o.key));
  for (const o of START_OPTIONS.filter((x) => x.supervision || x.key === 'restart')) {
    t.truthy(o.show, `${o.key} has no show entry in start-options.ts`);
    if (o.show && 'partOf' in o.show) t.true(withRow.has(o.show.partOf), `${o.key} is part of ${o.show.partOf}, which has no row`);
  }
});

const plain = {
  name: 'w',
  restart: 'on-failure',
  maxRestarts: null,
  minUptimeMs: 10_000,
  maxMemoryBytes: null,
  status: 'running',
  desired: 'running',
  cwd: '/srv',
  envVars: {},
  envFiles: [],
} as unknown as ProcessRecord;

test('a supervised program shows its limits with their defaults; a plain one does not', (t) => {
  const rows = new Map(optionRows(plain));
  t.is(rows.get('max restarts'), '10 quick crashes in a row (default)');
  t.is(rows.get('min uptime'), '10s');
  t.false(rows.has('max memory'));
  t.false(rows.has('watch'));
  const none = new Map(optionRows({ ...plain, restart: 'no' }));
  t.false(none.has('max restarts'));
  t.false(none.has('min uptime'));
});

test('an option without a show entry still shows its raw value when it shapes supervision', (t) => {
  const index = START_OPTIONS.findIndex((o) => o.key === 'onExit');
  const original = START_OPTIONS[index]!;
  const bare: StartOption = { ...original, show: undefined };
  (START_OPTIONS as StartOption[])[index] = bare;
  try {
    const rows = new Map(optionRows({ ...plain, onExit: 'echo bye' }));
    t.is(rows.get('on-exit'), 'echo bye');
  } finally {
    (START_OPTIONS as StartOption[])[index] = original;
  }
});

test('show --json gets every supervision field, null when unset, and never a record\'s environment', (t) => {
  const json = supervisionFields({ ...plain, maxRestarts: 4, env: { SECRET: 'x' } } as unknown as ProcessRecord);
  t.is(json.maxRestarts, 4);
  t.is(json.minUptimeMs, 10_000);
  t.is(json.maxMemoryBytes, null);
  t.is(json.health, null);
  t.false('env' in json);
});
