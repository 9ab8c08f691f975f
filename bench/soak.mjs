#!/usr/bin/env node
// The soak run of issue 16 (not in CI): supervised programs for a long while, some
// crash-looping, some writing logs at 1 MB/s past their rotation limit, with `list`,
// `restart` and `logs` run every few seconds. Samples the supervisor's resident memory
// and open file descriptors and reports their slope; at the end checks that every
// record is readable, that no process of the state folder is untracked, and that
// supervisor.log kept within its limit.
//
//   node bench/soak.mjs                 50 programs for 30 minutes
//   node bench/soak.mjs --short         10 programs for 60 seconds (a check that it runs)
//   node bench/soak.mjs --minutes 5 --programs 20
//   node bench/soak.mjs --second-half   also the slope of the second half alone: growth that
//                                       settles (V8's heap, code pages) shows a flat second half
//   node bench/soak.mjs --heap          also the supervisor's V8 heap (bench/fixtures/heap-probe.cjs,
//                                       loaded through NODE_OPTIONS): a leak raises the heap's lows
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bgrun } from './bgrun.mjs';
import { killPids, memoryOf, sleep, withEnv } from './proc.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const option = (/** @type {string} */ name, /** @type {number} */ fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const SHORT = argv.includes('--short');
const PROGRAMS = option('--programs', SHORT ? 10 : 50);
const SECONDS = option('--minutes', SHORT ? 1 : 30) * 60;
const SECOND_HALF = argv.includes('--second-half');
const HEAP = argv.includes('--heap');
const log = (/** @type {string} */ line) => process.stderr.write(`[soak] ${line}\n`);

/** Least-squares slope of y over x. @param {number[]} xs @param {number[]} ys */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The first non-empty line, shortened. @param {string} text */
const firstLine = (text) => (text.split('\n').find((l) => l.trim() !== '') ?? '(no output)').trim().slice(0, 200);
const mb = (/** @type {number} */ bytes) => (bytes / 1048576).toFixed(1);

/**
 * The samples nearest to 0, 25, 50, 75 and 100 % of the run: the shape of the curve (a
 * climb that levels off, or a straight line). Resident memory as the kernel counts it,
 * split into anonymous memory (heap, malloc) and file pages (the node binary's code).
 * @param {{ t: number, rss: number, anon: number }[]} samples
 */
function shape(samples) {
  if (samples.length === 0) return 'no samples';
  const end = samples.at(-1).t;
  return [0, 0.25, 0.5, 0.75, 1]
    .map((q) => samples.reduce((best, s) => (Math.abs(s.t - q * end) < Math.abs(best.t - q * end) ? s : best)))
    .map((s) => `${(s.t / 60).toFixed(1)} min ${mb(s.rss)} MB (anon ${mb(s.anon)})`)
    .join(', ');
}

/**
 * The heap's lowest use in each quarter of the run (just after a full collection: what is
 * kept) and its size at the quarter's end (what V8 reserved), from heap-probe.cjs.
 * @param {string} file @param {number} began
 */
function heapShape(file, began) {
  /** @type {{ at: number, heapUsed: number, heapTotal: number }[]} */
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const end = lines.at(-1)?.at ?? began;
  const quarters = [1, 2, 3, 4].map((q) => lines.filter((l) => l.at - began <= (q * (end - began)) / 4 && l.at - began > ((q - 1) * (end - began)) / 4));
  return quarters.map((q, i) => (q.length === 0 ? `Q${i + 1} no samples` : `Q${i + 1} low ${mb(Math.min(...q.map((l) => l.heapUsed)))} of ${mb(q.at(-1).heapTotal)} MB`)).join(', ');
}

/**
 * What supervisor.log (and its rotated copy) says went wrong: its error lines, counted,
 * the first few kinds (program names left out), and what a crash printed (an uncaught
 * error's own lines carry no time stamp).
 * @param {string} file
 */
