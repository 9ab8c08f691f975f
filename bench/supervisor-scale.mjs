#!/usr/bin/env node
// Issue 16's supervisor at scale, beside pm2's daemon: N supervised `sleep` programs
// (1,000 by default), then the resident process's memory, its CPU while nothing happens,
// and how soon a program killed with SIGKILL runs again (no backoff: bgrun's
// `restartDelay: 0`, pm2's `restart_delay: 0`). Also `list --json` beside `pm2 jlist`
// at that size, each as a ratio to `node -e 0` in the same interleaved rounds.
//
//   node bench/supervisor-scale.mjs [--count 1000] [--idle 40] [--samples 20] [--no-pm2] [--quick] [--root DIR]
//   (--root: the checkout whose bin/bgrun.js and dist/ to run, so a rebuild meanwhile does not change it)
//
// Restart latency is taken the same way for both: the time from the kill to the moment a
// new child of the resident process shows in /proc/<pid>/task/*/children (polled every few
// ms); for bgrun also to the new run's recorded startedAt. Everything runs under a
// temporary folder with a private BGRUN_HOME and PM2_HOME; what is left is killed by pid.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bgrun } from './bgrun.mjs';
import { Pm2, installPeers } from './peers.mjs';
import { killPids, memoryOf, now, run, runOk, sleep, withEnv } from './proc.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const HZ = 100;
/** Programs per config or ecosystem file. */
const CHUNK = 100;

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

/** utime + stime of a process, in clock ticks. @param {number} pid */
function cpuTicksOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The children of a process (of all its threads). @param {number} pid @returns {Set<number>} */
function childrenOf(pid) {
  const out = new Set();
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) if (c) out.add(Number(c));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Share of one core used by `pid` over `seconds`, in %. @param {number} pid @param {number} seconds */
async function idleCpu(pid, seconds) {
  const t0 = now();
  const c0 = cpuTicksOf(pid);
  await sleep(seconds * 1000);
  const c1 = cpuTicksOf(pid);
  return ((c1 - c0) / HZ / ((now() - t0) / 1000)) * 100;
}

/**
 * Kills `samples` programs one at a time and times each restart: kill → a new child of `parent`.
 * @param {number} parent @param {number[]} victims  pids of the programs to kill, in turn @param {number} samples
 */
async function restartLatency(parent, victims, samples) {
  const seen = /** @type {number[]} */ ([]);
  for (let i = 0; i < samples; i++) {
    const before = childrenOf(parent);
    const pid = victims[i];
    if (!pid || !before.has(pid)) continue;
    const t0 = now();
    process.kill(pid, 'SIGKILL');
    while (now() - t0 < 10_000) {
      if ([...childrenOf(parent)].some((c) => !before.has(c))) {
        seen.push(now() - t0);
        break;
      }
      await sleep(2);
    }
    await sleep(300);
  }
  return { seen };
}

