import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, processesOfHome, readText, type Sandbox, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const RUNS = fixture('sup-runs.js');

interface Run {
  start: number;
  exit: number | null;
}

function runs(file: string): Run[] {
  const out: Run[] = [];
  for (const line of readText(file).split('\n')) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'start') out.push({ start: Number(b), exit: null });
    if (kind === 'exit' && out.length > 0) out[out.length - 1]!.exit = Number(a);
  }
  return out;
}

function supervisorFile(box: Sandbox): { pid: number; version: string } | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(box.home, 'supervisor.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Whether a SIGUSR2 waits to be delivered to pid (it is stopped): /proc/<pid>/status, SigPnd or ShdPnd. */
function wakePending(pid: number): boolean {
  const masks = readText(`/proc/${pid}/status`).matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm);
  // SIGUSR2 is signal 12: bit 11 of the mask.
  return [...masks].some((m) => (BigInt(`0x${m[1]}`) & 0x800n) !== 0n);
}

/** Supervisor processes of this sandbox, told apart from programs by their environment. */
/**
 * SIGSTOP at a moment it holds neither lock of the state folder: a stopped holder keeps its
 * lock (core/records/owned-lock.ts), so every command would wait on the lock instead of on
 * the supervisor, which is what these tests are about.
 */
async function freezeOutsideLocks(box: Sandbox, pid: number): Promise<void> {
  const holds = () =>
    ['registry.lock', 'logs.lock'].some((lock) => {
      try {
        return fs.readdirSync(path.join(box.home, lock)).some((f) => f.startsWith(`${pid}.`));
      } catch {
        return false;
      }
    });
  const stopped = () => /^\d+ \(.*\) T /.test(readText(`/proc/${pid}/stat`));
  for (;;) {
    process.kill(pid, 'SIGSTOP');
    await waitFor(stopped, { what: `pid ${pid} to be stopped` });
    if (!holds()) return;
    process.kill(pid, 'SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function supervisorPids(box: Sandbox): number[] {
  return processesOfHome(box.home).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('BGRUN_SUPERVISOR=1');
    } catch {
      return false;
    }
  });
}

async function startSupervised(box: Sandbox, args: string[], env: Record<string, string> = {}) {
  const result = await box.run(['start', ...args], { env });
  return result;
}

test('on-failure restarts a crash and leaves a clean exit alone', async (t) => {
  const box = sandbox(t);
  const crashFile = path.join(box.dir, 'crash.runs');
  const r1 = await startSupervised(box, ['--restart', 'on-failure', '--name', 'crash', RUNS], { RUNS_FILE: crashFile, LIVE_MS: '700', EXIT_CODE: '3' });
  t.is(r1.exitCode, 0, r1.stderr);
  await waitFor(() => runs(crashFile).length >= 3, { what: 'two restarts', timeout: 15_000 });
  const crash = box.record('crash');
  t.true(crash.restarts >= 2);
  t.is(crash.exitCode, 3);

  const okFile = path.join(box.dir, 'ok.runs');
  const r2 = await startSupervised(box, ['--restart', 'on-failure', '--name', 'clean', RUNS], { RUNS_FILE: okFile, LIVE_MS: '600', EXIT_CODE: '0' });
  t.is(r2.exitCode, 0, r2.stderr);
  await waitFor(() => box.record('clean').status === 'exited', { what: 'clean exit recorded' });
  const clean = box.record('clean');
  t.is(clean.exitCode, 0);
  t.is(clean.restarts, 0);
  t.is(runs(okFile).length, 1);
  await box.run(['stop', 'all']);
});

test('always restarts a clean exit too, and every run is counted and recorded', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'runs');
  const r = await startSupervised(box, ['--restart', 'always', '--name', 'job', RUNS], { RUNS_FILE: file, LIVE_MS: '600', EXIT_CODE: '0' });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => runs(file).length >= 3, { what: 'three runs', timeout: 15_000 });
  await waitFor(() => box.record('job').restarts >= 2, { what: 'restarts counted' });
  const listed = JSON.parse((await box.run(['list', '--json'])).stdout)[0];
  t.true(listed.restarts >= 2);
  t.is(listed.restart, 'always');
  await box.run(['stop', 'job']);
});

