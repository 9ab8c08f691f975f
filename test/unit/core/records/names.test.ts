import test from 'ava';
import { isValidName, nameFromProgram, uniqueName, validateName } from '../../../../src/core/records/names.js';
import { UsageError } from '../../../../src/errors.js';

test('validateName accepts letters, digits, dot, underscore and dash', (t) => {
  for (const name of ['web', 'ready-2', 'api_v1.2', 'A', 'x'.repeat(64), '1a', 'a..b']) {
    t.is(validateName(name), name, name);
    t.true(isValidName(name), name);
  }
});

test('validateName refuses names that are paths, numbers, reserved words or too long, with exit status 2', (t) => {
  for (const name of ['../x', 'a/b', '..', '.', '.hidden', '123', '0', 'all', '', 'x'.repeat(65), 'a b', 'é', 'a\nb']) {
    const error = t.throws(() => validateName(name), { instanceOf: UsageError }, JSON.stringify(name));
    t.is(error?.code, 'INVALID_NAME');
    t.is(error?.exitCode, 2);
    t.true(error?.message.startsWith(`invalid name '${name}'`));
    t.false(isValidName(name), JSON.stringify(name));
  }
});

test('nameFromProgram takes the base name without its extension', (t) => {
  t.is(nameFromProgram('server.js'), 'server');
  t.is(nameFromProgram('/srv/app/worker.py'), 'worker');
  t.is(nameFromProgram('sleep'), 'sleep');
  t.is(nameFromProgram('./bin/run.sh'), 'run');
  t.is(nameFromProgram('archive.tar.gz'), 'archive.tar');
});

test('nameFromProgram makes a valid name of anything', (t) => {
  t.is(nameFromProgram('my server.js'), 'my-server');
  t.is(nameFromProgram('.hidden.js'), 'hidden');
  t.is(nameFromProgram('...'), 'app'); // nothing left
  t.is(nameFromProgram('--weird.js'), 'weird');
  t.is(nameFromProgram('all.js'), 'app');
  t.is(nameFromProgram('123.js'), 'app-123');
  t.is(nameFromProgram(`${'x'.repeat(100)}.js`), 'x'.repeat(60));
  for (const program of ['my server.js', '.hidden.js', '--weird.js', 'all', '123', 'ünïcode.js', '...', `${'y'.repeat(300)}`]) {
    t.true(isValidName(nameFromProgram(program)), program);
  }
});

test('uniqueName returns the base, else the first free base-N from 2 on', (t) => {
  t.is(uniqueName('ready', () => false), 'ready');
  const taken = new Set(['ready', 'ready-2', 'ready-4']);
  t.is(uniqueName('ready', (n) => taken.has(n)), 'ready-3');
  t.is(uniqueName('web', (n) => n === 'web'), 'web-2');
});

test('uniqueName stays within 64 characters', (t) => {
  const base = 'z'.repeat(64);
  const name = uniqueName(base, (n) => n === base);
  t.is(name, `${'z'.repeat(62)}-2`);
  t.true(isValidName(name));
  const taken = new Set([base]);
  for (let i = 2; i < 10; i++) taken.add(`${'z'.repeat(62)}-${i}`);
  const tenth = uniqueName(base, (n) => taken.has(n));
  t.is(tenth, `${'z'.repeat(61)}-10`);
  t.is(tenth.length, 64);
});
