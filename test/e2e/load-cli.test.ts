// The code cache bin/load-cli.js keeps for Nodes without a compile cache of their own. It is
// exercised here directly, on every Node version, with a copy of the bundle the test can edit.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { resolveHome } from '../../src/core/paths.js';
import { ROOT, sandbox } from '../helpers/bgrun.js';

const LOADER = path.join(ROOT, 'bin', 'load-cli.js');
const { stateHome, cacheFileName } = createRequire(import.meta.url)(LOADER) as {
  stateHome: (env: NodeJS.ProcessEnv) => string;
  cacheFileName: (bundle: string, st: fs.Stats, command: string) => string;
};
const MESSAGE = 'no programs; start one with';
const EDITED = 'NO PROGRAMS; start one with';

/** A copy of the bundle and a script that loads it through the loader, in the sandbox. */
function setUp(t: Parameters<typeof sandbox>[0]) {
  const box = sandbox(t);
  fs.mkdirSync(box.home, { mode: 0o700 });
  const bundle = path.join(box.dir, 'bundle', 'cli.cjs');
  fs.mkdirSync(path.dirname(bundle));
  fs.copyFileSync(path.join(ROOT, 'dist', 'bundle', 'cli.cjs'), bundle);
  const entry = path.join(box.dir, 'entry.cjs');
  fs.writeFileSync(entry, `require(${JSON.stringify(LOADER)}).loadCli(${JSON.stringify(bundle)});\n`);
  const cacheDir = path.join(box.home, 'cache');
  return {
    bundle,
    cacheDir,
    list: async (args = ['list']) => {
      const r = await execa(process.execPath, [entry, ...args], { env: box.env, reject: false });
      return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    caches: () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []),
    /** Edits the bundle in place without changing its length: all V8 itself would notice. */
    edit: () => {
      const source = fs.readFileSync(bundle, 'utf8');
      t.true(source.includes(MESSAGE));
      fs.writeFileSync(bundle, source.replace(MESSAGE, EDITED));
    },
    /** The name the loader gives the cache of the bundle as it is now. */
    keyOf: (command = 'list') => cacheFileName(bundle, fs.statSync(bundle), command),
  };
}

test('the loader finds the same state folder as the CLI', (t) => {
  for (const env of [{ BGRUN_HOME: 'rel/home' }, { BGRUN_HOME: '/abs/home', XDG_STATE_HOME: '/xdg' }, { XDG_STATE_HOME: '/xdg' }, {}]) {
    t.is(stateHome(env), resolveHome(env), JSON.stringify(env));
  }
});

test('the first command leaves a private code cache and the next one uses it as it is', async (t) => {
  const s = setUp(t);
  const first = await s.list();
  t.is(first.exitCode, 0, first.stderr);
  t.true(first.stdout.includes(MESSAGE));
  t.deepEqual(s.caches(), [s.keyOf()]);
  const file = path.join(s.cacheDir, s.keyOf());
  t.is(fs.statSync(s.cacheDir).mode & 0o777, 0o700);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  const before = fs.statSync(file);
  const second = await s.list();
  t.is(second.stdout, first.stdout);
  // A rejected cache would have been written again (a new file renamed over the old one).
  const after = fs.statSync(file);
  t.is(after.ino, before.ino);
  t.is(after.mtimeMs, before.mtimeMs);
});

test('a bundle edited in place (same length) is never run from the old cache', async (t) => {
  const s = setUp(t);
  t.true((await s.list()).stdout.includes(MESSAGE));
  const oldCache = s.caches();
  s.edit();
  const after = await s.list();
  t.is(after.exitCode, 0, after.stderr);
  t.true(after.stdout.includes(EDITED), after.stdout);
  // The old version's cache is replaced by the new one.
  t.deepEqual(s.caches(), [s.keyOf()]);
  t.notDeepEqual(s.caches(), oldCache);
});

test('a cache in a folder others can write is not read (V8 would trust it)', async (t) => {
  const s = setUp(t);
  t.true((await s.list()).stdout.includes(MESSAGE));
  const [stale] = s.caches();
  s.edit();
  // Plant the old bundle's cache under the edited bundle's name: only the folder check stands between it and V8.
  fs.renameSync(path.join(s.cacheDir, stale!), path.join(s.cacheDir, s.keyOf()));
  fs.chmodSync(s.cacheDir, 0o777);
  const shared = await s.list();
  t.true(shared.stdout.includes(EDITED), shared.stdout);
  // The control: the same planted cache in a private folder is run, old code and all. This is
  // why the key names the file's identity; if V8 ever checks the source itself, this fails.
  fs.chmodSync(s.cacheDir, 0o700);
  const trusted = await s.list();
  t.true(trusted.stdout.includes(MESSAGE), trusted.stdout);
});

test('a corrupt cache is rejected, the command works and the cache is written again', async (t) => {
  const s = setUp(t);
  await s.list();
  const file = path.join(s.cacheDir, s.keyOf());
  fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 0x5a));
  const r = await s.list();
  t.is(r.exitCode, 0, r.stderr);
  t.true(r.stdout.includes(MESSAGE));
  t.false(fs.readFileSync(file).every((b) => b === 0x5a));
});

test('each command keeps its own cache; a failed command keeps none', async (t) => {
  const s = setUp(t);
  t.is((await s.list(['list', '--json'])).exitCode, 0);
  const show = await s.list(['show', 'nothing-here']);
  t.is(show.exitCode, 1, show.stderr);
  t.deepEqual(s.caches(), [s.keyOf('list')]);
  t.is((await s.list(['ls'])).exitCode, 0);
  t.deepEqual(s.caches().sort(), [s.keyOf('ls'), s.keyOf('list')].sort());
  // A new version of the bundle replaces the caches of the old one.
  s.edit();
  t.is((await s.list(['ls'])).exitCode, 0);
  t.deepEqual(s.caches(), [s.keyOf('ls')]);
});

test('two installations sharing a state folder keep their own caches', async (t) => {
  const a = setUp(t);
  const b = setUp(t);
  // b's bundle, run against a's state folder.
  const entryB = path.join(path.dirname(path.dirname(b.bundle)), 'entry.cjs');
  const runB = () => execa(process.execPath, [entryB, 'list'], { env: { BGRUN_HOME: path.dirname(a.cacheDir), NO_COLOR: '1' }, reject: false });
  t.is((await a.list()).exitCode, 0);
  t.is((await runB()).exitCode, 0);
  const both = a.caches().sort();
  t.deepEqual(both, [a.keyOf(), b.keyOf()].sort());
  const before = both.map((f) => fs.statSync(path.join(a.cacheDir, f)).ino);
  t.is((await a.list()).exitCode, 0);
  t.is((await runB()).exitCode, 0);
  t.deepEqual(
    a.caches().sort().map((f) => fs.statSync(path.join(a.cacheDir, f)).ino),
    before,
  );
});

test('a command that fails before making the state folder leaves no cache behind', async (t) => {
  const s = setUp(t);
  fs.rmSync(path.dirname(s.cacheDir), { recursive: true });
  const r = await s.list(['no-such-command']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /^bgrun: unknown command 'no-such-command'/);
  t.false(fs.existsSync(path.dirname(s.cacheDir)));
});
