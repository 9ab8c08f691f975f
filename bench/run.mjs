#!/usr/bin/env node
// bgrun's benchmark against pm2, forever and a plain `setsid nohup … &`, in one run with
// the tools interleaved (each round runs every tool once, in a rotating order), so that
// machine noise hits them alike. Prints Markdown tables of medians (min–max) and ratios.
//
//   npm run bench                  full run (~8 minutes on 2 cores)
//   npm run bench -- --quick       fewer repetitions, 20 instead of 200 programs (~80 s)
//   npm run bench -- --write       also write BENCHMARKS.md (--write=FILE: another file)
//   npm run bench -- --only start,list   only some sections (start, list, stop, tree, log, monit, rotation)
//
// Everything it starts runs with private state folders under one temporary folder and
// with BENCH_RUN_ID=<id> in its environment; on exit or Ctrl-C it stops all of it through
// each tool, then kills whatever is left by pid (never by name) and removes the folder.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bgrun, Shell } from './bgrun.mjs';
import { Forever, Pm2, installPeers } from './peers.mjs';
import { allProcesses, blockNewRuns, busyShare, cpuTicks, isAlive, killPids, machine, memoryOf, now, pool, run, sleep, waitFor, withEnv } from './proc.mjs';
import { renderReport } from './report.mjs';
import { benchRotation } from './rotation.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(REPO, 'bench', 'fixtures');
const APP = path.join(FIXTURES, 'app.mjs');
const TREE = path.join(FIXTURES, 'tree.mjs');
const WRITER = path.join(FIXTURES, 'writer.mjs');
const NODE = process.execPath;

/**
 * Where the bgrun under test lives: a copy of bin/, dist/ and package.json taken at the
 * start of the run (node_modules linked), so that a rebuild of the working tree during
 * the run can neither break it nor mix two versions into one table.
 */
let CLI_ROOT = REPO;

/**
 * Copies the build aside and checks that the copy runs (a rebuild may have been under
 * way while copying: then it tries again).
 * @param {string} into
 */
async function snapshotBuild(into) {
  for (let attempt = 1; ; attempt++) {
    fs.rmSync(into, { recursive: true, force: true });
    fs.mkdirSync(into, { recursive: true });
    for (const part of ['bin', 'dist']) fs.cpSync(path.join(REPO, part), path.join(into, part), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(into, 'package.json'));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(into, 'node_modules'));
    const home = path.join(TMP, 'probe');
    const ok = await Promise.all(
      [['--version'], ['list', '--json'], ['start', '--help']].map((args) => run([NODE, path.join(into, 'bin', 'bgrun.js'), ...args], { env: { ...BASE_ENV, BGRUN_HOME: home } })),
    );
    if (ok.every((r) => r.code === 0)) return;
    if (attempt === 5) throw new Error(`the build does not run: ${ok.find((r) => r.code !== 0)?.stderr.trim()}`);
    log('the build in the working tree is changing; copying it again in 3 s');
    await sleep(3000);
  }
}

/**
 * The commit the measured build came from, taken when it is copied aside; "-dirty" when
 * the working tree differs from it in anything but the reports this benchmark writes.
 */
async function commitOfBuild() {
  const head = await run(['git', '-C', REPO, 'rev-parse', '--short=10', 'HEAD']).catch(() => null);
  if (head?.code !== 0) return 'unknown';
  const status = await run(['git', '-C', REPO, 'status', '--porcelain', '--', '.', ':!BENCHMARKS.md', ':!docs/benchmarks']).catch(() => null);
  return `${head.stdout.trim()}${status?.code === 0 && status.stdout.trim() === '' ? '' : '-dirty'}`;
}

/**
 * The other build of the CLI, measured beside the one bin/bgrun.js loads: the esbuild
 * bundle (dist/bundle/cli.cjs) when bin/ loads the unbundled dist/bin.js, and the other
 * way round. Null when there is no bundle.
 * @returns {{ entry: string, what: string } | null}
 */
