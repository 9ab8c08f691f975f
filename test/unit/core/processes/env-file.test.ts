import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import dotenv from 'dotenv';
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
    'HASH="a#b"',
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

test('parseEnvFile names the file and line of a bad line, never its text', (t) => {
  const error = t.throws(() => parseEnvFile('A=1\nnot an assignment hunter2\n', '/x/.env'), { instanceOf: BgrunError });
  t.is(error?.code, 'ENV_FILE');
  t.is(error?.message, "/x/.env:2: expected KEY=VALUE (a name of letters, digits, '_', '.' or '-', then '='); the line is not shown, it may hold a secret");
  t.false(error?.message.includes('hunter2'));
});

/**
 * The dotenv package's rules, case by case: `dotenv` is what the file is parsed to by
 * the dotenv package itself (checked below against the real thing), `bgrun` where bgrun
 * differs on purpose (docs/config.md says how); 'error' is a refusal.
 */
const CASES: { name: string; text: string; bgrun?: Record<string, string> | 'error'; dotenv: Record<string, string> }[] = [
  { name: 'plain', text: 'A=value', dotenv: { A: 'value' } },
  { name: 'quoted, then a comment', text: 'A="value" # comment', dotenv: { A: 'value' } },
  { name: 'single quoted, then a comment', text: "A='value' # comment", dotenv: { A: 'value' } },
  { name: 'back quoted', text: 'A=`it\'s "both"`', dotenv: { A: 'it\'s "both"' } },
  { name: 'unquoted, then a comment', text: 'A=value # comment', dotenv: { A: 'value' } },
  { name: 'unquoted # starts a comment', text: 'A=a#b', dotenv: { A: 'a' } },
  { name: 'quoted # is kept', text: 'A="a # b"', dotenv: { A: 'a # b' } },
  { name: 'blanks around are trimmed', text: '  A  =   spaced value   ', dotenv: { A: 'spaced value' } },
  { name: 'blanks inside quotes are kept', text: 'A="  padded  "', dotenv: { A: '  padded  ' } },
  { name: 'empty', text: 'A=\nB=""\nC=\'\'', dotenv: { A: '', B: '', C: '' } },
  { name: 'export', text: 'export A=1', dotenv: { A: '1' } },
  { name: 'colon separator', text: 'A: 1', dotenv: { A: '1' } },
  { name: 'keys with . and -', text: 'a.b-c=1', dotenv: { 'a.b-c': '1' } },
  { name: 'equals signs in the value', text: 'URL=http://x/?a=b&c=d', dotenv: { URL: 'http://x/?a=b&c=d' } },
  { name: 'the last of a repeated key wins', text: 'A=1\nA=2', dotenv: { A: '2' } },
  { name: '\\n in double quotes is a newline', text: 'A="a\\nb"', dotenv: { A: 'a\nb' } },
  { name: '\\n in single quotes is kept', text: "A='a\\nb'", dotenv: { A: 'a\\nb' } },
  { name: '\\n unquoted is kept', text: 'A=a\\nb', dotenv: { A: 'a\\nb' } },
  { name: 'multi-line double quotes (a PEM key)', text: 'KEY="-----BEGIN KEY-----\nMIIB\n-----END KEY-----"\nB=2', dotenv: { KEY: '-----BEGIN KEY-----\nMIIB\n-----END KEY-----', B: '2' } },
  { name: 'multi-line single quotes', text: "A='one\ntwo'", dotenv: { A: 'one\ntwo' } },
  { name: 'CRLF lines', text: 'A=1\r\nB="x"\r\n', dotenv: { A: '1', B: 'x' } },
  { name: 'comments and blank lines', text: '# c\n\n   # indented\nA=1\n', dotenv: { A: '1' } },
  { name: 'text after a closing quote: read unquoted', text: "A='it''s'", dotenv: { A: "it''s" } },
  // Where bgrun differs from the dotenv package, on purpose:
  { name: '\\\\ in double quotes is one backslash', text: 'C="C:\\\\new"', bgrun: { C: 'C:\\new' }, dotenv: { C: 'C:\\\new' } },
  { name: '\\" in double quotes is a quote', text: 'A="say \\"hi\\""', bgrun: { A: 'say "hi"' }, dotenv: { A: 'say \\"hi\\"' } },
  { name: 'an unclosed quote is refused', text: 'A="abc\nB=1', bgrun: 'error', dotenv: { A: '"abc', B: '1' } },
  { name: 'a line that is no assignment is refused', text: 'A=1\ngarbage', bgrun: 'error', dotenv: { A: '1' } },
];

for (const c of CASES) {
  test(`.env as the dotenv package reads it: ${c.name}`, (t) => {
    const expected = c.bgrun ?? c.dotenv;
    if (expected === 'error') t.throws(() => parseEnvFile(c.text, 'f'), { instanceOf: BgrunError });
    else t.deepEqual({ ...parseEnvFile(c.text, 'f') }, expected);
    // The table says what dotenv does: checked against the package itself.
    t.deepEqual({ ...dotenv.parse(c.text) }, c.dotenv, 'the dotenv column');
  });
}

test('an unclosed quote names the line and the key, not the value', (t) => {
  const error = t.throws(() => parseEnvFile('A=1\nTOKEN="hunter2\nB=2\n', '/x/.env'), { instanceOf: BgrunError });
  t.is(error?.message, '/x/.env:2: the value of TOKEN opens a " that is never closed');
});

test('line numbers count the lines of a multi-line value', (t) => {
  const error = t.throws(() => parseEnvFile('A="1\n2\n3"\nbad line\n', 'f'), { instanceOf: BgrunError });
  t.regex(error?.message ?? '', /^f:4: /);
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

test('parseEnvAssignment refuses a missing = or a bad key with exit status 2, never showing the value', (t) => {
  for (const text of ['=hunter2', '1BAD=hunter2', 'A-B=hunter2', ' A=hunter2', 'hunter2 x']) {
    const error = t.throws(() => parseEnvAssignment(text), { instanceOf: UsageError }, JSON.stringify(text));
    t.is(error?.exitCode, 2);
    t.true(error?.message.startsWith('invalid --env'), error?.message);
    t.false(error?.message.includes('hunter2'), error?.message);
  }
  t.is(
    t.throws(() => parseEnvAssignment('1BAD=hunter2'))?.message,
    "invalid --env: '1BAD' is not a valid name; use KEY=VALUE with a key of letters, digits and '_', not starting with a digit",
  );
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
