/**
 * The primary of an app in cluster mode: one small process per app, started by
 * bgrun as the app's program, that forks the workers of the unchanged program
 * with Node's cluster module, so they share its listening ports as under pm2.
 *
 *   node primary.js <settings JSON> <script> [args...]
 *   settings: { instances, execArgv, instanceVar, control, state, killTimeoutMs, readyTimeoutMs, giveUpAfter? }
 *
 * It imports nothing of bgrun (it must stay small). bgrun talks to it through
 * two files: it writes `control` ({ instances, reload }) and sends SIGUSR2; the
 * primary writes `state` ({ pid, workers, reloads }) after every change.
 *
 * - A worker that dies on its own is forked again (after a short delay that
 *   grows while workers keep dying young). The primary waits for that even with
 *   no worker left, so a crash is never its own quiet exit 0. After
 *   `giveUpAfter` (10) young deaths in a row it gives up: it stops the other
 *   workers and exits with code 1, a failure for bgrun's restart policy.
 * - Reload: for each worker in turn, a new worker with the same index is forked;
 *   once it is `listening`, the old one is disconnected (it finishes what it
 *   serves), and killed if it has not exited after killTimeoutMs. A new worker
 *   that exits or does not listen within readyTimeoutMs stops the reload: the
 *   workers not reached keep running the old code.
 * - SIGTERM/SIGINT: every worker disconnected, then the primary exits.
 * - If the primary dies, even by SIGKILL, each worker's IPC channel closes and
 *   Node's cluster code in the worker exits it: no orphan keeps a port.
 */
import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';

interface Settings {
  instances: number;
  execArgv: string[];
  instanceVar: string;
  control: string;
  state: string;
  killTimeoutMs: number;
  readyTimeoutMs: number;
  /** Young deaths in a row after which the primary exits with code 1 (absent from older records' settings). */
  giveUpAfter?: number;
}

/** A worker that dies sooner than this after its fork died young: the delay grows, and it counts towards giving up. */
const YOUNG_MS = 5000;
const GIVE_UP_AFTER = 10;

const settings = JSON.parse(process.argv[2] ?? '{}') as Settings;
const [exec, ...args] = process.argv.slice(3);
cluster.setupPrimary({ exec, args, execArgv: settings.execArgv });

/** The worker serving each index now. */
const workers = new Map<number, Worker>();
/** Workers on their way out (reload, scale down, stop): their exit is not a crash. */
const leaving = new Set<Worker>();
const reloads: Record<string, string> = {};
let wanted = settings.instances;
let stopping = false;
let busy = false;
let pending = false;
let youngDeaths = 0;