function alternativeCli() {
  const bundle = path.join(CLI_ROOT, 'dist', 'bundle', 'cli.cjs');
  if (!fs.existsSync(bundle)) return null;
  const bin = fs.readFileSync(path.join(CLI_ROOT, 'bin', 'bgrun.js'), 'utf8');
  return bin.includes('cli.cjs')
    ? { entry: path.join(CLI_ROOT, 'dist', 'bin.js'), what: 'unbundled `dist/bin.js`' }
    : { entry: bundle, what: 'esbuild bundle `dist/bundle/cli.cjs`' };
}
/** @type {{ entry: string, what: string } | null} */
let ALT = null;
const SECTIONS = ['start', 'list', 'stop', 'tree', 'log', 'monit', 'rotation'];

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: node bench/run.mjs [--quick] [--write[=FILE]] [--only start,list,stop,tree,log,monit,rotation]');
  process.exit(0);
}
const QUICK = argv.includes('--quick');
const writeArg = argv.find((a) => a === '--write' || a.startsWith('--write='));
/** Where the report goes besides stdout: BENCHMARKS.md, or another file (runs on other Node versions). */
const WRITE = writeArg === undefined ? null : writeArg.includes('=') ? path.resolve(writeArg.slice('--write='.length)) : path.join(REPO, 'BENCHMARKS.md');
const onlyAt = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
const ONLY = onlyAt < 0 ? SECTIONS : (argv[onlyAt].includes('=') ? argv[onlyAt].split('=')[1] : (argv[onlyAt + 1] ?? '')).split(',');
for (const s of ONLY) {
  if (!SECTIONS.includes(s)) {
    console.error(`unknown section '${s}'; sections: ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
}

/** Repetitions (odd, for a true median) and sizes. */
const CONFIG = QUICK
  ? { warmUp: false, idleWindowMs: 1000, startReps: 3, listReps: 3, levels: [1, 20], stopReps: 1, treeReps: 1, logReps: 1, logBytes: 200 * 1024 * 1024, foreverCap: 50 }
  : { warmUp: true, idleWindowMs: 3000, startReps: 11, listReps: 11, levels: [1, 50, 200], stopReps: 7, treeReps: 5, logReps: 5, logBytes: 200 * 1024 * 1024, foreverCap: 50 };

const RUN_ID = `${process.pid}-${randomBytes(4).toString('hex')}`;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-bench-'));

/** The environment every tool gets: the caller's, minus what `npm run` adds, plus our run id. */
const BASE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !['INIT_CWD', 'NODE', 'BGRUN_HOME', 'PM2_HOME', 'FOREVER_ROOT'].includes(k)),
);
BASE_ENV.BENCH_RUN_ID = RUN_ID;

/**
 * Variables that make every Node process pay more at start-up (NODE_EXTRA_CA_CERTS: read
 * and parse a certificate bundle before the first line). The run keeps the caller's
 * environment, as a user's commands would; when one of these is set, the floor and bgrun
 * are also measured without them ("plain Node"), since a fixed cost added to both
 * flatters the ratios.
 */
const STARTUP_VARS = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'].filter((k) => BASE_ENV[k] !== undefined);
/** @param {Record<string, string | undefined>} env */
const plainEnv = (env) => Object.fromEntries(Object.entries(env).filter(([k]) => !STARTUP_VARS.includes(k)));
const PLAIN = STARTUP_VARS.length > 0 ? `without ${STARTUP_VARS.map((k) => `\`${k}\``).join(', ')}` : null;

const STARTED_AT = Date.now();
const log = (/** @type {string} */ line) => process.stderr.write(`[bench +${Math.round((Date.now() - STARTED_AT) / 1000)}s] ${line}\n`);

// ---------------------------------------------------------------------------------------
// Cleanup: through each tool first, then by pid; always, also on Ctrl-C.

/** @type {Pm2[]} */
const pm2s = [];
/** @type {Forever[]} */
const forevers = [];
/** @type {Bgrun[]} */
const bgruns = [];
let cleaning = null;

async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    log('cleaning up…');
    await Promise.all([
      // Only homes still in use: a pm2 command with no daemon would start one.
      ...pm2s.map(async (p) => {
        const daemon = p.daemonPid();
        if (daemon && isAlive(daemon)) await p.kill().catch(() => {});
        if (daemon) killPids([daemon]);
      }),
      ...forevers.map(async (f) => {
        if (f.residentPids().length > 0) await f.stopAll().catch(() => {});
        killPids(f.residentPids());
      }),
      ...bgruns.map(async (b) => {
        if (fs.existsSync(b.home)) await b.stopAll().catch(() => {});
        const supervisor = b.supervisorPid();
        if (supervisor) killPids([supervisor]);
      }),
    ]);
    // Whatever still carries our run id (a program a tool lost track of, a tree's orphan).
    for (let i = 0; i < 3; i++) {
      const left = withEnv('BENCH_RUN_ID', RUN_ID).map((p) => p.pid);
      if (left.length === 0) break;
      if (i === 0) log(`killing ${left.length} leftover process(es) by pid`);
      killPids(left);
      await sleep(200);
    }
    fs.rmSync(TMP, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    blockNewRuns();
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------
// Helpers

let serial = 0;
/** A fresh name usable by every tool. @param {string} prefix */
const freshName = (prefix) => `${prefix}-${++serial}`;

/** @param {string} name */
function section(name) {
  const dir = path.join(TMP, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The marker a program writes first thing: its time and pid.
 * @param {string} file
 * @param {number} [timeoutMs]
 * @returns {Promise<{ time: number, pid: number } | undefined>}
 */
function waitMarker(file, timeoutMs = 30_000) {
  return waitFor(
    () => {
      try {
        const [time, pid] = fs.readFileSync(file, 'utf8').trim().split(' ').map(Number);
        return Number.isFinite(time) && pid > 0 ? { time, pid } : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
    2,
  );
}

/**
 * Waits for a pid to die, then kills it by pid if it did not.
 * @param {number} pid
 * @param {number} [ms]
 */
async function ensureGone(pid, ms = 3000) {
  if (!(await waitFor(() => !isAlive(pid), ms, 10))) killPids([pid]);
}

/**
 * Runs `rounds` rounds; each round runs every subject once, the order rotated each round.
 * @template {{ id: string }} S
 * @param {S[]} subjects
 * @param {number} rounds
 * @param {(subject: S, round: number) => Promise<void>} trial
 * @param {string} what
 * @param {() => Promise<void>} [afterRound]  untimed work between rounds
 */
async function interleave(subjects, rounds, trial, what, afterRound) {
  for (let round = 0; round < rounds; round++) {
    const shift = round % subjects.length;
    const order = [...subjects.slice(shift), ...subjects.slice(0, shift)];
    for (const subject of order) await trial(subject, round);
    await afterRound?.();
    log(`${what}: round ${round + 1}/${rounds}`);
  }
}

/** @param {import('./proc.mjs').RunResult} r @param {string} what */
function check(r, what) {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return r;
}

/** @param {string} file */
function rmFile(file) {
  fs.rmSync(file, { force: true });
}

// ---------------------------------------------------------------------------------------
// 1. Start latency, and time until the program runs its first line.

/**
 * @param {{ pm2: string, forever: string }} peers
 */
async function benchStart(peers) {
  const dir = section('start');
  const bgrun = new Bgrun(CLI_ROOT, path.join(dir, 'bgrun'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  const shell = new Shell(BASE_ENV);
  const bgrunAlt = new Bgrun(CLI_ROOT, bgrun.home, BASE_ENV, ALT?.entry);
  bgruns.push(bgrun);
  pm2s.push(pm2);
  forevers.push(forever);

  /**
   * @typedef {object} StartSubject
   * @property {string} id
   * @property {string} label
   * @property {boolean} [floor]   `node -e 0`: no program to wait for
   * @property {() => Promise<void>} [before]   untimed preparation
   * @property {(name: string, marker: string) => Promise<import('./proc.mjs').RunResult>} start
   */
  /** @type {StartSubject[]} */
  const subjects = [
    { id: 'node', label: '`node -e 0` (floor of any Node CLI)', floor: true, start: () => run([NODE, '-e', '0'], { env: BASE_ENV }) },
    ...(PLAIN
      ? [
          { id: 'node-plain', label: `\`node -e 0\`, ${PLAIN}`, floor: true, start: () => run([NODE, '-e', '0'], { env: plainEnv(BASE_ENV) }) },
          {
            id: 'bgrun0-plain',
            label: `\`bgrun start --wait 0\`, ${PLAIN}`,
            start: (name, marker) => run(bgrun.startArgv(name, APP, [marker], { wait: '0' }), { env: plainEnv(bgrun.env) }),
          },
        ]
      : []),
    {
      id: 'shell',
      label: '`setsid nohup node app.mjs >>log 2>&1 &` (sh)',
      start: (name, marker) => shell.start([NODE, APP, marker], path.join(dir, `${name}.out`), path.join(dir, `${name}.err`)),
    },
    {
      id: 'bgrun0',
      label: '`bgrun start --wait 0`',
      start: (name, marker) => run(bgrun.startArgv(name, APP, [marker], { wait: '0' }), { env: bgrun.env }),
    },
    ...(ALT
      ? [
          {
            id: 'bgrun0-alt',
            label: `\`bgrun start --wait 0\`, ${ALT.what}`,
            start: (name, marker) => run(bgrunAlt.startArgv(name, APP, [marker], { wait: '0' }), { env: bgrunAlt.env }),
          },
        ]
      : []),
    {
      id: 'bgrun',
      label: '`bgrun start` (default 500 ms crash watch)',
      start: (name, marker) => run(bgrun.startArgv(name, APP, [marker]), { env: bgrun.env }),
    },
    {
      id: 'pm2cold',
      label: '`pm2 start`, cold (daemon not running)',
      before: () => pm2.kill(),
      start: (name, marker) => run(pm2.startArgv(name, APP, [marker]), { env: pm2.env }),
    },
    {
      id: 'pm2warm',
      label: '`pm2 start`, warm (daemon running)',
      before: () => pm2.ensureDaemon(),
      start: (name, marker) => run(pm2.startArgv(name, APP, [marker]), { env: pm2.env }),
    },
    {
      id: 'forever',
      label: '`forever start`',
      start: (name, marker) => run(forever.startArgv(name, APP, [marker]), { env: forever.env }),
    },
  ];
  /** @type {Record<string, { ret: number[], first: number[] }>} */
  const samples = Object.fromEntries(subjects.map((s) => [s.id, { ret: [], first: [] }]));

  /** Pids of the programs of this round, removed together once the round is over. */
  const started = [];
  /** @param {StartSubject} s @param {boolean} record */
  const trial = async (s, record) => {
    await s.before?.();
    const name = freshName(`s${s.id}`);
    const marker = path.join(dir, `${name}.marker`);
    const r = check(await s.start(name, marker), s.label);
    if (s.floor) {
      if (record) samples[s.id].ret.push(r.ms);
      return;
    }
    const seen = await waitMarker(marker);
    if (!seen) throw new Error(`${s.label}: the program never ran its first line`);
    if (record) {
      samples[s.id].ret.push(r.ms);
      samples[s.id].first.push(seen.time - r.t0);
    }
    started.push(seen.pid);
    if (s.id === 'shell') killPids([seen.pid], 'SIGTERM');
  };
  // Each tool removes its programs of the round in one command: cheaper than one by one.
  const afterRound = async () => {
    await Promise.all([bgrun.run('rm', 'all'), pm2.daemonPid() ? pm2.run('delete', 'all') : null, forever.run('stopall')]);
    await Promise.all(started.splice(0).map((pid) => ensureGone(pid)));
  };
  if (CONFIG.warmUp) {
    log('start latency: warm-up round');
    for (const s of subjects) await trial(s, false);
    await afterRound();
  }
  await interleave(subjects, CONFIG.startReps, (s) => trial(s, true), 'start latency', afterRound);
  await pm2.kill();
  return { subjects: subjects.map((s) => ({ id: s.id, label: s.label, ...samples[s.id] })) };
}

