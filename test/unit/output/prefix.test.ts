import test from 'ava';
import { LineSplitter, createPrefixer } from '../../../src/output/prefix.js';

test('names are padded to the longest; stderr is marked with !', (t) => {
  const p = createPrefixer(['web', 'worker'], false);
  t.is(p.line('web', 'hello'), 'web    | hello');
  t.is(p.line('worker', 'a\nb', 'err'), 'worker ! a\nworker ! b');
  t.is(p.width, 6);
});

test('a colour per name on a terminal, in the order given; none without colour', (t) => {
  const p = createPrefixer(['a', 'b'], true);
  t.is(p.prefix('a'), '\x1b[36ma\x1b[0m | ');
  t.is(p.prefix('b'), '\x1b[33mb\x1b[0m | ');
  t.is(p.prefix('a', 'err'), '\x1b[36ma\x1b[0m \x1b[31m!\x1b[0m ');
  t.false(createPrefixer(['a'], false).prefix('a', 'err').includes('\x1b'));
});

test('the splitter keeps unfinished lines, strips CR, and cuts endless ones', (t) => {
  const s = new LineSplitter(8);
  t.deepEqual(s.push(Buffer.from('one\r\ntw')), ['one']);
  t.deepEqual(s.push(Buffer.from('o\nthree')), ['two']);
  t.deepEqual(s.push(Buffer.from('0123456789')), ['three012']);
  t.deepEqual(s.end(), ['3456789']);
  // A character cut between two chunks is kept whole.
  const euro = Buffer.from('€\n');
  t.deepEqual([...s.push(euro.subarray(0, 1)), ...s.push(euro.subarray(1))], ['€']);
});