test('backoff grows while it crash-loops and resets after a run longer than --min-uptime', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'runs');
  // Runs 1-4 crash at once, run 5 stays up 6 s (> min-uptime 4 s), run 6 crashes at once. The margin is
  // wide because a loaded machine can take a second or more just to start Node for a run that "crashes at once".
  const r = await startSupervised(box, ['--restart', 'always', '--min-uptime', '4s', '--wait', '0', '--name', 'loop', RUNS], {
    RUNS_FILE: file,
    LIVE_PLAN: '0,0,0,0,6000,0,0',
  });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => runs(file).length >= 6, { what: 'six runs', timeout: 30_000 });
  await box.run(['stop', 'loop']);
  // The supervisor's decisions, in order.
  const delays = [...readText(path.join(box.home, 'supervisor.log')).matchAll(/loop exited with code 1; restarting in (\d+) ms/g)].map((m) => Number(m[1]));
  t.deepEqual(delays.slice(0, 5), [100, 200, 400, 800, 100]);
  // And they were kept: no run started before its backoff had passed.
  const all = runs(file);
  for (let i = 0; i < 5; i++) {
    const gap = all[i + 1]!.start - all[i]!.exit!;
    t.true(gap >= delays[i]! - 5, `run ${i + 2} started ${gap} ms after run ${i + 1} ended, backoff ${delays[i]}`);
  }
});

test('max-restarts ends in errored with the right count', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'runs');
  const r = await startSupervised(box, ['--restart', 'on-failure', '--max-restarts', '2', '--wait', '0', '--name', 'bad', RUNS], {
    RUNS_FILE: file,
    LIVE_MS: '0',
  });
  t.is(r.exitCode, 0, r.stderr);
  await waitFor(() => box.record('bad').status === 'errored', { what: 'errored', timeout: 15_000 });
  t.is(box.record('bad').restarts, 2);
  t.is(runs(file).length, 3);
  const listed = JSON.parse((await box.run(['list', '--json'])).stdout)[0];
  t.is(listed.status, 'errored');
  t.is(listed.exitCode, 1);
});

test('with --wait 0 a supervised program that ends at once is started, not a failure: the supervisor restarts it', async (t) => {
  const box = sandbox(t);
  // `sh -c 'exit 3'` ends within milliseconds: the command sees it between two runs, never running.
  const r = await box.run(['start', '--restart', 'always', '--wait', '0', '--name', 'flaky', '--', 'sh', '-c', 'exit 3']);
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout.split('\n')[0]!, /^started flaky \((pid \d+|ended at once; the supervisor restarts it)\)$/);
  await waitFor(() => box.record('flaky').restarts >= 2, { what: 'restarts' });
  await box.run(['stop', 'all']);
});

test('an immediate crash is reported by start, with the exit code and stderr tail', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--restart', 'on-failure', '--max-restarts', '1', '--', 'sh', '-c', 'echo boom >&2; exit 4']);
  t.is(r.exitCode, 1);
  t.regex(r.stderr.split('\n')[0]!, /^bgrun: 'sh' exited with code 4 right after starting/);
  t.regex(r.stderr, /boom/);
  await box.run(['stop', 'all']);
});

