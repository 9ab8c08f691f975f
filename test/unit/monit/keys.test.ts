import test from 'ava';
import { splitKeys } from '../../../src/monit/monit.js';

test('one read with several keys is split into keys; escape sequences stay whole', (t) => {
  t.deepEqual(splitKeys('/alp\r'), ['/', 'a', 'l', 'p', '\r']);
  t.deepEqual(splitKeys('j\x1b[Bk\x1b[6~q'), ['j', '\x1b[B', 'k', '\x1b[6~', 'q']);
  t.deepEqual(splitKeys('\x1b'), ['\x1b']);
  t.deepEqual(splitKeys('\x03'), ['\x03']);
});
