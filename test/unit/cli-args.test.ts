import test from 'ava';
import { type OptionSpec, formatOptions, parseArgs } from '../../src/cli-args.js';
import { UsageError } from '../../src/errors.js';

const SPECS: OptionSpec[] = [
  { name: 'name', short: 'n', type: 'string', value: '<name>', description: 'a name' },
  { name: 'env', short: 'e', type: 'list', value: 'KEY=VALUE', description: 'repeatable' },
  { name: 'json', type: 'boolean', description: 'json' },
  { name: 'follow', short: 'f', type: 'boolean', description: 'follow' },
];

test('options take values separately, inline with =, or glued to a short flag', (t) => {
  t.deepEqual(parseArgs(['--name', 'a'], SPECS).values, { name: 'a' });
  t.deepEqual(parseArgs(['--name=a=b'], SPECS).values, { name: 'a=b' });
  t.deepEqual(parseArgs(['-n', 'a'], SPECS).values, { name: 'a' });
  t.deepEqual(parseArgs(['-na'], SPECS).values, { name: 'a' });
  t.deepEqual(parseArgs(['--name='], SPECS).values, { name: '' });
  // A value that looks like an option is still the value.
  t.deepEqual(parseArgs(['--name', '--json'], SPECS).values, { name: '--json' });
});

test('a list option collects every occurrence in order; a string option keeps the last', (t) => {
  const parsed = parseArgs(['-e', 'A=1', '--env', 'B=2', '--env=C=3', '--name', 'x', '--name', 'y'], SPECS);
  t.deepEqual(parsed.values, { env: ['A=1', 'B=2', 'C=3'], name: 'y' });
});

test('positionals mix with options unless parsing stops at the first one', (t) => {
  const mixed = parseArgs(['a', '--json', 'b', '-f'], SPECS);
  t.deepEqual(mixed.positionals, ['a', 'b']);
  t.deepEqual(mixed.values, { json: true, follow: true });
  t.deepEqual(mixed.rest, []);
  t.false(mixed.dashDash);

  const stopped = parseArgs(['--name', 'x', 'script.js', '--name', 'y', '--json', '--', 'z'], SPECS, { stopAtPositional: true });
  t.deepEqual(stopped.values, { name: 'x' });
  t.deepEqual(stopped.positionals, ['script.js']);
  t.deepEqual(stopped.rest, ['--name', 'y', '--json', '--', 'z']);
  t.false(stopped.dashDash);
});

test('-- hands everything after it over untouched', (t) => {
  const parsed = parseArgs(['--json', '--', 'sleep', '--name', '-f', '--'], SPECS, { stopAtPositional: true });
  t.deepEqual(parsed.values, { json: true });
  t.deepEqual(parsed.positionals, []);
  t.deepEqual(parsed.rest, ['sleep', '--name', '-f', '--']);
  t.true(parsed.dashDash);
});

test('- and negative numbers are positionals, not options', (t) => {
  t.deepEqual(parseArgs(['-', '-5', '-1.5'], SPECS).positionals, ['-', '-5', '-1.5']);
});

test('unknown options, missing values and values given to flags are usage errors', (t) => {
  const cases: [string[], string][] = [
    [['--bogus'], "unknown option '--bogus'; see --help"],
    [['-x'], "unknown option '-x'; see --help"],
    [['--name'], 'option --name needs a value <name>'],
    [['-n'], 'option --name needs a value <name>'],
    [['--json=yes'], 'option --json takes no value'],
    [['-fx'], 'option --follow takes no value'],
  ];
  for (const [argv, message] of cases) {
    const error = t.throws(() => parseArgs(argv, SPECS), { instanceOf: UsageError }, argv.join(' '));
    t.is(error?.message, message);
    t.is(error?.exitCode, 2);
  }
});

test('an unknown option before the program is an error even when parsing stops at positionals', (t) => {
  t.throws(() => parseArgs(['--bogus', 'script.js'], SPECS, { stopAtPositional: true }), { instanceOf: UsageError });
});

test('formatOptions aligns the descriptions', (t) => {
  const lines = formatOptions(SPECS).split('\n');
  t.deepEqual(lines, [
    '  -n, --name <name>    a name',
    '  -e, --env KEY=VALUE  repeatable',
    '      --json           json',
    '  -f, --follow         follow',
  ]);
});

test("pm2's one-letter flags get a hint where the command has the option they are about; an alias is listed beside its option", (t) => {
  const withAlias: OptionSpec[] = [{ name: 'out-log', aliases: ['output'], type: 'string', value: '<file>', description: 'stdout here' }];
  t.is(t.throws(() => parseArgs(['-o', 'out.log'], withAlias))?.message, "unknown option '-o'; pm2's -o: use --out-log <file> (or pm2's --output <file>)");
  // list, logs…: no --out-log there, so pm2's -o of `pm2 start` is no hint.
  t.is(t.throws(() => parseArgs(['-o', 'out.log'], SPECS))?.message, "unknown option '-o'; see --help");
  t.deepEqual(parseArgs(['--output', 'o.log'], withAlias).values, { 'out-log': 'o.log' });
  t.is(formatOptions(withAlias), '      --out-log, --output <file>  stdout here');
});