test('a supervised program that cannot be spawned is reported with the reason, not with the last run exit', async (t) => {
  const box = sandbox(t);
  const work = path.join(box.dir, 'work');
  fs.mkdirSync(work);
  const started = await box.run(['start', '--restart', 'always', '--name', 'web', '--', 'sleep', '1000'], { cwd: work });
  t.is(started.exitCode, 0, started.stderr);
  t.is((await box.run(['stop', 'web'])).exitCode, 0);
  t.is(box.record('web').signal, 'SIGTERM', 'the stopped run was ended by SIGTERM');
  fs.rmdirSync(work);

  const refused = await box.run(['restart', 'web']);
  t.is(refused.exitCode, 1);
  t.regex(refused.stderr, /^bgrun: cannot restart 'web': working folder .+ is unusable: no such file or directory$/);
  const shown = await box.run(['show', 'web']);
  t.regex(shown.stdout, /^start error +working folder .+ is unusable/m);

  // Once the folder is back, a restart clears the error.
  fs.mkdirSync(work);
  t.is((await box.run(['restart', 'web'])).exitCode, 0);
  t.is(box.record('web').startError, null);
  await box.run(['stop', 'all']);
});

test('SIGKILL of the supervisor: programs live on, the next command brings one back, which restarts a program killed after', async (t) => {
  const box = sandbox(t);
  const r = await startSupervised(box, ['--restart', 'always', '--json', fixture('ready.js')]);
  t.is(r.exitCode, 0, r.stderr);
  const program = JSON.parse(r.stdout);
  const first = supervisorFile(box)!;
  t.truthy(first);
  process.kill(first.pid, 'SIGKILL');
  await waitFor(() => !isAlive(first.pid), { what: 'supervisor gone' });
  t.true(isAlive(program.pid));

  const listed = JSON.parse((await box.run(['list', '--json'])).stdout)[0];
  t.is(listed.status, 'running');
  t.is(listed.pid, program.pid);
  const second = await waitFor(() => {
    const s = supervisorFile(box);
    return s && s.pid !== first.pid && isAlive(s.pid) ? s : null;
  }, { what: 'a new supervisor' });
  t.deepEqual(supervisorPids(box), [second.pid]);

  process.kill(program.pid, 'SIGKILL');
  const restarted = await waitFor(() => {
    const rec = box.record('ready');
    return rec.pid !== null && rec.pid !== program.pid && rec.status === 'running' ? rec : null;
  }, { what: 'restart after kill', timeout: 10_000 });
  t.true(isAlive(restarted.pid!));
  t.is(restarted.restarts, 1);
  await box.run(['stop', 'all']);
});