function supervisorTrouble(file) {
  const text = [`${file}.1`, file].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')).join('');
  const lines = text.split('\n').filter(Boolean);
  const errors = lines.filter((l) => /^\S+ \[\d+\] error/.test(l));
  const kinds = [...new Set(errors.map((l) => l.replace(/^\S+ \[\d+\] /, '').replace(/ [a-z]+\d+(:| exited)/, ' <program>$1').replace(/\/\S*\/([^/\s]+)/g, '$1').slice(0, 140)))];
  const fatal = lines.flatMap((l, i) => (/^\w*Error\b|\] fatal:/.test(l) ? [`${l} ${lines[i + 1]?.startsWith('    at ') ? lines[i + 1].trim().replace(/\/\S*\/([^/\s]+)/g, '$1') : ''}`.trim().slice(0, 200)] : []));
  return { errors: errors.length, kinds: kinds.slice(0, 3), fatal: [...new Set(fatal)] };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-soak-'));
const heapFile = path.join(dir, 'heap.jsonl');
const probe = HEAP ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(REPO, 'bench', 'fixtures', 'heap-probe.cjs')}`.trim(), BGRUN_SOAK_HEAP: heapFile } : {};
const bgrun = new Bgrun(REPO, path.join(dir, 'home'), { ...process.env, ...probe });
try {
  // A third crash-loops (exits after a second), a third writes 1 MB/s into a 2 MB rotation limit, the rest idle.
  const apps = Array.from({ length: PROGRAMS }, (_, i) => {
    const kind = i % 3;
    if (kind === 0) return { name: `crash${i}`, script: 'sh', args: ['-c', 'sleep 1; exit 3'], restart: 'always' };
    if (kind === 1) return { name: `writer${i}`, script: path.join(REPO, 'bench', 'fixtures', 'paced.mjs'), env: { RATE: String(1024 * 1024) }, restart: 'always', maxLogSize: '2M', maxLogFiles: 2 };
    return { name: `idle${i}`, script: 'sleep', args: ['100000'], restart: 'always' };
  });
  const config = path.join(dir, 'soak.config.json');
  fs.writeFileSync(config, JSON.stringify({ apps }));
  await bgrun.runOk('start', '--config', config, '--wait', '0');
  log(`${PROGRAMS} programs started; soaking for ${SECONDS} s`);

  const began = Date.now();
  /** @type {{ t: number, pid: number, rss: number, anon: number, fds: number }[]} */
  const everySample = [];
  let commands = 0;
  /** @type {string[]} */
  const failed = [];
  for (let round = 0; Date.now() - began < SECONDS * 1000; round++) {
    const pid = bgrun.supervisorPid();
    if (pid !== null) {
      const memory = memoryOf(pid);
      let fds = Number.NaN;
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        // gone between the two reads
      }
      everySample.push({ t: (Date.now() - began) / 1000, pid, rss: memory?.rss ?? Number.NaN, anon: memory?.anon ?? Number.NaN, fds });
    }
    const target = apps[round % apps.length].name;
    for (const args of [['list', '--json'], ['logs', target, '--lines', '20', '--nostream'], ['restart', `idle${2 + 3 * (round % Math.max(1, Math.floor(PROGRAMS / 3)))}`, '--wait', '0']]) {
      commands++;
      const r = await bgrun.run(...args);
      // Which command, how it ended and the first line it said (bgrun's errors are one line, never a secret value).
      if (r.code !== 0) failed.push(`${((Date.now() - began) / 60_000).toFixed(1)} min: bgrun ${args.join(' ')} → exit ${r.code ?? r.signal}: ${firstLine(r.stderr || r.stdout)}`);
    }
    await sleep(3000);
  }

  const listed = await bgrun.listJson();
  const records = path.join(bgrun.home, 'records');
  const unreadable = fs
    .readdirSync(records)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => {
      try {
        JSON.parse(fs.readFileSync(path.join(records, f), 'utf8'));
        return false;
      } catch {
        return true;
      }
    });
  const known = new Set(listed.map((p) => p.pid).filter((pid) => pid !== null));
  const supervisor = bgrun.supervisorPid();
  // A crash-looping program between its exit and its restart has no pid; its shell's `sleep` child is its own.
  const untracked = withEnv('BGRUN_HOME', bgrun.home).filter((p) => !known.has(p.pid) && p.pid !== supervisor && !p.cmdline.startsWith('sleep 1') && !p.cmdline.includes('bin/bgrun.js'));
  const supLog = path.join(bgrun.home, 'supervisor.log');
  const supLogBytes = fs.existsSync(supLog) ? fs.statSync(supLog).size : 0;
  // A supervisor that died and was started again by the next command starts its memory
  // afresh: the slopes are those of the supervisor sampled longest, and the others are named.
  const pids = [...new Set(everySample.map((s) => s.pid))];
  const longest = pids.reduce((best, pid) => (everySample.filter((s) => s.pid === pid).length > everySample.filter((s) => s.pid === best).length ? pid : best), pids[0]);
  const samples = everySample.filter((s) => s.pid === longest);
  const replaced = pids.slice(1).map((pid) => `pid ${pid} from ${(everySample.find((s) => s.pid === pid).t / 60).toFixed(1)} min`);
  const crash = supervisorTrouble(supLog);
  const ts = samples.map((s) => s.t / 60);
  const late = samples.filter((s) => s.t >= samples.at(-1).t / 2);
  const perMinute = (/** @type {typeof samples} */ of, /** @type {'rss' | 'anon'} */ key) => (slope(of.map((s) => s.t / 60), of.map((s) => s[key])) / 1024).toFixed(1);
  const lines = [
    `### Soak: ${PROGRAMS} supervised programs for ${(SECONDS / 60).toFixed(1)} minutes`,
    '',
    `- supervisor processes: ${pids.length}${replaced.length ? ` (replaced: ${replaced.join(', ')}; the memory figures are those of pid ${longest}, ${samples.length} of ${everySample.length} samples)` : ''}`,
    `- supervisor.log (with its rotated copy): ${crash.errors} error lines${crash.kinds.length ? ` (${crash.kinds.join('; ')})` : ''}; ${crash.fatal.length ? `it died: ${crash.fatal.join('; ')}` : 'no crash of its own'}`,
    `- supervisor resident memory: ${((samples[0]?.rss ?? 0) / 1048576).toFixed(1)} → ${((samples.at(-1)?.rss ?? 0) / 1048576).toFixed(1)} MB, slope ${(slope(ts, samples.map((s) => s.rss)) / 1024).toFixed(1)} KB/minute (${samples.length} samples)`,
    `- resident memory at 0/25/50/75/100 %: ${shape(samples)}; anonymous memory slope ${perMinute(samples, 'anon')} KB/minute`,
    ...(SECOND_HALF ? [`- second half only (${late.length} samples): resident slope ${perMinute(late, 'rss')} KB/minute, anonymous ${perMinute(late, 'anon')} KB/minute`] : []),
    ...(HEAP ? [`- supervisor V8 heap used (lowest in each quarter) of its size: ${heapShape(heapFile, began)}`] : []),
    `- supervisor open descriptors: ${samples[0]?.fds} → ${samples.at(-1)?.fds}, slope ${slope(ts, samples.map((s) => s.fds)).toFixed(2)} a minute`,
    `- records: ${listed.length} listed of ${PROGRAMS}, ${unreadable.length} unreadable`,
    `- untracked processes: ${untracked.length}${untracked.length ? ` (${untracked.map((p) => `${p.pid} ${p.cmdline}`).join('; ')})` : ''}`,
    `- supervisor.log: ${supLogBytes} bytes`,
    `- commands run: ${commands}, failed: ${failed.length}`,
    ...failed.map((line) => `  - ${line}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await bgrun.runCleanup(['stop', 'all', '--timeout', '3s'], 120_000);
  killPids(withEnv('BGRUN_HOME', bgrun.home).map((p) => p.pid));
  fs.rmSync(dir, { recursive: true, force: true });
}
