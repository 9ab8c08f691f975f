import test, { type ExecutionContext } from 'ava';
import { type Context, createContext } from '../../../src/core/context.js';
import { ensureState } from '../../../src/core/paths.js';
import { startApp } from '../../../src/core/lifecycle/start.js';
import { stopRecords } from '../../../src/core/lifecycle/stop.js';
import { processIdentity } from '../../../src/core/processes/process-info.js';
import { readRecord } from '../../../src/core/records/registry.js';
import { Supervisor } from '../../../src/supervisor/supervisor.js';
import { readSupervisorInfo, writeSupervisorInfo } from '../../../src/supervisor/supervisor-file.js';
import { bgrunVersion } from '../../../src/version.js';
import { fixture, isAlive, sandbox, sweepAll, waitFor } from '../../helpers/bgrun.js';

test.after.always(sweepAll);

/** Handles that keep a process alive, by kind (timers, watchers, child processes). */
function activeKinds(): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  return kinds;
}

/** A supervisor inside this process for the sandbox of `t`, and a context whose supervised starts it serves. */
function inProcess(t: ExecutionContext): { core: Context; ctx: Context; supervisor: Supervisor; lines: string[] } {
  const box = sandbox(t);
  const core = createContext({ home: box.home, env: { ...process.env, ...box.env } });
  ensureState(core.paths);
  // This process is the supervisor of the state folder, as main.ts would be.
  writeSupervisorInfo(core.paths, { pid: process.pid, identity: processIdentity(process.pid), version: bgrunVersion(), startedAt: new Date().toISOString() });
  const lines: string[] = [];
  const supervisor = new Supervisor(core, (line) => lines.push(line));
  const ctx: Context = {
    ...core,
    supervisor: {
      // The CLI's hand-over (delegate.ts) without spawning a supervisor: wake this one and wait for the pid.
      launch: async (c, record) => {
        supervisor.wake();
        const running = await waitFor(() => {
          const r = readRecord(c.paths, record.name);
          return r?.status === 'running' && r.pid !== null ? r : null;
        }, { timeout: 30_000, what: `${record.name} running` });
        return { record: running, exitedCleanly: false };
      },
      ensure: async () => {},
    },
  };
  return { core, ctx, supervisor, lines };
}

test('the supervisor runs inside this process: it supervises a real child, and its shutdown returns and leaves nothing behind', async (t) => {
  const before = activeKinds();
  const { core, ctx, supervisor, lines } = inProcess(t);
  let closed = false;
  void supervisor.closed.then(() => {
    closed = true;
  });
  supervisor.start();

  const started = await startApp(ctx, { script: fixture('ticker.js'), name: 'inproc', restart: 'always', minUptimeMs: 0 });
  const first = started.record.pid!;
  t.true(isAlive(first));
  // It is our child: a kill is seen at once and the program comes back under a new pid.
  process.kill(first, 'SIGKILL');
  const again = await waitFor(() => {
    const r = readRecord(core.paths, 'inproc');
    return r?.status === 'running' && r.pid !== null && r.pid !== first && r.restarts >= 1 ? r : null;
  }, { timeout: 30_000, what: 'a restart after SIGKILL' });
  t.true(isAlive(again.pid!));

  await stopRecords(ctx, [readRecord(core.paths, 'inproc')!]);
  t.false(isAlive(again.pid!));
  t.is(readRecord(core.paths, 'inproc')?.status, 'stopped');

  // Returns (resolves) instead of exiting the process.
  await supervisor.shutdown('test over');
  t.true(closed);
  t.true(lines.some((line) => line === 'exiting (test over); programs keep running'), lines.join('\n'));
  // A second call is harmless.
  await supervisor.shutdown('again');
  t.is(lines.filter((line) => line.startsWith('exiting')).length, 1);
  // No timer, watcher or child handle of the supervisor is left.
  await waitFor(() => {
    const after = activeKinds();
    return [...after].every(([kind, n]) => n <= (before.get(kind) ?? 0));
  }, { timeout: 10_000, what: `no handle left (before ${JSON.stringify([...before])}, now ${JSON.stringify([...activeKinds()])})` });
  t.is(readSupervisorInfo(core.paths)?.pid, process.pid, 'supervisor.json is the entry point’s business, not shutdown’s');
});

// Serial: the test above counts this process's handles, which a supervisor running beside it would hold.
test.serial('with --restart-delay 0 a crash is restarted at once: one record names the new run and how the last one ended', async (t) => {
  const { core, ctx, supervisor, lines } = inProcess(t);
  t.teardown(() => supervisor.shutdown('test over'));
  supervisor.start();
  const started = await startApp(ctx, { script: fixture('ticker.js'), name: 'quick', restart: 'always', restartDelayMs: 0 });
  const first = started.record.pid!;
  process.kill(first, 'SIGKILL');
  const again = await waitFor(() => {
    const r = readRecord(core.paths, 'quick');
    // The log line follows the record (a waiting command reads the record first): wait for both.
    return r?.status === 'running' && r.pid !== null && r.pid !== first && lines.includes(`restarted quick (pid ${r.pid})`) ? r : null;
  }, { timeout: 30_000, what: 'a restart after SIGKILL, recorded and logged' });
  t.true(isAlive(again.pid!));
  t.like(again, { restarts: 1, signal: 'SIGKILL', exitCode: null, nextStartAt: null, endedAt: null });
  const at = lines.indexOf('quick was killed by SIGKILL; restarting in 0 ms');
  t.true(at >= 0, lines.join('\n'));
  t.is(lines[at + 1], `restarted quick (pid ${again.pid})`);
  await stopRecords(ctx, [readRecord(core.paths, 'quick')!]);
});