// ---------------------------------------------------------------------------------------
// 2 and 4. `list` latency and resident memory with 1, 50, 200 managed programs.

/**
 * Sums the resident memory of a tool's own processes.
 * @param {number[]} pids
 */
function residentMemory(pids) {
  let rss = 0;
  let anon = 0;
  let count = 0;
  for (const pid of pids) {
    const m = memoryOf(pid);
    if (!m) continue;
    rss += m.rss;
    anon += m.anon;
    count++;
  }
  return { count, rss, anon };
}

/** Forever is measured up to its cap, and once at the cap for the first level above it. */
const foreverMeasured = (/** @type {number} */ level) =>
  level <= CONFIG.foreverCap || level === CONFIG.levels.find((l) => l >= CONFIG.foreverCap);

/** A benchmark program (not forever's monitor, whose command line names the program too). @param {import('./proc.mjs').ProcEntry} p */
const isProgram = (p) => p.cmdline.includes(APP) && !p.cmdline.includes(path.join('forever', 'bin', 'monitor'));

/**
 * Median resident memory of the programs themselves (pm2 runs its wrapper inside them).
 * @param {string} key  environment variable naming the tool's home
 * @param {string} value
 */
function programMemory(key, value) {
  const rss = withEnv(key, value)
    .filter(isProgram)
    .map((p) => memoryOf(p.pid)?.rss ?? Number.NaN)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return rss.length ? rss[Math.floor(rss.length / 2)] : Number.NaN;
}

/**
 * Starts the named programs (those not running yet) in a bgrun home: with one
 * `bgrun start --config` when this build has config files, else one by one.
 * @param {Bgrun} bgrun
 * @param {string[]} names
 * @param {string | null} restart
 * @param {string} dir  where to write the config file
 */