test('a start waits for a supervisor that is busy (its log grows), gives up on one that does nothing for 10 s, and at once on one that died', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--restart', 'always', '--wait', '0', '--name', 'first', '--', 'sleep', '1000'])).exitCode, 0);
  const supervisor = await waitFor(() => supervisorFile(box), { what: 'supervisor.json' });
  const log = path.join(box.home, 'supervisor.log');
  // Frozen with SIGSTOP, it spawns nothing; the teardown thaws it so it can be killed cleanly.
  t.teardown(() => {
    try {
      process.kill(supervisor.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  });

  // Busy: as if spawning other programs, its log grows every second for 12 s; then it thaws.
  await freezeOutsideLocks(box, supervisor.pid);
  const busyStart = box.run(['start', '--restart', 'always', '--wait', '0', '--name', 'busy', '--', 'sleep', '1000']);
  for (let i = 0; i < 12; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    fs.appendFileSync(log, `still working ${i}\n`);
  }
  process.kill(supervisor.pid, 'SIGCONT');
  const busy = await busyStart;
  t.is(busy.exitCode, 0, busy.stderr);
  t.regex(busy.stdout, /^started busy \(pid \d+\)/);

  // Stalled: nothing for 10 s is a one-line failure naming the supervisor and its log.
  await freezeOutsideLocks(box, supervisor.pid);
  const began = Date.now();
  const stalled = await box.run(['start', '--restart', 'always', '--wait', '0', '--name', 'stalled', '--', 'sleep', '1000']);
  const waited = Date.now() - began;
  process.kill(supervisor.pid, 'SIGCONT');
  t.is(stalled.exitCode, 1);
  t.regex(stalled.stderr, new RegExp(`^bgrun: the supervisor \\(pid ${supervisor.pid}\\) did not start 'stalled' and did nothing for 10 s; see .+supervisor\\.log$`));
  t.true(waited >= 10_000, `gave up after ${waited} ms`);
  t.notRegex(readText(log), /warning/i, 'Node warns nothing about the supervisor flags');

  // Gone: a supervisor that dies while a start waits for it fails that start at once.
  const current = await waitFor(() => supervisorFile(box), { what: 'supervisor.json' });
  await freezeOutsideLocks(box, current.pid);
  fs.appendFileSync(log, 'last words\n');
  const orphanedStart = box.run(['start', '--restart', 'always', '--wait', '0', '--name', 'orphaned', '--', 'sleep', '1000']);
  // The start has found this supervisor and woken it (SIGUSR2 stays pending while it is stopped):
  // from then on it waits for this one, so a kill now cannot be mended by starting another.
  await waitFor(() => wakePending(current.pid), { what: 'the start to wake the supervisor', timeout: 30_000 });
  process.kill(current.pid, 'SIGKILL');
  const killedAt = Date.now();
  const orphaned = await orphanedStart;
  t.is(orphaned.exitCode, 1);
  t.regex(orphaned.stderr, new RegExp(`^bgrun: the supervisor \\(pid ${current.pid}\\) exited before starting 'orphaned' \\(its log ends: last words\\); see .+supervisor\\.log$`));
  t.true(Date.now() - killedAt < 5000, 'reported without waiting for the stall timeout');
  await box.run(['stop', 'all']);
});

test('20 concurrent start --restart produce exactly one supervisor', async (t) => {
  const box = sandbox(t);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => box.run(['start', '--restart', 'always', '--wait', '0', '--name', `p${i}`, fixture('ready.js')])),
  );
  for (const r of results) t.is(r.exitCode, 0, r.stderr);
  const listed = JSON.parse((await box.run(['list', '--json'])).stdout);
  t.is(listed.length, 20);
  await waitFor(() => JSON.parse(readText(path.join(box.home, 'supervisor.json')) || 'null'), { what: 'supervisor.json' });
  t.is(supervisorPids(box).length, 1);
  for (const p of listed) t.true(p.pid !== null && isAlive(p.pid), `${p.name} runs`);
  await box.run(['stop', 'all']);
});

