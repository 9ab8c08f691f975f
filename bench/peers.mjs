// The peers bgrun is measured against: pm2 and forever (installed on demand into a
// cache folder, never into the project's dependencies), and the plain shell baseline.
// Every peer gets a private home (PM2_HOME, FOREVER_ROOT) so the user's real setup is
// never touched.
import fs from 'node:fs';
import path from 'node:path';
import { allProcesses, runOk, withEnv } from './proc.mjs';
import { Tool } from './tool.mjs';

/** Pinned so that figures from different runs compare; bump deliberately. */
export const PEER_VERSIONS = { pm2: '7.0.4', forever: '4.0.3' };

/**
 * Installs pm2 and forever into `cacheDir` unless the pinned versions are already there.
 * @param {string} cacheDir
 * @param {(line: string) => void} log
 * @returns {Promise<{ pm2: string, forever: string }>} the paths of their package folders
 */
export async function installPeers(cacheDir, log) {
  const modules = path.join(cacheDir, 'node_modules');
  const installed = (name) => {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8'));
      return pkg.version === PEER_VERSIONS[name];
    } catch {
      return false;
    }
  };
  if (!installed('pm2') || !installed('forever')) {
    log(`installing pm2@${PEER_VERSIONS.pm2} and forever@${PEER_VERSIONS.forever} into ${cacheDir} (once)…`);
    fs.mkdirSync(cacheDir, { recursive: true });
    // A package.json of its own keeps npm from walking up into the project's.
    const manifest = path.join(cacheDir, 'package.json');
    if (!fs.existsSync(manifest)) fs.writeFileSync(manifest, '{ "name": "bgrun-bench-cache", "private": true }\n');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await runOk(
      [
        npm,
        'install',
        '--prefix',
        cacheDir,
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `pm2@${PEER_VERSIONS.pm2}`,
        `forever@${PEER_VERSIONS.forever}`,
      ],
      { timeoutMs: 600_000 },
    );
  }
  return { pm2: path.join(modules, 'pm2'), forever: path.join(modules, 'forever') };
}

/**
 * pm2, driven through its CLI with a private PM2_HOME.
 */
export class Pm2 extends Tool {
  /**
   * @param {string} pkgDir   the pm2 package folder
   * @param {string} home     its PM2_HOME
   * @param {NodeJS.ProcessEnv} baseEnv
   */
  constructor(pkgDir, home, baseEnv) {
    super(path.join(pkgDir, 'bin', 'pm2'), { ...baseEnv, PM2_HOME: home });
    this.home = home;
    fs.mkdirSync(home, { recursive: true });
  }

  /**
   * argv of `pm2 start` for one program.
   * @param {string} name
   * @param {string} script
   * @param {string[]} args
   * @param {{ once?: boolean, out?: string, err?: string }} [options]
   */
  startArgv(name, script, args, options = {}) {
    const extra = [];
    if (options.once) extra.push('--no-autorestart');
    if (options.out) extra.push('-o', options.out);
    if (options.err) extra.push('-e', options.err);
    return this.argv('start', script, '--name', name, ...extra, '--', ...args);
  }

  /**
   * Starts many programs with one ecosystem file (only to populate; not timed).
   * @param {{ name: string, script: string, args: string[] }[]} apps
   */
  async startMany(apps) {
    const file = path.join(this.home, `ecosystem-${apps[0]?.name ?? 'none'}.json`);
    fs.writeFileSync(file, JSON.stringify({ apps }, null, 2));
    await this.runOk('start', file);
  }

  /** @returns {Promise<{ name: string, pid: number, status: string }[]>} */
  async jlist() {
    const r = await this.runOk('jlist');
    const start = r.stdout.indexOf('[');
    const apps = JSON.parse(r.stdout.slice(start));
    return apps.map((a) => ({ name: a.name, pid: a.pid, status: a.pm2_env?.status }));
  }

  /** The God daemon's pid, while it runs. */
  daemonPid() {
    try {
      return Number(fs.readFileSync(path.join(this.home, 'pm2.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  /** Starts the daemon if it is not running (not timed). */
  async ensureDaemon() {
    await this.runOk('ping');
  }

  /** Stops every program and the daemon. */
  async kill() {
    await this.runCleanup(['kill']);
  }

  /** Processes that are pm2's own (its daemon), not the programs. */
  residentPids() {
    const pid = this.daemonPid();
    return pid ? [pid] : [];
  }

  version() {
    return JSON.parse(fs.readFileSync(path.join(this.bin, '..', '..', 'package.json'), 'utf8')).version;
  }
}

/**
 * forever, driven through its CLI with a private FOREVER_ROOT. Each program gets
 * a monitor process of its own.
 */
export class Forever extends Tool {
  /**
   * @param {string} pkgDir   the forever package folder
   * @param {string} root     its FOREVER_ROOT
   * @param {NodeJS.ProcessEnv} baseEnv
   */
  constructor(pkgDir, root, baseEnv) {
    super(path.join(pkgDir, 'bin', 'forever'), { ...baseEnv, FOREVER_ROOT: root });
    this.root = root;
    fs.mkdirSync(root, { recursive: true });
  }

  /**
   * argv of `forever start` for one program; its output goes to one log file
   * (forever's default layout), `once` runs it only once (no restart on exit).
   * @param {string} uid
   * @param {string} script
   * @param {string[]} args
   * @param {{ once?: boolean, log?: string, killTree?: boolean }} [options]
   */
  startArgv(uid, script, args, options = {}) {
    const log = options.log ?? path.join(this.root, `${uid}.log`);
    const extra = options.once ? ['-m', '1'] : [];
    if (options.killTree) extra.push('--killTree');
    return this.argv('start', '--uid', uid, '-a', '-l', log, ...extra, script, ...args);
  }

  /**
   * Starts many programs with one JSON file (forever's own config format; only to
   * populate, not timed). Each still gets its monitor process.
   * @param {{ uid: string, script: string }[]} apps
   */
  async startMany(apps) {
    const file = path.join(this.root, `apps-${apps[0]?.uid ?? 'none'}.json`);
    const entries = apps.map((a) => ({ ...a, append: true, logFile: path.join(this.root, `${a.uid}.log`) }));
    fs.writeFileSync(file, JSON.stringify(entries, null, 2));
    await runOk(this.argv('start', file), { env: this.env, timeoutMs: 600_000 });
  }

  /** How many programs `forever list` shows. */
  async count() {
    const r = await this.run('list');
    return (r.stdout.match(/\[\d+\]/g) ?? []).length;
  }

  /** Stops every program (and so their monitors). */
  async stopAll() {
    await this.runCleanup(['stopall']);
  }

  /** The monitor processes: forever's own resident processes, one per program. */
  residentPids() {
    return withEnv('FOREVER_ROOT', this.root, allProcesses())
      .filter((p) => p.cmdline.includes(path.join('forever', 'bin', 'monitor')))
      .map((p) => p.pid);
  }

  version() {
    return JSON.parse(fs.readFileSync(path.join(this.bin, '..', '..', 'package.json'), 'utf8')).version;
  }
}
