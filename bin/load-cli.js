// Loads the CLI bundle with a V8 code cache on Nodes that have no compile cache of their own
// (Node 22.1+ has module.enableCompileCache, which bin/bgrun.js uses instead). Compiling the
// bundle is a large part of every command (Node 20: start --wait 0 43.9 -> 39.3 ms, list
// --json with 200 programs 44.9 -> 41.7 ms), so the compiled code is kept and reused.
//
// The cache lives in the state folder (private to its user, like everything bgrun keeps),
// in `cache/`, one file per command, named for the installation, the Node version and the
// bundle file, so an upgrade of either starts a new one. It is only read from folders that
// belong to this user and that no one else can write: V8 trusts a code cache it accepts.
// Anything unusual (a foreign or unwritable folder, a rejected cache) falls back to a plain
// compile: the cache can make bgrun faster, never break it.
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

/** A short stable name for the installation (its bundle's path), FNV-1a: no node:crypto to load. */
function installationId(bundle) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bundle.length; i++) hash = Math.imul(hash ^ bundle.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}

/**
 * `cli-<installation>-<node>-<arch>-<bundle identity>-<command>.v8`. V8 checks only the
 * source's length, so the name changes whenever the bundle file does (inode, size, times).
 */
function cacheFileName(bundle, st, command) {
  const key = [installationId(bundle), process.version, process.arch, st.ino, st.size, Math.trunc(st.mtimeMs), Math.trunc(st.ctimeMs)].join('-');
  return `cli-${key}-${/^[a-z]{1,16}$/.test(command) ? command : 'other'}.v8`;
}

/** Runs a CLI bundle (dist/bundle/*.cjs) and returns its exports, as require() would. */
function loadCli(bundle) {
  // The folder checks need uids (not on Windows, which bgrun does not support anyway).
  if (typeof process.getuid !== 'function') return require(bundle);

  let source;
  let name;
  try {
    const fd = fs.openSync(bundle, 'r');
    try {
      // One cache per command: each holds the functions its command compiled (a `start` run
      // from a cache made by `list` compiles half of its code again).
      name = cacheFileName(bundle, fs.fstatSync(fd), process.argv[2] ?? '');
      source = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return require(bundle);
  }
  const home = stateHome(process.env);
  const dir = path.join(home, 'cache');
  const file = path.join(dir, name);
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
      if (code === 0) writeCache(home, dir, file, script);
    });
  }
  // The arguments Node's own loader gives a CommonJS file; and this loader, for the bundle of
  // rare commands that this one loads when it needs it (scripts/bundle-cli.mjs).
  const mod = { exports: {}, filename: bundle, id: bundle, bgrunLoad: loadCli };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, path.dirname(bundle));
  return mod.exports;
}

function writeCache(home, dir, file, script) {
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
    // This installation's caches of other versions (another installation keeps its own), and
    // files of writers killed before their rename.
    const base = path.basename(file);
    const installation = base.slice(0, base.indexOf('-', 'cli-'.length) + 1);
    const version = base.slice(0, base.lastIndexOf('-') + 1);
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith(installation) && (!old.startsWith(version) || old.endsWith('.tmp'))) fs.rmSync(path.join(dir, old), { force: true });
    }
  } catch {
    // A cache is an optimisation; a full disk or a read-only folder costs only speed.
  }
}

module.exports = { loadCli, stateHome, cacheFileName };
