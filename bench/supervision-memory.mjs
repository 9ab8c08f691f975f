// The supervisor's memory and CPU with the supervision features in use (issue 13):
// 200 supervised programs, 50 of them watched (one watch on a folder holding 20,000 files
// under node_modules) and 50 health-checked (25 http://, 25 tcp:), against the same 200
// with none of it. Run after `npm run build`:
//
//   node bench/supervision-memory.mjs [--programs 200] [--watched 50] [--checked 50] [--interval 10s] [--settle 15]
//
// Programs are `sleep` (a few hundred KB each), started through one config file. The
// health checks probe a server of this script's own, so every check passes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const BIN = path.join(ROOT, 'bin', 'bgrun.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PROGRAMS = Number(arg('programs', 200));
const WATCHED = Number(arg('watched', 50));
const CHECKED = Number(arg('checked', 50));
const INTERVAL = arg('interval', '10s');
const SETTLE_S = Number(arg('settle', 15));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-supmem-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function bgrun(home, ...args) {
  return execFileSync(process.execPath, [BIN, ...args], { env: { ...process.env, BGRUN_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
}

function supervisorPid(home) {
  return JSON.parse(fs.readFileSync(path.join(home, 'supervisor.json'), 'utf8')).pid;
}

function status(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const server = http.createServer((_req, res) => res.end('ok\n'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

function makeTree(root, files) {
  fs.mkdirSync(root, { recursive: true });
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(root, `f${i}.js`), '1');
}

async function scenario(label, withFeatures) {
  const home = path.join(dir, `home-${label}`);
  const apps = [];
  for (let i = 0; i < PROGRAMS; i++) {
    const cwd = path.join(dir, `${label}-app${i}`);
    makeTree(path.join(cwd, 'src'), 20);
    const app = { name: `p${i}`, script: 'sleep', args: ['3600'], cwd, restart: 'always' };
    if (withFeatures && i < WATCHED) app.watch = true;
    if (withFeatures && i >= WATCHED && i < WATCHED + CHECKED) {
      app.health = i % 2 === 0 ? `http://127.0.0.1:${port}/health` : `tcp:127.0.0.1:${port}`;
      app.healthInterval = INTERVAL;
    }
    apps.push(app);
  }
  if (withFeatures && WATCHED > 0) {
    // 400 packages of 50 files: 20,000 files that the watch must not walk.
    for (let p = 0; p < 400; p++) makeTree(path.join(apps[0].cwd, 'node_modules', `pkg${p}`), 50);
  }
  const config = path.join(dir, `${label}.config.json`);
  fs.writeFileSync(config, JSON.stringify({ apps }));
  const began = Date.now();
  bgrun(home, 'start', '--config', config, '--wait', '0');
  const pid = supervisorPid(home);
  // Settle: every program spawned, watches set up, a few rounds of checks.
  await sleep(SETTLE_S * 1000);
  const ticks0 = cpuTicks(pid);
  const t0 = Date.now();
  await sleep(10_000);
  const cpu = ((cpuTicks(pid) - ticks0) / 100 / ((Date.now() - t0) / 1000)) * 100;
  const mem = status(pid);
  const log = fs.readFileSync(path.join(home, 'supervisor.log'), 'utf8');
  const watching = (log.match(/ watching /g) ?? []).length;
  const failed = (log.match(/health check of .* failed/g) ?? []).length;
  bgrun(home, 'stop', 'all');
  return { label, startedInS: (Date.now() - began) / 1000, rssMB: mem.rss / 1e6, peakMB: mem.peak / 1e6, cpuPercent: cpu, watching, failedChecks: failed };
}

try {
  const rows = [await scenario('plain', false), await scenario('features', true)];
  console.log(`node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`${PROGRAMS} supervised programs; features: ${WATCHED} watched (one folder with 20,000 files under node_modules), ${CHECKED} health-checked every ${INTERVAL}`);
  console.table(rows.map((r) => ({ ...r, rssMB: r.rssMB.toFixed(1), peakMB: r.peakMB.toFixed(1), cpuPercent: r.cpuPercent.toFixed(2) })));
} finally {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
