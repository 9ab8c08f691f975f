import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { PLAIN_TOO } from '../../../src/core/lifecycle/start.js';
import { START_OPTIONS } from '../../../src/options/start-options.js';
import { startOptionsFromCli, startOptionsFromObject } from '../../../src/options/validate.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { parseArgs } from '../../../src/cli-args.js';
import { startOptionSpecs } from '../../../src/commands/option-specs.js';
import { ROOT } from '../../helpers/bgrun.js';

const fromConfig = (obj: Record<string, unknown>) =>
  startOptionsFromObject({ script: 'x.js', ...obj }, { baseDir: '/base' }, (key, message) => new ConfigError(`cfg: ${key}: ${message}`));

test('every option has a camelCase key, a kebab-case flag or none, help, and unique names', (t) => {
  const keys = new Set<string>();
  const flags = new Set<string>();
  for (const o of START_OPTIONS) {
    t.regex(o.key, /^[a-z][A-Za-z]*$/, o.key);
    if (o.flag !== null) t.regex(o.flag, /^[a-z][a-z-]*$/, o.key);
    t.true(o.help.length > 0, o.key);
    t.false(keys.has(o.key), o.key);
    keys.add(o.key);
    for (const f of [o.flag, ...(o.aliases ?? [])]) {
      if (f === null) continue;
      t.false(flags.has(f), f);
      flags.add(f);
    }
    if (o.pm2) t.regex(o.pm2.key, /^[a-z_]+$/, o.key);
  }
});

test('the README lists every flag; the README or docs/*.md every config and pm2 key', (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  const config = [readme, ...docs.map((f) => fs.readFileSync(path.join(ROOT, 'docs', f), 'utf8'))].join('\n');
  for (const o of START_OPTIONS) {
    if (o.flag !== null) t.true(readme.includes(`--${o.flag} `) || readme.includes(`--${o.flag}\``), `README lacks --${o.flag}`);
    t.true(config.includes(`\`${o.key}\``), `README and docs lack ${o.key}`);
    if (o.pm2) t.true(config.includes(o.pm2.key), `README and docs lack pm2's ${o.pm2.key}`);
  }
});

test('the command line and a config give the same values', (t) => {
  t.deepEqual(
    startOptionsFromCli({ restart: 'always', 'max-restarts': '3', 'min-uptime': '2s', 'max-memory': '1K', wait: '1s', ready: ' tcp:80 ', 'max-log-size': '2M' }),
    { restart: 'always', maxRestarts: 3, minUptimeMs: 2000, maxMemoryBytes: 1024, waitMs: 1000, ready: 'tcp:80', maxLogBytes: 2 * 1024 ** 2 },
  );
  t.like(
    fromConfig({ restart: 'always', maxRestarts: 3, minUptime: '2s', maxMemory: '1K', wait: 1000, ready: ' tcp:80 ', maxLogSize: '2M' }),
    { restart: 'always', maxRestarts: 3, minUptimeMs: 2000, maxMemoryBytes: 1024, waitMs: 1000, ready: 'tcp:80', maxLogBytes: 2 * 1024 ** 2 },
  );
  t.like(fromConfig({ autorestart: true, max_restarts: 1 }), { restart: 'always', maxRestarts: 1 });
  t.deepEqual(startOptionsFromCli({ env: ['A=1', 'B=x=y'], 'env-file': ['a.env'] }), { env: { A: '1', B: 'x=y' }, envFiles: ['a.env'] });
  // An env file is kept as written and resolved at start against the program's folder (cwd), as
  // on the command line (issue 21: relative paths mean one thing); cwd itself is the config's.
  t.like(fromConfig({ envFile: 'a.env', cwd: 'sub' }), { envFiles: ['a.env'], cwd: '/base/sub' });
});

