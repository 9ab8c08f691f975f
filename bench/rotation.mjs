// The rotation section: bytes on disk over time, and the CPU of the process that keeps the
// logs within their limit (the supervisor's log keeper), for a runaway writer (50 MB/s) and
// an ordinary one (100 KB/s), each a plain program started with --max-log-size.
import fs from 'node:fs';
import path from 'node:path';
import { Bgrun } from './bgrun.mjs';
import { now, sleep, waitFor } from './proc.mjs';
import { cell, num, summarize, table } from './stats.mjs';

const KB = 1024;
const MB = 1024 * KB;
/** Clock ticks a second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK = 100;

/** utime + stime of a pid, in clock ticks; null once it is gone. @param {number} pid */
function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** The log, its copies and its time index: everything the program's logging keeps on disk. @param {string} dir @param {string} base */
function bytesOnDisk(dir, base) {
  let sum = 0;
  for (const entry of fs.readdirSync(dir)) {
    if (!entry.startsWith(base)) continue;
    try {
      sum += fs.statSync(path.join(dir, entry)).size;
    } catch {
      // rotated away meanwhile
    }
  }
  return sum;
}

/**
 * @param {{ cliRoot: string, dir: string, env: NodeJS.ProcessEnv, quick: boolean, log: (line: string) => void, track: (b: Bgrun) => void, fixture: string }} o
 */
export async function benchRotation(o) {
  const seconds = o.quick ? 5 : 15;
  const cases = [
    { id: 'fast', label: '50 MB/s', rate: 50 * MB, size: '1M', sizeBytes: 1 * MB, files: 2 },
    { id: 'calm', label: '100 KB/s', rate: 100 * KB, size: '1M', sizeBytes: 1 * MB, files: 2 },
  ];
  const out = [];
  for (const c of cases) {
    const bgrun = new Bgrun(o.cliRoot, path.join(o.dir, c.id), { ...o.env, RATE: String(c.rate) });
    o.track(bgrun);
    const started = await bgrun.run('start', '--name', c.id, '--log-time', '--max-log-size', c.size, '--max-log-files', String(c.files), o.fixture);
    if (started.code !== 0) throw new Error(`bgrun start failed: ${started.stderr}`);
    const logs = path.join(bgrun.home, 'logs');
    const supervisor = await waitFor(() => {
      try {
        return JSON.parse(fs.readFileSync(path.join(bgrun.home, 'supervisor.json'), 'utf8')).pid;
      } catch {
        return undefined;
      }
    }, 10_000);
    await sleep(1000); // past the first rotations
    const cpu0 = cpuOf(supervisor);
    const t0 = now();
    const samples = [];
    while (now() - t0 < seconds * 1000) {
      await sleep(250);
      samples.push(bytesOnDisk(logs, `${c.id}.out.log`));
    }
    const elapsed = (now() - t0) / 1000;
    const cpu1 = cpuOf(supervisor);
    const text = fs.readFileSync(path.join(bgrun.home, 'logs', `${c.id}.out.log`), 'utf8');
    const lastLine = Number(/line (\d+) /.exec(text.slice(text.lastIndexOf('\nline ') + 1))?.[1] ?? 0);
    await bgrun.run('stop', c.id);
    const supLog = fs.readFileSync(path.join(bgrun.home, 'supervisor.log'), 'utf8');
    let rotations = 0;
    let dropped = 0;
    for (const m of supLog.matchAll(/rotated \S+ \((\d+) bytes copied[^)]*?(?:; (\d+) bytes dropped)?/g)) {
      rotations++;
      dropped += Number(m[2] ?? 0);
    }
    for (const m of supLog.matchAll(/rotated \S+ (\d+) more times in \d+ s \((\d+) bytes copied(?:, (\d+) bytes dropped)?/g)) {
      rotations += Number(m[1]);
      dropped += Number(m[3] ?? 0);
    }
    out.push({
      ...c,
      seconds: elapsed,
      samples,
      bound: (c.files + 1) * c.sizeBytes,
      cpuPercent: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) / TICK / elapsed) * 100,
      writtenMB: (lastLine * 64) / MB,
      rotations,
      dropped,
    });
    o.log(`rotation ${c.label}: done`);
  }
  return { cases: out };
}

/** @param {{ cases: any[] }} rotation */
export function renderRotation(rotation) {
  const rows = rotation.cases.map((c) => [
    `${c.label} (--max-log-size ${c.size} --max-log-files ${c.files})`,
    `${num(c.writtenMB / (c.seconds + 1))} MB/s`,
    cell(c.samples.map((b) => b / MB), ' MB'),
    `${num(summarize(c.samples).max / MB)} MB`,
    `${num(c.bound / MB)} MB`,
    String(c.rotations),
    c.dropped > 0 ? `${num(c.dropped / MB)} MB` : '0',
    c.cpuPercent === null ? 'n/a' : `${num(c.cpuPercent)} %`,
  ]);
  return [
    '\n### 7. Bounded logs: a plain program with --max-log-size, kept by the supervisor\n',
    table(['writer', 'rate reached', 'bytes on disk, every 250 ms (median, min–max)', 'max', '(files + 1) × size', 'rotations', 'dropped (runaway only)', "keeper's CPU (% of one core)"], rows),
    '\nBytes on disk are the log, its rotated copies and its time index (--log-time), sampled every 250 ms after the first second. The keeper is the supervisor process: its CPU is what rotating (copying at most the limit, dropping the excess of a runaway writer with a marker line) and indexing cost.',
  ].join('\n');
}