function writeState(): void {
  const state = {
    pid: process.pid,
    instances: wanted,
    workers: [...workers].sort(([a], [b]) => a - b).map(([index, w]) => ({ index, pid: w.process.pid ?? null })),
    reloads,
  };
  const tmp = `${settings.state}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, settings.state);
  } catch (error) {
    console.error(`bgrun cluster primary: cannot write ${settings.state}: ${(error as Error).message}`);
  }
}

function fork(index: number): Worker {
  const worker = cluster.fork({ BGRUN_INSTANCE: String(index), [settings.instanceVar]: String(index) });
  const born = Date.now();
  worker.on('exit', (code, signal) => {
    if (leaving.delete(worker) || stopping) return;
    if (workers.get(index) !== worker) return;
    workers.delete(index);
    writeState();
    youngDeaths = Date.now() - born < YOUNG_MS ? youngDeaths + 1 : 0;
    const how = `worker ${index} (pid ${worker.process.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`;
    const limit = settings.giveUpAfter ?? GIVE_UP_AFTER;
    if (youngDeaths >= limit) {
      console.error(`bgrun cluster primary: ${how}; workers died ${youngDeaths} times in a row within ${YOUNG_MS / 1000} s of starting, giving up (exit code 1)`);
      void giveUp();
      return;
    }
    const delay = Math.min(100 * 2 ** Math.min(youngDeaths, 6), 10_000);
    console.error(`bgrun cluster primary: ${how}; forking it again in ${delay} ms`);
    // Not unref'd: with no worker left this timer is all that keeps the primary alive,
    // and an empty event loop would end it with code 0, which a restart policy takes as success.
    setTimeout(() => {
      if (!stopping && !workers.has(index) && index < wanted) {
        workers.set(index, fork(index));
        writeState();
      }
    }, delay);
  });
  return worker;
}

/** Resolves once the worker listens; rejects when it exits first or takes too long. */
function listening(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`did not listen within ${settings.readyTimeoutMs} ms`)), settings.readyTimeoutMs);
    const onListening = () => done(null);
    const onExit = (code: number | null, signal: string | null) => done(new Error(signal ? `was killed by ${signal} before listening` : `exited with code ${code} before listening`));
    function done(error: Error | null) {
      clearTimeout(timer);
      worker.off('listening', onListening);
      worker.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    worker.once('listening', onListening);
    worker.once('exit', onExit);
  });
}

/** Disconnects a worker (it finishes its requests); kills it if it lingers. Resolves once it has exited. */
function retire(worker: Worker): Promise<void> {
  leaving.add(worker);
  return new Promise((resolve) => {
    if (worker.isDead()) return resolve();
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), settings.killTimeoutMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (worker.isConnected()) worker.disconnect();
    else worker.process.kill('SIGTERM');
  });
}

function readControl(): { instances?: number; reload?: string } {
  try {
    return JSON.parse(fs.readFileSync(settings.control, 'utf8')) as { instances?: number; reload?: string };
  } catch {
    return {};
  }
}

async function reload(id: string): Promise<void> {
  const indexes = [...workers.keys()].sort((a, b) => a - b);
  for (const index of indexes) {
    const old = workers.get(index);
    const fresh = fork(index);
    // Counted as the index's worker only once it listens: until then a crash of it is the reload's failure.
    leaving.add(fresh);
    try {
      await listening(fresh);
    } catch (error) {
      await retire(fresh);
      reloads[id] = `failed: the new worker ${index} ${(error as Error).message}; ${indexes.filter((i) => i >= index).length} worker(s) still run the old code`;
      writeState();
      return;
    }
    leaving.delete(fresh);
    workers.set(index, fresh);
    writeState();
    if (old) await retire(old);
  }
  reloads[id] = 'done';
  writeState();
}

async function scaleTo(count: number): Promise<void> {
  wanted = count;
  for (let i = 0; i < count; i++) if (!workers.has(i)) workers.set(i, fork(i));
  const surplus = [...workers.keys()].filter((i) => i >= count).sort((a, b) => b - a);
  writeState();
  for (const index of surplus) {
    const worker = workers.get(index)!;
    workers.delete(index);
    await retire(worker);
  }
  writeState();
}

async function onControl(): Promise<void> {
  if (busy) {
    pending = true;
    return;
  }
  busy = true;
  try {
    do {
      pending = false;
      const control = readControl();
      if (typeof control.instances === 'number' && control.instances !== wanted) await scaleTo(control.instances);
      if (typeof control.reload === 'string' && reloads[control.reload] === undefined) await reload(control.reload);
    } while (pending && !stopping);
  } finally {
    busy = false;
  }
}

/** Every worker disconnected (killed if it lingers), the state file removed, then the exit. */
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([...workers.values()].map(retire));
  try {
    fs.rmSync(settings.state, { force: true });
  } catch {
    // best effort
  }
  process.exit(code);
}

/** A crash loop: exit non-zero, so that the app shows as failed and --restart on-failure restarts it as a whole. */
function giveUp(): Promise<void> {
  return stopAll(1);
}

function shutdown(): Promise<void> {
  return stopAll(0);
}

process.on('SIGUSR2', () => void onControl());
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.on('SIGHUP', () => {});

// A restart after a scale: the control file holds the count bgrun asked for last.
const asked = readControl().instances;
if (typeof asked === 'number' && Number.isInteger(asked) && asked >= 0) wanted = asked;
for (let i = 0; i < wanted; i++) workers.set(i, fork(i));
writeState();
