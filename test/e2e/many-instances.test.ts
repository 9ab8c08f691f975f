import test from 'ava';
import { isAlive, processesOfHome, sandbox, sweepAll } from '../helpers/bgrun.js';
import { listJson } from '../helpers/proc.js';

test.after.always(sweepAll);

// `start --instances 1000` once left most copies `starting` for good: every copy spawned at once,
// then a thousand record updates of one process fighting over the lock. Copies are now spawned in
// batches, each batch's records written under one lock; this size runs in seconds.
const COPIES = 150;

test(`start --instances ${COPIES}: every copy running and listed with its own pid, none left starting`, async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--instances', String(COPIES), '--name', 'w', 'sleep', '300'], { timeout: 170_000 });
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout.match(/^started w\.\d+ \(pid \d+\)$/gm)?.length, COPIES);

  const listed = await listJson(box);
  t.is(listed.length, COPIES);
  t.deepEqual(
    listed.filter((p) => p.status !== 'running').map((p) => `${p.name}: ${p.status}`),
    [],
  );
  const pids = new Set(listed.map((p) => p.pid as number));
  t.is(pids.size, COPIES);
  for (const pid of pids) t.true(isAlive(pid));
  // Nothing of this state folder runs that is not listed.
  t.deepEqual(
    processesOfHome(box.home).filter((pid) => !pids.has(pid)),
    [],
  );
});

test('copies that fail at once are each recorded as errored, across batches, and the start says so', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--instances', '45', '--name', 'bad', 'sh', '-c', 'echo no >&2; exit 3']);
  t.is(result.exitCode, 1, result.stdout);
  t.regex(result.stderr, /exited with code 3/);
  const listed = await listJson(box);
  t.is(listed.length, 45);
  t.deepEqual(
    listed.filter((p) => p.status !== 'errored').map((p) => `${p.name}: ${p.status}`),
    [],
  );
  for (const p of listed) t.is(p.exitCode, 3, String(p.name));
});
