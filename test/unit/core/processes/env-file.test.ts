import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { composeEnv, parseEnvAssignment, parseEnvFile, readEnvFile } from '../../../../src/core/processes/env-file.js';
import { BgrunError, UsageError } from '../../../../src/errors.js';

test('parseEnvFile reads KEY=VALUE lines, export, quotes, comments and blank lines', (t) => {
  const text = [
    '# a comment',
    '',
    'PLAIN=value',
    'export EXPORTED=yes',
    '  SPACED = around  ',
    'DOUBLE="two words # not a comment"',
    "SINGLE='it''s \\n raw'",
    'ESCAPES="line1\\nline2 \\"quoted\\" back\\\\slash"',
    'TRAILING=value # a comment',
    'EMPTY=',
    'EQUALS=a=b=c',
    'HASH=a#b',
    '   # indented comment',
    'WINDOWS=crlf\r',
  ].join('\n');
  t.deepEqual(parseEnvFile(text, '.env'), {
    PLAIN: 'value',
    EXPORTED: 'yes',
    SPACED: 'around',
    DOUBLE: 'two words # not a comment',
    SINGLE: "it''s \\n raw",
    ESCAPES: 'line1\nline2 "quoted" back\\slash',
    TRAILING: 'value',
    EMPTY: '',
    EQUALS: 'a=b=c',
    HASH: 'a#b',
    WINDOWS: 'crlf',
  });
});

test('parseEnvFile names the file and line of a bad line', (t) => {
  const error = t.throws(() => parseEnvFile('A=1\nnot an assignment\n', '/x/.env'), { instanceOf: BgrunError });
  t.is(error?.code, 'ENV_FILE');
  t.is(error?.message, "/x/.env:2: expected KEY=VALUE, got 'not an assignment'");
  t.throws(() => parseEnvFile('1A=x', 'f'), { message: "f:1: expected KEY=VALUE, got '1A=x'" });
});

test('readEnvFile reports a missing file as an env file error', (t) => {
  const file = path.join(os.tmpdir(), `bgrun-no-such-env-${process.pid}`);
  const error = t.throws(() => readEnvFile(file), { instanceOf: BgrunError });
  t.is(error?.code, 'ENV_FILE');
  t.is(error?.message, `cannot read env file ${file}: no such file or directory`);
  t.is(error?.exitCode, 1);
});

test('parseEnvAssignment splits at the first =', (t) => {
  t.deepEqual(parseEnvAssignment('A=1'), ['A', '1']);
  t.deepEqual(parseEnvAssignment('URL=http://x/?a=b'), ['URL', 'http://x/?a=b']);
  t.deepEqual(parseEnvAssignment('EMPTY='), ['EMPTY', '']);
  t.deepEqual(parseEnvAssignment('_x9=y'), ['_x9', 'y']);
});

test('parseEnvAssignment refuses a missing = or a bad key with exit status 2', (t) => {
  for (const text of ['=1', '1A=x', 'A-B=1', ' A=1', '']) {
    const error = t.throws(() => parseEnvAssignment(text), { instanceOf: UsageError }, JSON.stringify(text));
    t.is(error?.exitCode, 2);
    t.true(error?.message.startsWith(`invalid --env '${text}'`));
  }
});

test('parseEnvAssignment: a bare word is a profile name, which only a config file has', (t) => {
  const error = t.throws(() => parseEnvAssignment('production'), { instanceOf: UsageError });
  t.is(error?.message, "--env production names an env profile (pm2's env_production), which only a config file has; for a variable use --env KEY=VALUE");
});

test('composeEnv layers inherited, then env files in order, then --env', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-env-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const first = path.join(dir, 'first.env');
  const second = path.join(dir, 'second.env');
  fs.writeFileSync(first, 'A=file1\nB=file1\nC=file1\n');
  fs.writeFileSync(second, 'B=file2\n');
  const env = composeEnv({ env: { A: 'inherited', Z: 'inherited', C: 'inherited' }, envFiles: [first, second], envVars: { C: 'flag' } });
  t.deepEqual(env, { A: 'file1', B: 'file2', C: 'flag', Z: 'inherited' });
});

test('composeEnv does not change the inherited environment it is given', (t) => {
  const inherited = { A: '1' };
  composeEnv({ env: inherited, envFiles: [], envVars: { A: '2', B: '3' } });
  t.deepEqual(inherited, { A: '1' });
});
