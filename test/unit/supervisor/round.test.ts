import test from 'ava';
import { Round } from '../../../src/supervisor/round.js';

test('a few items: all of them every tick', (t) => {
  const round = new Round<number>(20, 50);
  const items = [1, 2, 3];
  t.deepEqual(round.next(() => items, items.length).sort(), [1, 2, 3]);
  t.deepEqual(round.next(() => items, items.length).sort(), [1, 2, 3]);
});

test('many items: a share a tick, each once a round, the set of the moment at the start of each round', (t) => {
  const round = new Round<number>(4, 10);
  let items = Array.from({ length: 100 }, (_, i) => i);
  const seen: number[] = [];
  for (let tick = 0; tick < 4; tick++) {
    const share = round.next(() => items, items.length);
    t.is(share.length, 25);
    seen.push(...share);
  }
  t.deepEqual(seen.sort((a, b) => a - b), items);
  items = [7, 8];
  t.deepEqual(round.next(() => items, items.length).sort(), [7, 8]);
});