test('the same rules, each worded for its front end', (t) => {
  const cli = (values: Record<string, string>) => t.throws(() => startOptionsFromCli(values), { instanceOf: UsageError })?.message;
  const cfg = (obj: Record<string, unknown>) => t.throws(() => fromConfig(obj), { instanceOf: ConfigError })?.message;
  t.is(cli({ 'max-restarts': '5' }), '--max-restarts needs a supervised program: add --restart on-failure or --restart always');
  t.is(cfg({ maxRestarts: 5 }), 'cfg: maxRestarts: needs a supervised program: add restart: "on-failure" or restart: "always"');
  t.is(cfg({ max_memory_restart: '1G' }), 'cfg: max_memory_restart: needs a supervised program: add restart: "on-failure" or restart: "always"');
  // With restart "no" given, a memory limit is supervised all the same: its restart is bgrun's own, not after an exit.
  t.like(startOptionsFromCli({ restart: 'no', 'max-memory': '1G' }), { restart: 'no', maxMemoryBytes: 1024 ** 3 });
  t.is(cli({ restart: 'no', 'max-memory': '1G', 'max-restarts': '3' }), '--max-restarts needs restarts after an exit: replace --restart no with --restart on-failure or --restart always');
  t.is(cli({ 'ready-timeout': '1s' }), '--ready-timeout needs --ready: the probe to wait for');
  t.is(cfg({ readyTimeout: '1s' }), 'cfg: readyTimeout: needs ready: the probe to wait for');
  t.is(cli({ 'max-log-files': '2' }), '--max-log-files needs --max-log-size for a plain program (supervised programs rotate at 10M by default)');
  t.is(cfg({ maxLogFiles: 2 }), 'cfg: maxLogFiles: needs maxLogSize for a plain program (supervised programs rotate at 10M by default)');
  t.is(cli({ restart: 'sometimes' }), "invalid --restart 'sometimes': use no, on-failure or always");
  t.is(cfg({ restart: 'sometimes' }), 'cfg: restart: expected "no", "on-failure" or "always", got "sometimes"');
  t.is(cfg({ restart: 'always', autorestart: true }), 'cfg: autorestart: give either restart or autorestart, not both');
  t.is(cli({ restart: 'always', 'max-restarts': '-1' }), "invalid --max-restarts '-1': use a whole number");
  t.is(cfg({ restart: 'always', maxRestarts: -1 }), 'cfg: maxRestarts: expected a whole number, got -1');
  t.is(cfg({ env: { 'A-B': '1' } }), "cfg: env.A-B: expected a variable name of letters, digits and '_'");
  t.is(cfg({ dependsOn: ['ok', '../x'] }).startsWith("cfg: dependsOn[1]: invalid name '../x'"), true);
  t.is(
    t.throws(() => startOptionsFromObject({}, { baseDir: '/' }, (key, message) => new ConfigError(`${key}: ${message}`)))?.message,
    'script: missing: the script or command to run (or module: a Python module)',
  );
});

test("the core's list of stop settings that keep a program plain is the options marked plainToo", (t) => {
  const marked = START_OPTIONS.filter((o) => o.plainToo).map((o) => o.field);
  t.deepEqual([...PLAIN_TOO].sort(), marked.sort());
  for (const o of START_OPTIONS.filter((o) => o.plainToo)) t.is(o.supervision, 'implied', o.key);
});

test("pm2's long flags for the same settings are aliases: --output, --error, --time, --cron", (t) => {
  const { values } = parseArgs(['--output', 'o.log', '--error', 'e.log', '--time', '--cron', '0 3 * * *', 'app.js'], startOptionSpecs(), { stopAtPositional: true });
  t.like(startOptionsFromCli(values), { outLog: 'o.log', errLog: 'e.log', logTime: true, cronRestart: '0 3 * * *' });
  // pm2's --log is bgrun's --log already.
  t.like(startOptionsFromCli(parseArgs(['--log', 'both.log'], startOptionSpecs()).values), { log: 'both.log' });
});
