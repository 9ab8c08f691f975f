import fs from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { type Context, createContext } from '../../../src/core/context.js';
import { newRecord, prepareStart } from '../../../src/core/lifecycle/start.js';
import { ensureState, recordFile } from '../../../src/core/paths.js';
import { writeRecord } from '../../../src/core/records/registry.js';
import { RecordReader } from '../../../src/supervisor/record-reader.js';
import { fixture, sandbox, sweepAll } from '../../helpers/bgrun.js';

test.after.always(sweepAll);

function setup(t: ExecutionContext): Context {
  const ctx = createContext({ home: sandbox(t).home, env: { PATH: process.env.PATH } });
  ensureState(ctx.paths);
  return ctx;
}

function write(ctx: Context, name: string, changes: { cwd?: string } = {}): void {
  const options = { script: fixture('ticker.js'), name };
  writeRecord(ctx.paths, { ...newRecord(ctx, options, prepareStart(ctx, options), name), ...changes });
}

/** The records folder as if last changed a minute ago: settled, so trusted to change with the next write. */
function settle(ctx: Context): void {
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(ctx.paths.records, past, past);
}

const names = (reader: RecordReader) => reader.read().records.map((r) => r.name);

test('an unchanged records folder is not read again: the same result', (t) => {
  const ctx = setup(t);
  write(ctx, 'a');
  settle(ctx);
  const reader = new RecordReader(ctx.paths);
  const first = reader.read();
  t.is(reader.read(), first);
  t.deepEqual(first.records.map((r) => r.name), ['a']);
});

test('a record written, added or removed is seen on the next read, also right after the last one', (t) => {
  const ctx = setup(t);
  write(ctx, 'a');
  settle(ctx);
  const reader = new RecordReader(ctx.paths);
  t.deepEqual(names(reader), ['a']);
  write(ctx, 'b');
  t.deepEqual(names(reader), ['a', 'b']);
  // Within the same moment as the read before: a folder changed that recently is never trusted.
  write(ctx, 'c');
  t.deepEqual(names(reader), ['a', 'b', 'c']);
  write(ctx, 'a', { cwd: '/' });
  t.is(reader.read().records.find((r) => r.name === 'a')?.cwd, '/');
  fs.unlinkSync(recordFile(ctx.paths, 'b'));
  t.deepEqual(names(reader), ['a', 'c']);
});

test('a record edited in place (not renamed into the folder) is seen by the next full look', async (t) => {
  const ctx = setup(t);
  write(ctx, 'a');
  settle(ctx);
  const reader = new RecordReader(ctx.paths, 300);
  const before = reader.read();
  const edited = { ...before.records[0]!, cwd: '/' };
  fs.writeFileSync(recordFile(ctx.paths, 'a'), JSON.stringify(edited));
  settle(ctx);
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.is(reader.read().records[0]?.cwd, '/');
});