/** @param {string} home @param {string} name */
function readRecord(home, name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, 'records', `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * @param {{ cliRoot?: string, dir: string, env: NodeJS.ProcessEnv, count?: number, idleSeconds?: number, samples?: number, pm2Dir?: string | null, reps?: number, log: (line: string) => void, track?: (b: Bgrun) => void }} options
 */
export async function benchSupervisorScale(options) {
  const count = options.count ?? 1000;
  const idleSeconds = options.idleSeconds ?? 40;
  const samples = options.samples ?? 20;
  const reps = options.reps ?? 5;
  const { log } = options;
  const names = Array.from({ length: count }, (_, i) => `p${i}`);
  const pick = Array.from({ length: samples }, (_, i) => names[(i * 37) % count]);
  const result = /** @type {Record<string, any>} */ ({ count, idleSeconds, samples });

  // bgrun
  const b = new Bgrun(options.cliRoot ?? REPO, path.join(options.dir, 'bgrun-home'), options.env);
  options.track?.(b);
  log(`supervisor-scale: starting ${count} supervised programs (config files of ${CHUNK})`);
  const t0 = now();
  for (let at = 0; at < count; at += CHUNK) {
    const file = path.join(options.dir, `bgrun-${at}.config.json`);
    const apps = names.slice(at, at + CHUNK).map((name) => ({ name, script: 'sleep', args: ['100000'], restart: 'always', restartDelay: 0 }));
    fs.writeFileSync(file, JSON.stringify({ apps }));
    await runOk(b.argv('start', '--config', file, '--wait', '0'), { env: b.env, timeoutMs: 600_000 });
  }
  const running = () => names.filter((n) => readRecord(b.home, n)?.status === 'running').length;
  while (running() < count) {
    if (now() - t0 > 900_000) throw new Error(`only ${running()} of ${count} running after 15 minutes`);
    await sleep(1000);
  }
  result.bgrunStartMs = now() - t0;
  const sup = b.supervisorPid();
  if (!sup) throw new Error('no supervisor');
  log(`supervisor-scale: ${count} running after ${(result.bgrunStartMs / 1000).toFixed(1)} s; settling 10 s, then ${idleSeconds} s idle`);
  await sleep(10_000);
  result.bgrunRss = memoryOf(sup)?.rss ?? Number.NaN;
  result.bgrunCpu = await idleCpu(sup, idleSeconds);
  log(`supervisor-scale: bgrun supervisor ${(result.bgrunRss / 2 ** 20).toFixed(1)} MB, ${result.bgrunCpu.toFixed(2)} % idle; restarts`);
  result.bgrunRestarts = await restartRecorded(b, sup, pick, samples);
  result.bgrunRssAfter = memoryOf(sup)?.rss ?? Number.NaN;

  // pm2
  /** @type {Pm2 | null} */
  let pm2 = null;
  if (options.pm2Dir) {
    pm2 = new Pm2(options.pm2Dir, path.join(options.dir, 'pm2-home'), options.env);
    try {
      log(`supervisor-scale: pm2, ${count} programs (interpreter none, ecosystem files of ${CHUNK})`);
      const p0 = now();
      for (let at = 0; at < count; at += CHUNK) {
        const apps = names.slice(at, at + CHUNK).map((name) => ({ name, script: 'sleep', args: ['100000'], interpreter: 'none', autorestart: true, restart_delay: 0 }));
        const file = path.join(pm2.home, `ecosystem-${at}.json`);
        fs.writeFileSync(file, JSON.stringify({ apps }));
        await runOk(pm2.argv('start', file), { env: pm2.env, timeoutMs: 600_000 });
      }
      const daemon = pm2.daemonPid();
      if (!daemon) throw new Error('no pm2 daemon');
      while (childrenOf(daemon).size < count) {
        if (now() - p0 > 900_000) throw new Error(`only ${childrenOf(daemon).size} pm2 programs after 15 minutes`);
        await sleep(1000);
      }
      result.pm2StartMs = now() - p0;
      log(`supervisor-scale: pm2 ${count} running after ${(result.pm2StartMs / 1000).toFixed(1)} s; settling 10 s, then ${idleSeconds} s idle`);
      await sleep(10_000);
      result.pm2Rss = memoryOf(daemon)?.rss ?? Number.NaN;
      result.pm2Cpu = await idleCpu(daemon, idleSeconds);
      log(`supervisor-scale: pm2 daemon ${(result.pm2Rss / 2 ** 20).toFixed(1)} MB, ${result.pm2Cpu.toFixed(2)} % idle; restarts`);
      const byName = new Map();
      for (const a of await pm2.jlist()) byName.set(a.name, a.pid);
      const pids = pick.map((n) => byName.get(n) ?? 0);
      result.pm2Restarts = await restartLatency(daemon, pids, samples);
      result.pm2RssAfter = memoryOf(daemon)?.rss ?? Number.NaN;
    } catch (error) {
      log(`supervisor-scale: pm2 failed: ${/** @type {Error} */ (error).message}`);
      result.pm2Error = /** @type {Error} */ (error).message;
    }
  }

  log(`supervisor-scale: list --json${pm2 && !result.pm2Error ? ' and pm2 jlist' : ''}, ${reps} interleaved rounds`);
  const list = { node: /** @type {number[]} */ ([]), bgrun: /** @type {number[]} */ ([]), pm2: /** @type {number[]} */ ([]) };
  for (let i = 0; i < reps; i++) {
    list.node.push((await run([process.execPath, '-e', '0'], { env: options.env })).ms);
    list.bgrun.push((await runOk(b.argv('list', '--json'), { env: b.env, timeoutMs: 120_000 })).ms);
    if (pm2 && !result.pm2Error) list.pm2.push((await runOk(pm2.argv('jlist'), { env: pm2.env, timeoutMs: 120_000 })).ms);
  }
  result.list = list;
  if (pm2) await cleanupPm2(pm2);
  await b.run('stop', 'all');
  result.markdown = render(result);
  return result;
}

/**
 * bgrun's restarts, timed both ways: kill → a new child of the supervisor, and kill →
 * the new run's recorded start.
 * @param {Bgrun} b @param {number} sup @param {string[]} pick @param {number} samples
 */
async function restartRecorded(b, sup, pick, samples) {
  const seen = /** @type {number[]} */ ([]);
  const recorded = /** @type {number[]} */ ([]);
  for (let i = 0; i < samples; i++) {
    const name = pick[i];
    const before = readRecord(b.home, name);
    const children = childrenOf(sup);
    if (!before?.pid || !children.has(before.pid)) continue;
    const t0 = now();
    process.kill(before.pid, 'SIGKILL');
    let found = false;
    let record = null;
    const deadline = t0 + 10_000;
    while (now() < deadline && (!found || !record)) {
      if (!found && [...childrenOf(sup)].some((c) => !children.has(c))) {
        found = true;
        seen.push(now() - t0);
      }
      if (!record) {
        const r = readRecord(b.home, name);
        if (r && r.pid && r.pid !== before.pid && r.status === 'running') record = r;
      }
      await sleep(2);
    }
    if (record) recorded.push(Date.parse(record.startedAt) - t0);
    await sleep(300);
  }
  return { seen, recorded };
}

/** Stops pm2's programs and daemon; then kills by pid whatever of them is left. @param {Pm2} pm2 */
async function cleanupPm2(pm2) {
  const daemon = pm2.daemonPid();
  const programs = daemon ? [...childrenOf(daemon)] : [];
  await pm2.kill();
  killPids([...programs, ...(daemon ? [daemon] : []), ...withEnv('PM2_HOME', pm2.home).map((p) => p.pid)]);
}

/** @param {Record<string, any>} r */
function render(r) {
  const mb = (/** @type {number} */ x) => (Number.isFinite(x) ? `${(x / 2 ** 20).toFixed(1)} MB` : '–');
  const pct = (/** @type {number} */ x) => (Number.isFinite(x) ? `${x.toFixed(2)} %` : '–');
  const lat = (/** @type {number[] | undefined} */ xs) => (xs && xs.length > 0 ? `${quantile(xs, 0.5).toFixed(0)} / ${quantile(xs, 0.9).toFixed(0)} ms (${xs.length})` : '–');
  const base = quantile(r.list.node, 0.5);
  const ratio = (/** @type {number[]} */ xs) => (xs.length > 0 ? `${quantile(xs, 0.5).toFixed(0)} ms, ${(quantile(xs, 0.5) / base).toFixed(2)} ×` : '–');
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  return [
    `### The resident process with ${r.count} supervised programs (\`sleep\`; idle over ${r.idleSeconds} s; restarts: ${r.samples} SIGKILLs, median / p90; load average at the end ${load})`,
    '',
    '| what | bgrun supervisor | pm2 daemon (fork mode, `interpreter: none`) |',
    '|---|---:|---:|',
    `| resident memory, idle | ${mb(r.bgrunRss)} | ${mb(r.pm2Rss)} |`,
    `| resident memory after the restarts | ${mb(r.bgrunRssAfter)} | ${mb(r.pm2RssAfter)} |`,
    `| CPU while idle (share of one core) | ${pct(r.bgrunCpu)} | ${pct(r.pm2Cpu)} |`,
    `| kill → new program running (seen in /proc) | ${lat(r.bgrunRestarts?.seen)} | ${lat(r.pm2Restarts?.seen)} |`,
    `| kill → restart recorded (the record's startedAt) | ${lat(r.bgrunRestarts?.recorded)} | – |`,
    `| \`list --json\` / \`pm2 jlist\` (median, × \`node -e 0\` = ${base.toFixed(0)} ms) | ${ratio(r.list.bgrun)} | ${ratio(r.list.pm2)} |`,
    `| starting all ${r.count} (files of ${CHUNK}, until all run) | ${(r.bgrunStartMs / 1000).toFixed(1)} s | ${r.pm2StartMs ? `${(r.pm2StartMs / 1000).toFixed(1)} s` : '–'} |`,
    ...(r.pm2Error ? ['', `pm2 failed: ${r.pm2Error}`] : []),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const arg = (/** @type {string} */ name) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  const quick = argv.includes('--quick');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-supscale-'));
  const log = (/** @type {string} */ line) => process.stderr.write(`[supervisor-scale] ${line}\n`);
  /** @type {Bgrun[]} */
  const homes = [];
  const cleanup = () => {
    for (const b of homes) killPids(withEnv('BGRUN_HOME', b.home).map((p) => p.pid));
    killPids(withEnv('PM2_HOME', path.join(dir, 'pm2-home')).map((p) => p.pid));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const pm2Dir = argv.includes('--no-pm2') ? null : (await installPeers(path.join(REPO, '.bench-cache'), log)).pm2;
    const result = await benchSupervisorScale({
      dir,
      cliRoot: argv.includes('--root') ? argv[argv.indexOf('--root') + 1] : undefined,
      env: { ...process.env },
      count: arg('count') ?? (quick ? 100 : undefined),
      idleSeconds: arg('idle') ?? (quick ? 10 : undefined),
      samples: arg('samples') ?? (quick ? 10 : undefined),
      pm2Dir,
      log,
      track: (b) => homes.push(b),
    });
    process.stdout.write(`${result.markdown}\n`);
    process.stdout.write(`${JSON.stringify({ ...result, markdown: undefined })}\n`);
  } finally {
    cleanup();
  }
}
