import fs from 'node:fs';
import path from 'node:path';
import { Bgrun } from '../bgrun.mjs';
import { Forever, Pm2 } from '../peers.mjs';
import { busyShare, cpuTicks, isAlive, killPids, memoryOf, now, pool, run, sleep, waitFor, withEnv } from '../proc.mjs';
import { APP, BASE_ENV, bgruns, check, CONFIG, FIXTURES, forevers, interleave, log, NODE, PLAIN, plainEnv, pm2s, QUICK, RUN_ID, section, build } from '../context.mjs';

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
export async function populateBgrun(bgrun, names, restart, dir) {
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
export function cpuTimes(pids) {
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
export async function settleDown() {
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
export async function benchList(peers, supervised) {
  const dir = section('list');
  const bgrun = new Bgrun(build.cliRoot, path.join(dir, 'bgrun'), BASE_ENV);
  const bgrunSup = new Bgrun(build.cliRoot, path.join(dir, 'bgrun-supervised'), BASE_ENV);
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
    ...(build.alt ? [{ id: 'bgrun-json-alt', label: `\`bgrun list --json\`, ${build.alt.what}`, argv: [NODE, build.alt.entry, 'list', '--json'], env: bgrun.env }] : []),
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
