// What the benchmark's runner (run.mjs) and its sections (phases/*.mjs) share: the options
// of this run, its temporary folder and environment, the tools to clean up, and small helpers.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockNewRuns, isAlive, killPids, sleep, waitFor, withEnv } from './proc.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(REPO, 'bench', 'fixtures');
export const APP = path.join(FIXTURES, 'app.mjs');
export const TREE = path.join(FIXTURES, 'tree.mjs');
export const WRITER = path.join(FIXTURES, 'writer.mjs');
export const NODE = process.execPath;

/**
 * Where the bgrun under test lives (`cliRoot`): a copy of bin/, dist/ and package.json taken at the
 * start of the run (node_modules linked), so that a rebuild of the working tree during
 * the run can neither break it nor mix two versions into one table; `alt`: the other build
 * of the CLI measured beside it (run.mjs sets both).
 * @type {{ cliRoot: string, alt: { entry: string, what: string } | null }}
 */
export const build = { cliRoot: REPO, alt: null };

export const SECTIONS = ['start', 'list', 'stop', 'tree', 'log', 'monit', 'rotation', 'thousand'];

export const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log('usage: node bench/run.mjs [--quick] [--write[=FILE]] [--only start,list,stop,tree,log,monit,rotation,thousand]');
  process.exit(0);
}
export const QUICK = argv.includes('--quick');
export const writeArg = argv.find((a) => a === '--write' || a.startsWith('--write='));
/** Where the report goes besides stdout: BENCHMARKS.md, or another file (runs on other Node versions). */
export const WRITE = writeArg === undefined ? null : writeArg.includes('=') ? path.resolve(writeArg.slice('--write='.length)) : path.join(REPO, 'BENCHMARKS.md');
export const onlyAt = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
export const ONLY = onlyAt < 0 ? SECTIONS.filter((s) => !(QUICK && s === 'thousand')) : (argv[onlyAt].includes('=') ? argv[onlyAt].split('=')[1] : (argv[onlyAt + 1] ?? '')).split(',');
for (const s of ONLY) {
  if (!SECTIONS.includes(s)) {
    console.error(`unknown section '${s}'; sections: ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
}

/** Repetitions (odd, for a true median) and sizes. */
export const CONFIG = QUICK
  ? { warmUp: false, idleWindowMs: 1000, startReps: 3, listReps: 3, levels: [1, 20], stopReps: 1, treeReps: 1, logReps: 1, logBytes: 200 * 1024 * 1024, foreverCap: 50 }
  : { warmUp: true, idleWindowMs: 3000, startReps: 11, listReps: 11, levels: [1, 50, 200], stopReps: 7, treeReps: 5, logReps: 5, logBytes: 200 * 1024 * 1024, foreverCap: 50 };

export const RUN_ID = `${process.pid}-${randomBytes(4).toString('hex')}`;
export const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-bench-'));

/** The environment every tool gets: the caller's, minus what `npm run` adds, plus our run id. */
export const BASE_ENV = Object.fromEntries(
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
export const STARTUP_VARS = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'].filter((k) => BASE_ENV[k] !== undefined);
/** @param {Record<string, string | undefined>} env */
export const plainEnv = (env) => Object.fromEntries(Object.entries(env).filter(([k]) => !STARTUP_VARS.includes(k)));
export const PLAIN = STARTUP_VARS.length > 0 ? `without ${STARTUP_VARS.map((k) => `\`${k}\``).join(', ')}` : null;

export const STARTED_AT = Date.now();
export const log = (/** @type {string} */ line) => process.stderr.write(`[bench +${Math.round((Date.now() - STARTED_AT) / 1000)}s] ${line}\n`);

// ---------------------------------------------------------------------------------------
// Cleanup: through each tool first, then by pid; always, also on Ctrl-C.

/** @type {Pm2[]} */
export const pm2s = [];
/** @type {Forever[]} */
export const forevers = [];
/** @type {Bgrun[]} */
export const bgruns = [];
let cleaning = null;

export async function cleanup() {
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
export const freshName = (prefix) => `${prefix}-${++serial}`;

/** @param {string} name */
export function section(name) {
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
export function waitMarker(file, timeoutMs = 30_000) {
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
export async function ensureGone(pid, ms = 3000) {
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
export async function interleave(subjects, rounds, trial, what, afterRound) {
  for (let round = 0; round < rounds; round++) {
    const shift = round % subjects.length;
    const order = [...subjects.slice(shift), ...subjects.slice(0, shift)];
    for (const subject of order) await trial(subject, round);
    await afterRound?.();
    log(`${what}: round ${round + 1}/${rounds}`);
  }
}

/** @param {import('./proc.mjs').RunResult} r @param {string} what */
export function check(r, what) {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code ?? r.signal}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`);
  return r;
}

/** @param {string} file */
export function rmFile(file) {
  fs.rmSync(file, { force: true });
}
