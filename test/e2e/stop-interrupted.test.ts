import { execa } from 'execa';
import test from 'ava';
import { BIN, ROOT, fixture, isAlive, processesOfHome, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, listJson, runOk, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

const COPIES = 30;

// A `stop all` killed half-way (SIGKILL: no cleanup) must leave state that the next command
// completes: nothing of what it was stopping may be left running without bgrun knowing it.
// Supervised: the supervisor sees each main process exit and writes its pid away, leaving only the strays to go by.
for (const mode of ['plain', 'supervised'] as const) {
  test(`a stop all killed half-way (${mode}): list shows what is left, the next stop all ends it, nothing runs untracked`, async (t) => {
    const box = sandbox(t);
    const policy = mode === 'supervised' ? ['--restart', 'always'] : [];
    await runOk(t, box, ['start', '--wait', '0', ...policy, '--instances', String(COPIES), '--name', 'w', 'sh', fixture('stray-child.sh')]);
    const programs = (await listJson(box)).map((p) => ({ name: p.name as string, pid: p.pid as number, outLog: p.outLog as string }));
    t.is(programs.length, COPIES);
    const strays = await Promise.all(programs.map(async (p) => Number((await waitForMatch(p.outLog, /^stray (\d+)$/m))[1])));

    // The first stop signals everything and then waits for the strays, which ignore SIGTERM; it is killed while it waits.
    const first = execa(process.execPath, [BIN, 'stop', 'all', '--timeout', '60s'], { env: box.env, cwd: ROOT, reject: false, stdin: 'ignore' });
    await waitFor(() => programs.every((p) => !isAlive(p.pid)), { timeout: LONG, what: 'every main process ended by the first stop' });
    first.kill('SIGKILL');
    await first;
    t.true(strays.every(isAlive), 'the strays ignore SIGTERM, so they outlived the killed stop');

    // The next list shows each program with what is left of it.
    const listed = await listJson(box);
    for (const [i, p] of programs.entries()) {
      const row = listed.find((r) => r.name === p.name)!;
      const left = row.status === 'running' ? [] : ((row.leftovers as number[] | undefined) ?? []);
      t.true(row.status === 'running' || left.includes(strays[i]!), `${p.name}: ${JSON.stringify(row)}`);
    }

    // The next stop all finishes the job.
    const second = await box.run(['stop', 'all', '--timeout', '1s']);
    t.is(second.exitCode, 0, second.stderr);
    // The supervisor stays 2 s after its last program stops (a start right after finds it): wait for that,
    // not longer. A program or stray left running would never go, and fail here.
    await waitFor(() => processesOfHome(box.home).length === 0, { timeout: 15_000, what: `nothing of the state folder left running (${processesOfHome(box.home).join(', ')})` });
    t.false(strays.some(isAlive));
    const after = await listJson(box);
    t.true(after.every((p) => p.status === 'stopped' && p.leftovers === undefined), JSON.stringify(after.filter((p) => p.status !== 'stopped' || p.leftovers)));
  });
}
