// Many copies of one app: time to start 4 copies and to reload them, bgrun against pm2,
// and the memory of bgrun's cluster primary. Run once (it is not part of `npm run bench`):
//   npm run build && node bench/fleet.mjs [--rounds N]
// Each round uses fresh state folders; subjects are interleaved in rotating order.
//   bgrun cluster: bgrun start --cluster -i 4 --ready tcp:PORT   then   bgrun reload app
//   bgrun fork:    bgrun start -i 4 --increment-var PORT --ready tcp:PORT   then   bgrun reload app (copy by copy, each ready)
//   pm2 cluster:   pm2 start app -i 4 (then until the port accepts)   then   pm2 reload app
// A start is timed until the command returned and the port accepts; a reload until the command returned.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pm2, installPeers } from './peers.mjs';
import { now, run, runOk, sleep } from './proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'bgrun.js');
const APP = path.join(ROOT, 'bench', 'fixtures', 'http-app.mjs');
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 5;
const COPIES = 4;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function untilAccepts(port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`port ${port} never accepted`);
    await sleep(5);
  }
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-fleet-bench-'));
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };

function bgrunSubject(kind) {
  return {
    name: `bgrun ${kind}`,
    async round(i) {
      const home = path.join(scratch, `bgrun-${kind}-${i}`);
      const port = await freePort();
      const env = { ...baseEnv, BGRUN_HOME: home, PORT: String(port) };
      const bg = (...args) => [process.execPath, BIN, ...args];
      const mode = kind === 'cluster' ? ['--cluster'] : ['--increment-var', 'PORT'];
      const t0 = now();
      await runOk(bg('start', '-i', String(COPIES), '--name', 'app', ...mode, '--ready', `tcp:${port}`, APP), { env });
      await untilAccepts(port);
      const start = now() - t0;
      let memory = null;
      if (kind === 'cluster') {
        await sleep(500);
        const record = JSON.parse(fs.readFileSync(path.join(home, 'records', 'app.json'), 'utf8'));
        memory = rssOf(record.pid);
      }
      const reload = (await runOk(bg('reload', 'app'), { env })).ms;
      await run(bg('stop', 'all'), { env, cleanup: true });
      await run(bg('supervisor', '--stop'), { env, cleanup: true }).catch(() => {});
      return { start, reload, memory };
    },
  };
}

function pm2Subject(pm2Dir) {
  return {
    name: 'pm2 cluster',
    async round(i) {
      const pm2 = new Pm2(pm2Dir, path.join(scratch, `pm2-${i}`), baseEnv);
      await pm2.ensureDaemon();
      const port = await freePort();
      pm2.env.PORT = String(port);
      const t0 = now();
      await pm2.runOk('start', APP, '--name', 'app', '-i', String(COPIES));
      await untilAccepts(port);
      const start = now() - t0;
      const reload = (await pm2.runOk('reload', 'app')).ms;
      await pm2.kill();
      return { start, reload, memory: null };
    },
  };
}

async function main() {
  const peers = await installPeers(path.join(ROOT, '.bench-cache'), (l) => console.error(l));
  const subjects = [bgrunSubject('cluster'), bgrunSubject('fork'), pm2Subject(peers.pm2)];
  const results = new Map(subjects.map((s) => [s.name, []]));
  for (let i = 0; i < ROUNDS; i++) {
    const order = subjects.map((_, k) => subjects[(k + i) % subjects.length]);
    for (const s of order) results.get(s.name).push(await s.round(i));
  }
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  console.log(`# ${COPIES} copies of an HTTP app: start and reload (medians of ${ROUNDS} interleaved rounds)`);
  console.log(`Node ${process.version}, ${os.availableParallelism()} CPUs, load average ${load}\n`);
  console.log('| subject | start (until the port accepts) | reload | primary memory |');
  console.log('|---|---|---|---|');
  for (const [name, rs] of results) {
    const fmt = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    const mem = rs.map((r) => r.memory).filter((m) => m !== null);
    console.log(`| ${name} | ${fmt(rs.map((r) => r.start))} | ${fmt(rs.map((r) => r.reload))} | ${mem.length ? `${(median(mem) / 1048576).toFixed(1)} MB` : '-'} |`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
