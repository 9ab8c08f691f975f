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

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-soak-'));
const bgrun = new Bgrun(REPO, path.join(dir, 'home'), { ...process.env });
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
  /** @type {{ t: number, rss: number, fds: number }[]} */
  const samples = [];
  let commands = 0;
  let failures = 0;
  for (let round = 0; Date.now() - began < SECONDS * 1000; round++) {
    const pid = bgrun.supervisorPid();
    if (pid !== null) {
      const rss = memoryOf(pid)?.rss ?? Number.NaN;
      let fds = Number.NaN;
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`).length;
      } catch {
        // gone between the two reads
      }
      samples.push({ t: (Date.now() - began) / 1000, rss, fds });
    }
    const target = apps[round % apps.length].name;
    for (const args of [['list', '--json'], ['logs', target, '--lines', '20', '--nostream'], ['restart', `idle${2 + 3 * (round % Math.max(1, Math.floor(PROGRAMS / 3)))}`, '--wait', '0']]) {
      commands++;
      if ((await bgrun.run(...args)).code !== 0) failures++;
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
  const ts = samples.map((s) => s.t / 60);
  const lines = [
    `### Soak: ${PROGRAMS} supervised programs for ${(SECONDS / 60).toFixed(1)} minutes`,
    '',
    `- supervisor resident memory: ${((samples[0]?.rss ?? 0) / 1048576).toFixed(1)} → ${((samples.at(-1)?.rss ?? 0) / 1048576).toFixed(1)} MB, slope ${(slope(ts, samples.map((s) => s.rss)) / 1024).toFixed(1)} KB/minute (${samples.length} samples)`,
    `- supervisor open descriptors: ${samples[0]?.fds} → ${samples.at(-1)?.fds}, slope ${slope(ts, samples.map((s) => s.fds)).toFixed(2)} a minute`,
    `- records: ${listed.length} listed of ${PROGRAMS}, ${unreadable.length} unreadable`,
    `- untracked processes: ${untracked.length}${untracked.length ? ` (${untracked.map((p) => `${p.pid} ${p.cmdline}`).join('; ')})` : ''}`,
    `- supervisor.log: ${supLogBytes} bytes`,
    `- commands run: ${commands}, failed: ${failures}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await bgrun.runCleanup(['stop', 'all', '--timeout', '3s'], 120_000);
  killPids(withEnv('BGRUN_HOME', bgrun.home).map((p) => p.pid));
  fs.rmSync(dir, { recursive: true, force: true });
}
