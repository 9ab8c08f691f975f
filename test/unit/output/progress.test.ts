import test from 'ava';
import { createProgress, progressText } from '../../../src/output/progress.js';

test('done/total, then what is in progress, three at most, cut to the width', (t) => {
  const active = new Map<string, string | undefined>([['db', 'waiting for tcp:5432'], ['a', undefined]]);
  t.is(progressText('starting', 2, 10, active, 80), 'starting 2/10: db (waiting for tcp:5432), a');
  active.set('b', undefined).set('c', undefined);
  t.is(progressText('starting', 2, 10, active, 80), 'starting 2/10: db (waiting for tcp:5432), a, b, 1 more');
  t.is(progressText('stopping', 0, 200, new Map(), 80), 'stopping 0/200');
  t.is(progressText('starting', 2, 10, active, 12), 'starting 2…');
});

test('disabled (not a terminal, JSON): prints through the same io and writes nothing else', (t) => {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`E ${l}`), color: false };
  const progress = createProgress(io, 'starting', 5, { enabled: false });
  progress.begin('a');
  progress.io.out('started a');
  progress.end('a');
  progress.finish();
  t.deepEqual(lines, ['started a']);
});
