import { type ChildProcess, spawn } from 'node:child_process';
import test, { type ExecutionContext } from 'ava';
import { processIdentity } from '../../../../src/core/processes/process-info.js';
import { terminateTree } from '../../../../src/core/processes/terminate.js';
import { fixture, isAlive, waitFor } from '../../../helpers/bgrun.js';
import { spawnOwnAtPid } from '../../../helpers/proc.js';

/** Starts a fixture as bgrun does (its own session and group) and collects the `<what> <pid>` lines it prints. */
async function startTree(t: ExecutionContext, script: string, lines: string[]): Promise<{ child: ChildProcess; pids: Map<string, number> }> {
  const child = spawn(process.execPath, [fixture(script)], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const pids = new Map<string, number>();
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (const m of buffered.matchAll(/^(\w+) (\d+)$/gm)) pids.set(m[1]!, Number(m[2]));
  });
  t.teardown(() => {
    for (const pid of pids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  await waitFor(() => lines.every((l) => pids.has(l)), { timeout: 30_000, what: `${script} to print ${lines.join(', ')}` });
  child.stdout!.destroy();
  return { child, pids };
}

test('graceful: SIGTERM reaches the whole tree, a grandchild in its own session included, with no SIGKILL', async (t) => {
  const { pids } = await startTree(t, 'tree.js', ['child', 'middle', 'grandchild', 'ready']);
  const root = pids.get('ready')!;
  const result = await terminateTree(root, processIdentity(root)!, { timeoutMs: 20_000 });
  t.deepEqual(result, { wasRunning: true, escalated: false, signalled: 4 });
  for (const [what, pid] of pids) t.false(isAlive(pid), what);
});

test('a program that ignores SIGTERM gets SIGKILL after the timeout', async (t) => {
  const { pids } = await startTree(t, 'ignore-term.js', ['ready']);
  const pid = pids.get('ready')!;
  const began = Date.now();
  const result = await terminateTree(pid, processIdentity(pid)!, { timeoutMs: 500 });
  t.true(result.wasRunning);
  t.true(result.escalated);
  t.true(Date.now() - began >= 500);
  t.false(isAlive(pid));
});

test('a pid whose identity does not match is never signalled', async (t) => {
  const { pids } = await startTree(t, 'ignore-term.js', ['ready']);
  const pid = pids.get('ready')!;
  const identity = processIdentity(pid)!;
  // The same pid, as if another process had started under it since the record was made.
  const stale = identity.replace(/\d+$/, (n) => String(Number(n) + 1));
  t.deepEqual(await terminateTree(pid, stale, { signal: 'SIGKILL' }), { wasRunning: false, escalated: false, signalled: 0 });
  t.true(isAlive(pid));
});

test('a pid that was really reused by another process is left alone', async (t) => {
  const { child, pids } = await startTree(t, 'ignore-term.js', ['ready']);
  const pid = pids.get('ready')!;
  const identity = processIdentity(pid)!;
  process.kill(pid, 'SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const other = await spawnOwnAtPid(t, pid, 'sleep', ['300']);
  if (!other) {
    t.log('cannot start a process at a chosen pid here (needs root and /proc/sys/kernel/ns_last_pid); the identity test above covers the check');
    t.pass();
    return;
  }
  t.deepEqual(await terminateTree(pid, identity, { signal: 'SIGKILL' }), { wasRunning: false, escalated: false, signalled: 0 });
  t.true(isAlive(pid), 'the process now at that pid is untouched');
});