async function populateBgrun(bgrun, names, restart, dir) {
  const file = path.join(dir, `${path.basename(bgrun.home)}.config.json`);
  const apps = names.map((name) => ({ name, script: APP, ...(restart ? { restart } : {}) }));
  fs.writeFileSync(file, `${JSON.stringify({ apps }, null, 2)}\n`);
  const r = await run(bgrun.argv('start', '--config', file, '--wait', '0'), { env: bgrun.env, timeoutMs: 600_000 });
  if (r.code === 0) return;
  log(`bgrun start --config failed (${r.stderr.trim().split('\n').pop()}); starting them one by one`);
  const have = new Set((await bgrun.listJson()).map((p) => p.name));
  await pool(
    3,
    names
      .filter((n) => !have.has(n))
      .map((n) => async () => check(await run(bgrun.startArgv(n, APP, [], { wait: '0', ...(restart ? { restart } : {}) }), { env: bgrun.env }), 'bgrun start')),
  );
}

/**
 * CPU time (user + system, in ms) used so far by each of the pids.
 * @param {number[]} pids
 */
function cpuTimes(pids) {
  const out = new Map();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Waits until the machine has settled after hundreds of programs were started: their
 * start-up, and the tools' own work after a burst of starts, keep both cores busy for many
 * seconds after every process exists, and a `list` timed then measures that backlog rather
 * than the tool. Settled: two windows of a second in a row with the machine at most 15 %
 * busy, or, where something stays busy for good (pm2's wrappers report metrics from every
 * program; the kernel tracks the memory of 650 processes), a steady load: the last three
 * windows at most 40 % busy and, on average, no less busy than the three before. A minute
 * at most; the report shows how busy it was.
 * @returns {Promise<{ ms: number, busy: number }>}
 */
async function settleDown() {
  const from = now();
  /** @type {number[]} */
  const windows = [];
  const mean = (/** @type {number[]} */ xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const settled = () => {
    const n = windows.length;
    if (n >= 2 && windows[n - 1] <= 0.15 && windows[n - 2] <= 0.15) return true;
    // Steady: the last three seconds no less busy than the three before (the backlog is done).
    if (n < 6) return false;
    const last = windows.slice(-3);
    return Math.max(...last) <= 0.4 && mean(last) >= mean(windows.slice(-6, -3)) - 0.02;
  };
  while (!settled() && now() - from < (QUICK ? 10_000 : 60_000)) {
    const t = cpuTicks();
    await sleep(1000);
    windows.push(busyShare(t, cpuTicks()));
  }
  return { ms: now() - from, busy: windows[windows.length - 1] ?? 0 };
}

/**
 * @param {{ pm2: string, forever: string }} peers
 * @param {boolean} supervised  whether this bgrun build has `start --restart`
 */
async function benchList(peers, supervised) {
  const dir = section('list');
  const bgrun = new Bgrun(CLI_ROOT, path.join(dir, 'bgrun'), BASE_ENV);
  const bgrunSup = new Bgrun(CLI_ROOT, path.join(dir, 'bgrun-supervised'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  bgruns.push(bgrun, bgrunSup);
  pm2s.push(pm2);
  forevers.push(forever);

  const commands = [
    { id: 'node', label: '`node -e 0` (floor)', argv: [NODE, '-e', '0'], env: BASE_ENV },
    ...(PLAIN
      ? [
          { id: 'node-plain', label: `\`node -e 0\`, ${PLAIN}`, argv: [NODE, '-e', '0'], env: plainEnv(BASE_ENV) },
          { id: 'bgrun-json-plain', label: `\`bgrun list --json\`, ${PLAIN}`, argv: bgrun.argv('list', '--json'), env: plainEnv(bgrun.env) },
        ]
      : []),
    { id: 'bgrun-list', label: '`bgrun list`', argv: bgrun.argv('list'), env: bgrun.env },
    { id: 'bgrun-json', label: '`bgrun list --json`', argv: bgrun.argv('list', '--json'), env: bgrun.env },
    ...(ALT ? [{ id: 'bgrun-json-alt', label: `\`bgrun list --json\`, ${ALT.what}`, argv: [NODE, ALT.entry, 'list', '--json'], env: bgrun.env }] : []),
    { id: 'pm2-ls', label: '`pm2 ls`', argv: pm2.argv('ls'), env: pm2.env },
    { id: 'pm2-jlist', label: '`pm2 jlist`', argv: pm2.argv('jlist'), env: pm2.env },
    { id: 'forever-list', label: '`forever list`', argv: forever.argv('list'), env: forever.env, forever: true },
  ];
  /** @type {Record<string, Record<number, number[] | null>>} */
  const times = Object.fromEntries(commands.map((c) => [c.id, {}]));
  /** @type {Record<string, Record<number, object | null>>} */
  const memory = { bgrun: {}, bgrunSup: {}, pm2: {}, forever: {} };

  /** @type {Record<number, { ms: number, busy: number, during?: number }>} */
  const settle = {};
  const have = { bgrun: 0, bgrunSup: 0, pm2: 0, forever: 0 };
  const names = (from, to) => Array.from({ length: to - from }, (_, i) => `p${String(from + i + 1).padStart(4, '0')}`);

  for (const level of CONFIG.levels) {
    const foreverLevel = Math.min(level, CONFIG.foreverCap);
    log(`list/memory: populating to ${level} program(s) per tool (forever: ${foreverLevel})…`);
    const t = now();
    // Populating is not measured: each tool from its own config file, one command each.
    const took = [];
    const timed = async (what, fn) => {
      const t1 = now();
      await fn();
      took.push(`${what} ${((now() - t1) / 1000).toFixed(1)} s`);
    };
    await timed('bgrun', () => populateBgrun(bgrun, names(0, level), null, dir));
    have.bgrun = level;
    if (supervised) {
      await timed('bgrun supervised', () => populateBgrun(bgrunSup, names(0, level), 'always', dir));
      have.bgrunSup = level;
    }
    if (level > have.pm2) {
      await timed('pm2', () => pm2.startMany(names(have.pm2, level).map((n) => ({ name: n, script: APP, args: [] }))));
      have.pm2 = level;
    }
    if (foreverLevel > have.forever) {
      await timed('forever', () => forever.startMany(names(have.forever, foreverLevel).map((uid) => ({ uid, script: APP }))));
      have.forever = foreverLevel;
    }
    log(`list/memory: started (${took.join(', ')}); waiting for every program to run`);
    // Every program up (and pm2's daemon done forking) before anything is timed.
    const ready = await waitFor(
      () => withEnv('BENCH_RUN_ID', RUN_ID).filter(isProgram).length >= level * (supervised ? 3 : 2) + foreverLevel,
      120_000,
      200,
    );
    if (!ready) throw new Error(`not all ${level} programs came up`);
    const bgList = await bgrun.listJson();
    const pmList = await pm2.jlist();
    const fvCount = await forever.count();
    if (bgList.length !== level || bgList.some((p) => p.status !== 'running')) throw new Error(`bgrun list shows ${bgList.length} programs, expected ${level} running`);
    if (pmList.length !== level || pmList.some((p) => p.status !== 'online')) throw new Error(`pm2 jlist shows ${pmList.length} programs, expected ${level} online`);
    if (fvCount !== foreverLevel) throw new Error(`forever list shows ${fvCount} programs, expected ${foreverLevel}`);
    log(`list/memory: ${level} program(s) up in ${((now() - t) / 1000).toFixed(1)} s; waiting for the machine to settle`);
    settle[level] = await settleDown();
    log(`list/memory: settled in ${(settle[level].ms / 1000).toFixed(1)} s (machine ${(100 * settle[level].busy).toFixed(0)} % busy)`);

    // What the tools' own processes burn while nothing is asked of them.
    const residents = {
      bgrun: bgrun.residentPids(FIXTURES),
      bgrunSup: supervised ? [...new Set([bgrunSup.supervisorPid(), ...bgrunSup.residentPids(FIXTURES)].filter((p) => p !== null))] : [],
      pm2: pm2.residentPids(),
      forever: forever.residentPids(),
    };
    // And what the programs themselves burn: the same idle program under each tool, so any
    // difference is the tool's (pm2 runs its wrapper inside every program).
    const procs = withEnv('BENCH_RUN_ID', RUN_ID).filter(isProgram);
    const programsOf = (/** @type {string} */ key, /** @type {string} */ home) => withEnv(key, home, procs).map((p) => p.pid);
    const programs = {
      bgrun: programsOf('BGRUN_HOME', bgrun.home),
      bgrunSup: programsOf('BGRUN_HOME', bgrunSup.home),
      pm2: programsOf('PM2_HOME', pm2.home),
      forever: programsOf('FOREVER_ROOT', forever.root),
    };
    const watched = [...Object.values(residents).flat(), ...Object.values(programs).flat()];
    const idleFrom = now();
    const before = cpuTimes(watched);
    await sleep(CONFIG.idleWindowMs);
    const after = cpuTimes(watched);
    const idleMs = now() - idleFrom;
    /** @param {number[]} pids */
    const idleCpu = (pids) => (100 * pids.reduce((sum, pid) => sum + ((after.get(pid) ?? 0) - (before.get(pid) ?? 0)), 0)) / idleMs;

    const active = commands.filter((c) => !c.forever || foreverMeasured(level));
    for (const c of commands) times[c.id][level] = active.includes(c) ? [] : null;
    if (CONFIG.warmUp) for (const c of active) await run(c.argv, { env: c.env });
    const ticks = cpuTicks();
    await interleave(
      active,
      CONFIG.listReps,
      async (c) => {
        const r = check(await run(c.argv, { env: c.env }), c.label);
        times[c.id][level].push(r.ms);
      },
      `list with ${level}`,
    );
    settle[level].during = busyShare(ticks, cpuTicks());
    log(`list/memory: the machine was ${(100 * settle[level].during).toFixed(0)} % busy during the rounds with ${level}`);

    await sleep(1000);
    /** @param {number[]} pids @param {number[]} programPids @param {number} count @param {string} key @param {string} home */
    const sample = (pids, programPids, count, key, home) => ({
      ...residentMemory(pids),
      programs: count,
      programRss: programMemory(key, home),
      idleCpu: idleCpu(pids),
      programsIdleCpu: idleCpu(programPids),
    });
    memory.bgrun[level] = sample(residents.bgrun, programs.bgrun, level, 'BGRUN_HOME', bgrun.home);
    memory.bgrunSup[level] = supervised ? sample(residents.bgrunSup, programs.bgrunSup, level, 'BGRUN_HOME', bgrunSup.home) : null;
    memory.pm2[level] = sample(residents.pm2, programs.pm2, level, 'PM2_HOME', pm2.home);
    memory.forever[level] = foreverMeasured(level) ? sample(residents.forever, programs.forever, foreverLevel, 'FOREVER_ROOT', forever.root) : null;
  }
  // Not measured, and slow through the tools with 600 programs on 2 cores: by pid, daemons
  // and supervisors first so that nothing restarts what goes next; the homes go too.
  log('list/memory: killing the programs by pid');
  killPids([pm2.daemonPid(), bgrunSup.supervisorPid(), ...forever.residentPids()].filter((p) => p !== null));
  const programs = withEnv('BENCH_RUN_ID', RUN_ID)
    .filter(isProgram)
    .map((p) => p.pid);
  killPids(programs);
  await waitFor(() => programs.every((pid) => !isAlive(pid)), 30_000, 50);
  for (const home of [bgrun.home, bgrunSup.home, pm2.home, forever.root]) fs.rmSync(home, { recursive: true, force: true });
  return {
    levels: CONFIG.levels,
    foreverCap: CONFIG.foreverCap,
    supervised,
    commands: commands.map((c) => ({ id: c.id, label: c.label, byLevel: times[c.id] })),
    memory,
    settle,
  };
}

// ---------------------------------------------------------------------------------------
// 3. Stop latency, for one program that exits on SIGTERM and for a tree of 20 descendants.

/**
 * @param {{ pm2: string, forever: string }} peers
 * @param {boolean} withSimple
 * @param {boolean} withTree
 */
async function benchStop(peers, withSimple, withTree) {
  const dir = section('stop');
  const bgrun = new Bgrun(CLI_ROOT, path.join(dir, 'bgrun'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  const shell = new Shell(BASE_ENV);
  bgruns.push(bgrun);
  pm2s.push(pm2);
  forevers.push(forever);
  await pm2.ensureDaemon();

  /**
   * @typedef {object} StopSubject
   * @property {string} id
   * @property {string} label
   * @property {string} stopLabel
   * @property {(name: string, command: string[]) => Promise<unknown>} start  untimed
   * @property {(name: string, pid: number) => Promise<import('./proc.mjs').RunResult>} stop  timed
   * @property {(name: string) => Promise<unknown>} forget  untimed
   */
  /** @type {StopSubject[]} */
  const subjects = [
    {
      id: 'shell',
      label: 'sh baseline',
      stopLabel: '`kill -s TERM -- -<pgid>`, then wait',
      start: (name, command) => shell.start(command, path.join(dir, `${name}.out`), path.join(dir, `${name}.err`)),
      stop: (_name, pid) => shell.stop(pid),
      forget: async () => {},
    },
    {
      id: 'bgrun',
      label: 'bgrun',
      stopLabel: '`bgrun stop <name>`',
      start: async (name, command) => check(await run(bgrun.startArgv(name, command[1], command.slice(2), { wait: '0' }), { env: bgrun.env }), 'bgrun start'),
      stop: (name) => bgrun.run('stop', name),
      forget: (name) => bgrun.run('rm', name),
    },
    {
      id: 'pm2',
      label: 'pm2',
      stopLabel: '`pm2 stop <name>`',
      start: async (name, command) => check(await run(pm2.startArgv(name, command[1], command.slice(2)), { env: pm2.env }), 'pm2 start'),
      stop: (name) => pm2.run('stop', name),
      forget: (name) => pm2.run('delete', name),
    },
    {
      id: 'forever',
      label: 'forever',
      stopLabel: '`forever stop <uid>`',
      start: async (name, command) => check(await run(forever.startArgv(name, command[1], command.slice(2)), { env: forever.env }), 'forever start'),
      stop: (name) => forever.run('stop', name),
      forget: async () => {},
    },
  ];

  const simple = Object.fromEntries(subjects.map((s) => [s.id, { ms: [], goneAtReturn: 0, trials: 0, signals: {} }]));
  if (withSimple) {
    await interleave(
      subjects,
      CONFIG.stopReps,
      async (s) => {
        const name = freshName(`t${s.id}`);
        const marker = path.join(dir, `${name}.marker`);
        await s.start(name, [NODE, APP, marker]);
        const seen = await waitMarker(marker);
        if (!seen) throw new Error(`${s.label}: the program did not start`);
        const r = check(await s.stop(name, seen.pid), `${s.label} stop`);
        const gone = !isAlive(seen.pid);
        const o = simple[s.id];
        o.ms.push(r.ms);
        o.trials++;
        if (gone) o.goneAtReturn++;
        await ensureGone(seen.pid);
        let signal = 'none (killed)';
        try {
          signal = fs.readFileSync(`${marker}.sig`, 'utf8');
        } catch {
          // no handler ran: SIGKILL
        }
        o.signals[signal] = (o.signals[signal] ?? 0) + 1;
        await s.forget(name);
      },
      'stop latency',
    );
  }

  // forever leaves the tree alone unless started with --killTree: measured both ways.
  /** @type {StopSubject[]} */
  const treeSubjects = [
    ...subjects,
    {
      id: 'forever-t',
      label: 'forever --killTree',
      stopLabel: '`forever stop <uid>` (started with `--killTree`)',
      start: async (name, command) =>
        check(await run(forever.startArgv(name, command[1], command.slice(2), { killTree: true }), { env: forever.env }), 'forever start'),
      stop: (name) => forever.run('stop', name),
      forget: async () => {},
    },
  ];
  const tree = Object.fromEntries(treeSubjects.map((s) => [s.id, { ms: [], orphans: [], descendants: [] }]));
  if (withTree) {
    await interleave(
      treeSubjects,
      CONFIG.treeReps,
      async (s) => {
        const name = freshName(`r${s.id}`);
        const tag = `${RUN_ID}-${name}`;
        const ready = path.join(dir, `${name}.ready`);
        await s.start(name, [NODE, TREE, tag, ready]);
        const rootPid = Number(await waitFor(() => (fs.existsSync(ready) ? fs.readFileSync(ready, 'utf8') : ''), 30_000));
        if (!rootPid) throw new Error(`${s.label}: the tree did not come up`);
        const tagged = () => withEnv('BENCH_TREE', tag).map((p) => p.pid);
        const before = await waitFor(() => {
          const pids = tagged();
          return pids.length >= 20 ? pids : undefined;
        }, 10_000);
        if (!before) throw new Error(`${s.label}: the tree has ${tagged().length} descendants, expected 20`);
        const r = check(await s.stop(name, rootPid), `${s.label} stop (tree)`);
        // A tool may finish its work after its command returned; give it half a second.
        await sleep(500);
        const left = tagged();
        tree[s.id].ms.push(r.ms);
        tree[s.id].descendants.push(before.length);
        tree[s.id].orphans.push(left.length);
        killPids(left);
        await ensureGone(rootPid);
        await s.forget(name);
      },
      'tree stop',
    );
  }
  await pm2.kill();
  await forever.stopAll();
  return {
    subjects: treeSubjects.map((s) => ({
      id: s.id,
      label: s.label,
      stopLabel: s.stopLabel,
      simple: withSimple && simple[s.id] ? simple[s.id] : null,
      tree: withTree ? tree[s.id] : null,
    })),
  };
}

// ---------------------------------------------------------------------------------------
// 5. Log throughput: a program writing 200 MB to stdout as fast as it can.

/**
 * Bytes of the writer's own lines in a log (tools may add lines of their own).
 * @param {string} file
 * @param {number} expected
 */
async function writerBytes(file, expected) {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    return 0;
  }
  if (size === expected) return size;
  let kept = 0;
  let rest = '';
  for await (const chunk of fs.createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.length === 63 && line.startsWith('line ')) kept += 64;
  }
  return kept;
}

/**
 * @param {{ pm2: string, forever: string }} peers
 */
async function benchLog(peers) {
  const dir = section('log');
  const bgrun = new Bgrun(CLI_ROOT, path.join(dir, 'bgrun'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  const shell = new Shell(BASE_ENV);
  bgruns.push(bgrun);
  pm2s.push(pm2);
  forevers.push(forever);
  await pm2.ensureDaemon();
  const bytes = CONFIG.logBytes;

  const subjects = [
    {
      id: 'shell',
      label: '`setsid nohup node writer.mjs >>log &` (sh)',
      start: (name, args) => shell.start([NODE, WRITER, ...args], path.join(dir, `${name}.log`), path.join(dir, `${name}.err`)),
      logFile: (name) => path.join(dir, `${name}.log`),
      forget: async () => {},
    },
    {
      id: 'bgrun',
      label: '`bgrun start writer.mjs`',
      start: (name, args) => run(bgrun.startArgv(name, WRITER, args), { env: bgrun.env }),
      logFile: (name) => path.join(bgrun.home, 'logs', `${name}.out.log`),
      forget: (name) => bgrun.run('rm', name),
    },
    {
      id: 'pm2',
      label: '`pm2 start writer.mjs --no-autorestart`',
      start: (name, args) =>
        run(pm2.startArgv(name, WRITER, args, { once: true, out: path.join(dir, `${name}.log`), err: path.join(dir, `${name}.err`) }), { env: pm2.env }),
      logFile: (name) => path.join(dir, `${name}.log`),
      forget: (name) => pm2.run('delete', name),
    },
    {
      id: 'forever',
      label: '`forever start -m 1 -l <log> writer.mjs`',
      start: (name, args) => run(forever.startArgv(name, WRITER, args, { once: true, log: path.join(dir, `${name}.log`) }), { env: forever.env }),
      logFile: (name) => path.join(dir, `${name}.log`),
      forget: (name) => forever.run('stop', name),
    },
  ];
  const samples = Object.fromEntries(subjects.map((s) => [s.id, { ms: [], kept: [], firstLine: [], writing: [] }]));
  await interleave(
    subjects,
    CONFIG.logReps,
    async (s) => {
      const name = freshName(`w${s.id}`);
      const end = path.join(dir, `${name}.end`);
      const file = s.logFile(name);
      const t0 = now();
      const started = s.start(name, [String(bytes), end]);
      // Done: all bytes are in the log, or the writer has ended and the log stopped growing.
      // Polled while the start command still runs (bgrun's crash watch may outlast the writer).
      let size = 0;
      let grewAt = t0;
      for (;;) {
        let current = 0;
        try {
          current = fs.statSync(file).size;
        } catch {
          // not created yet
        }
        if (current !== size) {
          size = current;
          grewAt = now();
        }
        if (size >= bytes) break;
        if (fs.existsSync(end) && now() - grewAt > 3000) break;
        if (now() - t0 > 300_000) break;
        await sleep(2);
      }
      check(await started, s.label);
      const o = samples[s.id];
      o.ms.push(grewAt - t0);
      o.kept.push(await writerBytes(file, bytes));
      const times = await waitFor(() => {
        const [first, last] = (fs.existsSync(end) ? fs.readFileSync(end, 'utf8') : '').split(' ').map(Number);
        return last > 0 ? { first, last } : undefined;
      }, 30_000);
      o.firstLine.push(times ? times.first - t0 : Number.NaN);
      o.writing.push(times ? times.last - times.first : Number.NaN);
      await s.forget(name);
      rmFile(file);
    },
    'log throughput',
  );
  await pm2.kill();
  await forever.stopAll();
  return { bytes, subjects: subjects.map((s) => ({ id: s.id, label: s.label, ...samples[s.id] })) };
}

// ---------------------------------------------------------------------------------------

/** The 1, 5 and 15 minute load averages. */
/**
 * `bgrun monit` with many programs (bgrun only: no peer has the same view to compare).
 * The screen alone is timed in this process from the build under test (200 rows with
 * full 2-minute histories, at 80 x 24 and 200 x 50); one refresh's data (listApps) too;
 * then the real command runs under a pseudo-terminal (util-linux script) for a window,
 * and its own CPU and memory are read from /proc.
 */
async function benchMonit() {
  const dir = section('monit');
  const count = QUICK ? 20 : 200;
  const bgrun = new Bgrun(CLI_ROOT, path.join(dir, 'home'), BASE_ENV);
  bgruns.push(bgrun);
  log(`monit: starting ${count} programs`);
  await populateBgrun(
    bgrun,
    Array.from({ length: count }, (_, i) => `m${i}`),
    null,
    dir,
  );
  const settle = await settleDown();
  const load = async (file) => import(pathToFileURL(path.join(CLI_ROOT, 'dist', ...file.split('/'))).href);
  const { renderScreen } = await load('monit/view.js');
  const { listApps } = await load('core/lifecycle/list.js');
  const { createContext } = await load('core/context.js');
  const rows = Array.from({ length: count }, (_, i) => ({
    name: `m${i}`,
    status: 'running',
    kind: 'running',
    pid: 100000 + i,
    cpu: i % 9,
    memory: 40e6 + i * 1e4,
    restarts: i % 3,
    uptimeMs: 3_600_000,
    cpuHistory: Array.from({ length: 120 }, (_, s) => (s * (i + 1)) % 100),
    memoryHistory: Array.from({ length: 120 }, (_, s) => 40e6 + s * 1e3),
  }));
  const state = { rows, selected: Math.floor(count / 2), total: count, filter: '', filtering: false, message: '', log: Array.from({ length: 20 }, (_, i) => ({ text: `line ${i}`, err: i % 5 === 0 })), clock: '12:00:00' };
  const timeRender = (width, height) => {
    const ms = [];
    for (let i = 0; i < (QUICK ? 21 : 101); i++) {
      const t0 = now();
      renderScreen(state, width, height, { color: true, unicode: true, historySeconds: 120 });
      ms.push(now() - t0);
    }
    return ms;
  };
  const small = timeRender(80, 24);
  const large = timeRender(200, 50);
  const ctx = createContext({ env: bgrun.env });
  const refresh = [];
  for (let i = 0; i < (QUICK ? 5 : 21); i++) {
    const t0 = now();
    await listApps(ctx);
    refresh.push(now() - t0);
  }

  const windowMs = QUICK ? 5000 : 20_000;
  log(`monit: running it under a pseudo-terminal for ${windowMs / 1000} s`);
  const script = spawn('script', ['-qfec', `stty cols 120 rows 40; exec '${NODE}' '${path.join(CLI_ROOT, 'bin', 'bgrun.js')}' monit`, '/dev/null'], {
    env: bgrun.env,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const exited = new Promise((resolve) => script.once('close', resolve));
  const monitPid = await waitFor(() => {
    const pid = Number(fs.readFileSync(`/proc/${script.pid}/task/${script.pid}/children`, 'utf8').trim().split(' ')[0]);
    return pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('monit') ? pid : 0;
  }, 30_000, 50);
  if (!monitPid) throw new Error('monit did not start under script');
  // Past its start-up and first refreshes.
  await sleep(3000);
  const before = cpuTimes([monitPid]).get(monitPid) ?? 0;
  const t0 = now();
  await sleep(windowMs);
  const cpuMs = (cpuTimes([monitPid]).get(monitPid) ?? 0) - before;
  const elapsed = now() - t0;
  const memory = memoryOf(monitPid);
  script.stdin.write('q');
  await Promise.race([exited, sleep(10_000)]);
  if (script.exitCode === null) killPids([script.pid, monitPid]);
  await bgrun.stopAll().catch(() => {});
  return { programs: count, settle, small, large, refresh, cpu: (100 * cpuMs) / elapsed, windowMs: elapsed, rss: memory?.rss ?? null };
}

function loadAverage() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main() {
  const began = now();
  const loadBefore = loadAverage();
  log(`run ${RUN_ID}, temporary folder ${TMP}${QUICK ? ', quick mode' : ''}`);
  const peers = await installPeers(path.join(REPO, '.bench-cache'), log);
  CLI_ROOT = path.join(TMP, 'bgrun-build');
  await snapshotBuild(CLI_ROOT);
  const commit = await commitOfBuild();
  ALT = alternativeCli();
  const probe = new Bgrun(CLI_ROOT, path.join(TMP, 'probe'), BASE_ENV);
  const supervised = await probe.hasSupervisor();
  const versions = {
    bgrun: await probe.version(),
    pm2: new Pm2(peers.pm2, path.join(TMP, 'probe-pm2'), BASE_ENV).version(),
    forever: new Forever(peers.forever, path.join(TMP, 'probe-forever'), BASE_ENV).version(),
    setsid: await new Shell(BASE_ENV).version(),
  };
  if (!supervised) log('supervised mode not built yet (`bgrun start --help` has no --restart): its memory shows n/a');

  /** @type {Record<string, unknown>} */
  const results = {};
  if (ONLY.includes('start')) results.start = await benchStart(peers);
  if (ONLY.includes('list')) results.list = await benchList(peers, supervised);
  if (ONLY.includes('stop') || ONLY.includes('tree')) results.stop = await benchStop(peers, ONLY.includes('stop'), ONLY.includes('tree'));
  if (ONLY.includes('log')) results.log = await benchLog(peers);
  if (ONLY.includes('monit')) results.monit = await benchMonit();
  if (ONLY.includes('rotation')) {
    results.rotation = await benchRotation({
      cliRoot: CLI_ROOT,
      dir: section('rotation'),
      env: BASE_ENV,
      quick: QUICK,
      log,
      track: (b) => bgruns.push(b),
      fixture: path.join(FIXTURES, 'paced.mjs'),
    });
  }

  const meta = {
    date: new Date().toISOString(),
    commit,
    load: { before: loadBefore, after: loadAverage() },
    nice: os.getPriority(),
    alt: ALT?.what ?? null,
    plain: PLAIN,
    startupVars: STARTUP_VARS,
    machine: machine(),
    versions,
    quick: QUICK,
    config: CONFIG,
    sections: ONLY,
    seconds: (now() - began) / 1000,
    command: `${os.getPriority() ? `nice -n ${os.getPriority()} ` : ''}npm run bench${QUICK || WRITE ? ' --' : ''}${QUICK ? ' --quick' : ''}${WRITE ? ` ${writeArg}` : ''}`,
  };
  const { body, full } = renderReport(meta, results);
  process.stdout.write(`${body}\n`);
  if (WRITE) {
    fs.mkdirSync(path.dirname(WRITE), { recursive: true });
    fs.writeFileSync(WRITE, full);
    log(`wrote ${path.relative(REPO, WRITE)}`);
  }
  log(`done in ${meta.seconds.toFixed(0)} s`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  if (!(error instanceof Error && error.message === 'interrupted')) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  exitCode = 1;
} finally {
  await cleanup();
  const left = allProcesses().filter((p) => p.environ.includes(`\0BENCH_RUN_ID=${RUN_ID}\0`));
  if (left.length > 0) log(`warning: ${left.length} process(es) of this run survived: ${left.map((p) => p.pid).join(' ')}`);
}
process.exit(exitCode);
