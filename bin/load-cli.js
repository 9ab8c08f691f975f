// Loads the CLI bundle with a V8 code cache on Nodes that have no compile cache of their own
// (Node 22.1+ has module.enableCompileCache, which bin/bgrun.js uses instead). Compiling the
// bundle is a large part of every command (list --json with 200 programs: 45 -> 39 ms on
// Node 20, BENCHMARKS.md), so the compiled code is kept after the first run and reused.
//
// The cache lives in the state folder (private to its user, like everything bgrun keeps),
// in `cache/`, named for the Node version and the bundle file, so an upgrade of either
// starts a new one. It is only read from folders that belong to this user and that no one
// else can write: V8 trusts a code cache it accepts. Anything unusual (old Node, foreign
// or unwritable folder, rejected cache) falls back to a plain require: the cache can make
// bgrun faster, never break it.
'use strict';
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** The state folder, as src/core/paths.ts resolves it (kept in step by a test). */
function stateHome(env) {
  if (env.BGRUN_HOME) return path.resolve(env.BGRUN_HOME);
  if (env.XDG_STATE_HOME) return path.join(path.resolve(env.XDG_STATE_HOME), 'bgrun');
  return path.join(require('node:os').homedir(), '.local', 'state', 'bgrun');
}

/** True for a folder that is ours and that no other user can write (the home may be a link, the cache folder not). */
function isPrivateFolder(dir, followLink) {
  const st = (followLink ? fs.statSync : fs.lstatSync)(dir, { throwIfNoEntry: false });
  return st !== undefined && st.isDirectory() && st.uid === process.getuid() && (st.mode & 0o022) === 0;
}

function loadCli(bundle) {
  // The folder checks need uids (not on Windows, which bgrun does not support anyway).
  if (typeof process.getuid !== 'function') return require(bundle);

  let source;
  let key;
  try {
    const fd = fs.openSync(bundle, 'r');
    try {
      const st = fs.fstatSync(fd);
      source = fs.readFileSync(fd, 'utf8');
      // V8 checks only the source's length: the key must change whenever the file does.
      key = [process.version, process.arch, st.ino, st.size, Math.trunc(st.mtimeMs), Math.trunc(st.ctimeMs)].join('-');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return require(bundle);
  }
  const home = stateHome(process.env);
  const dir = path.join(home, 'cache');
  // One cache per command: each holds the functions its command compiled (a `start` from a
  // cache made by `list` compiles half of its code again).
  const word = process.argv[2] ?? '';
  const file = path.join(dir, `cli-${key}-${/^[a-z][a-z-]{0,15}$/.test(word) ? word : 'other'}.v8`);
  let cachedData;
  try {
    if (isPrivateFolder(home, true) && isPrivateFolder(dir, false)) cachedData = fs.readFileSync(file);
  } catch {
    // No cache yet.
  }

  // The bundle has no dynamic import() of its own (scripts/bundle-cli.mjs): vm needs no module loader for it.
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the command ran, so that the cache also holds the functions it compiled on the way.
    process.once('exit', (code) => {
      // Not after a failure (a typo, a refused start): it would keep a cache of the wrong path.
      if (code === 0) writeCache(home, dir, `cli-${key}-`, file, script);
    });
  }
  // The arguments Node's own loader gives a CommonJS file.
  const mod = { exports: {}, filename: bundle, id: bundle };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
}

function writeCache(home, dir, current, file, script) {
  try {
    // Only where the CLI already made its state folder: a command that failed before that leaves nothing.
    if (!isPrivateFolder(home, true)) return;
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (error.code !== 'EEXIST') return;
  }
  try {
    if (!isPrivateFolder(dir, false)) return;
    // Written aside and renamed, so that a concurrent command never reads half a cache.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, file);
    // Caches of other versions, and files of writers killed before their rename.
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith('cli-') && (!old.startsWith(current) || old.endsWith('.tmp'))) fs.rmSync(path.join(dir, old), { force: true });
    }
  } catch {
    // A cache is an optimisation; a full disk or a read-only folder costs only speed.
  }
}

module.exports = { loadCli, stateHome };