test('stop is never undone by the supervisor, start supervises it again, and the supervisor exits when idle', async (t) => {
  const box = sandbox(t);
  const r = await startSupervised(box, ['--restart', 'always', '--json', fixture('ready.js')]);
  const program = JSON.parse(r.stdout);
  const supervisor = supervisorFile(box)!;
  const stopped = await box.run(['stop', 'ready']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.false(isAlive(program.pid));
  // Longer than the first backoff and a few supervisor ticks: it must stay stopped.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.is(box.record('ready').status, 'stopped');
  t.is(processesOfHome(box.home).filter((pid) => pid !== supervisor.pid).length, 0);
  await waitFor(() => !isAlive(supervisor.pid), { what: 'idle supervisor to exit', timeout: 10_000 });
  t.is(supervisorFile(box), null);

  const again = await box.run(['start', '--json', 'ready']);
  t.is(again.exitCode, 0, again.stderr);
  const second = JSON.parse(again.stdout);
  t.not(second.pid, program.pid);
  process.kill(second.pid, 'SIGKILL');
  await waitFor(() => {
    const rec = box.record('ready');
    return rec.pid !== null && rec.pid !== second.pid && rec.status === 'running';
  }, { what: 'supervised again', timeout: 10_000 });
  await box.run(['stop', 'all']);
});

test('max-memory restarts a program whose memory stays above the limit', async (t) => {
  const box = sandbox(t);
  const r = await startSupervised(box, ['--restart', 'always', '--max-memory', '120M', '--json', fixture('sup-grow.js')]);
  t.is(r.exitCode, 0, r.stderr);
  const first = JSON.parse(r.stdout);
  await waitFor(() => box.record('sup-grow').restarts >= 1, { what: 'memory restart', timeout: 20_000 });
  t.false(isAlive(first.pid));
  t.regex(readText(path.join(box.home, 'supervisor.log')), /over --max-memory/);
  await box.run(['stop', 'all']);
});

test('an older supervisor is replaced without restarting any program', async (t) => {
  const box = sandbox(t);
  const r = await startSupervised(box, ['--restart', 'always', '--json', fixture('ready.js')]);
  const program = JSON.parse(r.stdout);
  const old = supervisorFile(box)!;
  // Make the running supervisor look like one from an older bgrun.
  const file = path.join(box.home, 'supervisor.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(readText(file)), version: '0.0.1-old' }));
  const listed = await box.run(['list', '--json']);
  t.is(listed.exitCode, 0, listed.stderr);
  const fresh = await waitFor(() => {
    const s = supervisorFile(box);
    return s && s.pid !== old.pid ? s : null;
  }, { what: 'new supervisor' });
  await waitFor(() => !isAlive(old.pid), { what: 'old supervisor to exit' });
  t.not(fresh.version, '0.0.1-old');
  t.true(isAlive(program.pid));
  const rec = box.record('ready');
  t.is(rec.pid, program.pid);
  t.is(rec.restarts, 0);
  // The new one watches it: kill it and it comes back.
  process.kill(program.pid, 'SIGKILL');
  await waitFor(() => box.record('ready').restarts === 1, { what: 'restart by the new supervisor', timeout: 10_000 });
  await box.run(['stop', 'all']);
});

test('bgrun supervisor reports pid, version, memory and programs', async (t) => {
  const box = sandbox(t);
  const none = JSON.parse((await box.run(['supervisor', '--json'])).stdout);
  t.false(none.running);
  await startSupervised(box, ['--restart', 'on-failure', fixture('ready.js')]);
  const info = JSON.parse((await box.run(['doctor', '--json'])).stdout);
  t.true(info.running);
  t.is(info.pid, supervisorFile(box)!.pid);
  t.true(info.memory > 0);
  t.is(info.programs.length, 1);
  t.is(info.programs[0].name, 'ready');
  const text = await box.run(['supervisor']);
  t.regex(text.stdout, /^supervisor running: pid \d+, version/);
  await box.run(['stop', 'all']);
});

test('supervised-only options without --restart are a usage error', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--max-memory', '100M', fixture('ready.js')]);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /^bgrun: --max-memory needs a supervised program/);
  const bad = await box.run(['start', '--restart', 'sometimes', fixture('ready.js')]);
  t.is(bad.exitCode, 2);
  t.is(processesOfHome(box.home).length, 0);
});

test('a corrupt record is left for list to report, and the supervisor logs it once', async (t) => {
  const box = sandbox(t);
  const r = await startSupervised(box, ['--restart', 'always', '--name', 'steady', fixture('ready.js')]);
  t.is(r.exitCode, 0, r.stderr);
  const log = path.join(box.home, 'supervisor.log');
  // Seen first empty (a writer caught mid-write), then broken another way: still one report.
  fs.writeFileSync(path.join(box.home, 'records', 'broken.json'), '', { mode: 0o600 });
  await waitFor(() => readText(log).includes("the record of 'broken' is unreadable"), { what: 'the supervisor to log the record', timeout: 10_000 });
  fs.writeFileSync(path.join(box.home, 'records', 'broken.json'), '{"name": "broken", "pid": 12', { mode: 0o600 });
  // Several ticks later (500 ms each), still one line, and the record still in place.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.is(readText(log).match(/record of 'broken' is unreadable/g)?.length, 1);
  t.true(fs.existsSync(path.join(box.home, 'records', 'broken.json')));
  const listed = await box.run(['list', '--json']);
  t.is(listed.exitCode, 0);
  t.regex(listed.stderr, /^bgrun: the record of 'broken' is unreadable \(invalid JSON: .*\); moved it to .*quarantine\/broken\.\d+\.json$/m);
  t.deepEqual(
    JSON.parse(listed.stdout).map((p: { name: string }) => p.name),
    ['steady'],
  );
  await box.run(['stop', 'all']);
});
