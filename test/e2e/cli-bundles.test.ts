// The CLI is two bundles (scripts/bundle-cli.mjs): the everyday commands in dist/bundle/cli.cjs,
// the rare ones (table.ts `rare`) in dist/bundle/cli-rare.cjs, which the first hands them to.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { COMMAND_TABLE } from '../../src/commands/table.js';
import { ROOT, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const BUNDLES = path.join(ROOT, 'dist', 'bundle');
const read = (name: string) => fs.readFileSync(path.join(BUNDLES, name), 'utf8');
/** The source modules a bundle holds (esbuild names each one in a comment). */
const modulesOf = (code: string) => new Set(code.match(/^\/\/ src\/\S+\.ts$/gm)?.map((line) => line.slice(3)));

test('the everyday bundle leaves out the code of rare commands; the other bundle holds every command', (t) => {
  const everyday = modulesOf(read('cli.cjs'));
  const rare = modulesOf(read('cli-rare.cjs'));
  for (const module of ['src/commands/start.ts', 'src/commands/list.ts', 'src/commands/stop.ts', 'src/commands/logs.ts']) t.true(everyday.has(module), module);
  for (const module of ['src/commands/export.ts', 'src/commands/import.ts', 'src/commands/monit.ts', 'src/commands/run.ts', 'src/commands/completion.ts', 'src/commands/apply.ts']) {
    t.false(everyday.has(module), module);
    t.true(rare.has(module), module);
  }
  t.true(everyday.size < rare.size * 0.8, `${everyday.size} of ${rare.size} modules`);
});

test('every rare command and its aliases run, with their help, from the command line', async (t) => {
  const box = sandbox(t);
  const rare = COMMAND_TABLE.filter((entry) => entry.rare && !entry.hidden);
  t.true(rare.length >= 8);
  for (const entry of rare) {
    for (const name of [entry.name, ...entry.aliases]) {
      const result = await box.run([name, '--help']);
      t.is(result.exitCode, 0, `${name}: ${result.stderr}`);
      t.is(result.stdout.split('\n')[0], entry.summary, name);
    }
    const viaHelp = await box.run(['help', entry.name]);
    t.is(viaHelp.stdout.split('\n')[0], entry.summary, `help ${entry.name}`);
  }
  // A usage error of a rare command is reported by its bundle as any other (exit 2, one line).
  const bad = await box.run(['export', 'nonsense', 'all']);
  t.is(bad.exitCode, 2, bad.stderr);
  t.regex(bad.stderr, /^bgrun: /);
  t.is(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  // The hidden helper of completion scripts too; its JSON errors as well.
  const names = await box.run(['__names']);
  t.is(names.exitCode, 0, names.stderr);
  const unknown = await box.run(['scale', 'nothing-here', '2', '--json']);
  t.is(unknown.exitCode, 1, unknown.stderr);
  t.like(JSON.parse(unknown.stdout) as object, { error: { code: 'TARGET_NOT_FOUND' } });
});

test('through the code cache loader (Nodes before 22.1), the rare bundle is loaded with a code cache of its own', async (t) => {
  const box = sandbox(t);
  fs.mkdirSync(box.home, { mode: 0o700 });
  const dir = path.join(box.dir, 'bundle');
  fs.mkdirSync(dir);
  for (const name of ['cli.cjs', 'cli-rare.cjs', 'import.cjs']) fs.copyFileSync(path.join(BUNDLES, name), path.join(dir, name));
  const entry = path.join(box.dir, 'entry.cjs');
  fs.writeFileSync(entry, `require(${JSON.stringify(path.join(ROOT, 'bin', 'load-cli.js'))}).loadCli(${JSON.stringify(path.join(dir, 'cli.cjs'))});\n`);
  const completion = async () => {
    const r = await execa(process.execPath, [entry, 'completion', 'bash'], { env: box.env, reject: false });
    t.is(r.exitCode, 0, String(r.stderr));
    t.regex(String(r.stdout), /^# bash completion for bgrun/);
    return String(r.stdout);
  };
  const first = await completion();
  const caches = fs.readdirSync(path.join(box.home, 'cache')).sort();
  t.is(caches.length, 2, caches.join(' '));
  t.true(caches.every((name) => name.endsWith('-completion.v8')), caches.join(' '));
  const times = caches.map((name) => fs.statSync(path.join(box.home, 'cache', name)).mtimeMs);
  // The second run uses both caches as they are (a rejected one would be written again).
  t.is(await completion(), first);
  t.deepEqual(
    caches.map((name) => fs.statSync(path.join(box.home, 'cache', name)).mtimeMs),
    times,
  );
});
