import test from 'ava';
import { pickErrorLines } from '../../../../src/core/logs/error-report.js';

test('Node: the error line and what follows it; frames inside Node left out', (t) => {
  const stderr = `node:internal/modules/cjs/loader:1228
  throw err;
  ^

Error: Cannot find module 'expresss'
Require stack:
- /srv/app/broken.js
    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)
    at Module._load (node:internal/modules/cjs/loader:1051:27)
    at node:internal/main/run_main_module:28:49 {
  code: 'MODULE_NOT_FOUND',
  requireStack: [ '/srv/app/broken.js' ]
}

Node.js v20.20.2
`.split('\n');
  t.deepEqual(pickErrorLines(stderr), [
    "Error: Cannot find module 'expresss'",
    'Require stack:',
    '- /srv/app/broken.js',
  ]);
});

test("Node: a throw in the program's own file keeps its source line and caret", (t) => {
  const stderr = ['/srv/app/c.js:3', "  throw new TypeError('bad');", '  ^', '', "TypeError: bad", '    at Object.<anonymous> (/srv/app/c.js:3:9)', '    at more', '', 'Node.js v20.20.2'];
  t.deepEqual(pickErrorLines(stderr), ['/srv/app/c.js:3', "  throw new TypeError('bad');", '  ^', 'TypeError: bad', '    at Object.<anonymous> (/srv/app/c.js:3:9)']);
});

test('Python: the traceback ends with the error line', (t) => {
  const stderr = ['Traceback (most recent call last):', '  File "/srv/w.py", line 2, in <module>', '    import nosuch', "ModuleNotFoundError: No module named 'nosuch'"];
  t.deepEqual(pickErrorLines(stderr), stderr);
});

test('no error line: the tail; never more than the limit', (t) => {
  const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
  t.deepEqual(pickErrorLines(lines, 10), lines.slice(-10));
  const long = ['Error: x', ...Array.from({ length: 30 }, (_, i) => `detail ${i}`)];
  t.is(pickErrorLines(long, 10).length, 10);
  t.is(pickErrorLines(long, 10)[0], 'Error: x');
});
