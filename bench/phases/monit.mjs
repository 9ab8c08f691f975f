import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Bgrun } from '../bgrun.mjs';
import { killPids, memoryOf, now, sleep, waitFor } from '../proc.mjs';
import { BASE_ENV, bgruns, log, NODE, QUICK, section, build } from '../context.mjs';
import { cpuTimes, populateBgrun, settleDown } from './list.mjs';

/**
 * `bgrun monit` with many programs (bgrun only: no peer has the same view to compare).
 * The screen alone is timed in this process from the build under test (200 rows with
 * full 2-minute histories, at 80 x 24 and 200 x 50); one refresh's data (listApps) too;
 * then the real command runs under a pseudo-terminal (util-linux script) for a window,
 * and its own CPU and memory are read from /proc.
 */
export async function benchMonit() {
  const dir = section('monit');
  const count = QUICK ? 20 : 200;
  const bgrun = new Bgrun(build.cliRoot, path.join(dir, 'home'), BASE_ENV);
  bgruns.push(bgrun);
  log(`monit: starting ${count} programs`);
  await populateBgrun(
    bgrun,
    Array.from({ length: count }, (_, i) => `m${i}`),
    null,
    dir,
  );
  const settle = await settleDown();
  const load = async (file) => import(pathToFileURL(path.join(build.cliRoot, 'dist', ...file.split('/'))).href);
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
  const script = spawn('script', ['-qfec', `stty cols 120 rows 40; exec '${NODE}' '${path.join(build.cliRoot, 'bin', 'bgrun.js')}' monit`, '/dev/null'], {
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
