import test from 'ava';
import { screenSafe } from '../../../src/monit/monit.js';
import { type MonitRow, type MonitState, renderScreen, sparkline } from '../../../src/monit/view.js';

function rows(n: number): MonitRow[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `app-${i}`,
    status: 'running',
    kind: 'running' as const,
    pid: 1000 + i,
    cpu: i % 7,
    memory: 20_000_000 + i * 1000,
    restarts: i % 3,
    uptimeMs: 60_000,
    cpuHistory: Array.from({ length: 120 }, (_, s) => (s * i) % 100),
    memoryHistory: Array.from({ length: 120 }, () => 20_000_000),
  }));
}

function state(n: number, selected = 0): MonitState {
  return { rows: rows(n), selected, total: n, filter: '', filtering: false, message: '', log: [{ text: 'hello', err: false }, { text: 'boom', err: true }], clock: '12:00:00' };
}

const options = { color: false, unicode: true, historySeconds: 120 };

test('exactly the height, never wider than the width, at 80 x 24 and others', (t) => {
  for (const [w, h, n] of [
    [80, 24, 200],
    [80, 24, 2],
    [40, 10, 5],
    [200, 60, 0],
    [20, 5, 3],
  ] as const) {
    const lines = renderScreen(state(n), w, h, options);
    t.is(lines.length, h);
    for (const line of lines) t.true([...line].length <= w, `${w}x${h}: ${line}`);
  }
});

test('the selection is always on screen, even far down a long list', (t) => {
  const lines = renderScreen(state(200, 150), 80, 24, options);
  t.truthy(lines.find((l) => l.startsWith('>app-150 ')));
});

test('stderr lines of the log are marked, colours only when asked', (t) => {
  const plain = renderScreen(state(1), 80, 24, options);
  t.truthy(plain.find((l) => l.startsWith('! boom')));
  t.false(plain.join('').includes('\x1b'));
  t.true(renderScreen(state(1), 80, 24, { ...options, color: true }).join('').includes('\x1b['));
});

test('sparkline: each cell the highest of its share of the samples, scaled to the top', (t) => {
  t.is(sparkline([0, 100], 2, 2, 100, true), ' █');
  t.is(sparkline([50, 0, 0, 100], 2, 4, 100, true), '▄█');
  t.is(sparkline([100], 4, 4, 100, false), '   %');
});

test('log text cannot draw on the screen', (t) => {
  t.is(screenSafe('\x1b[2Jred\x1b[31m text\tand\x07 bell'), 'red text  and bell');
});
