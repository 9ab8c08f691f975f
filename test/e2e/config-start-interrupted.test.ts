import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BIN, ROOT, processesOfHome, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import type { Sandbox } from '../helpers/bgrun.js';
import { LONG, listJson } from '../helpers/proc.js';

test.after.always(sweepAll);

/**
 * A config start of many apps that fails part-way (its bgrun killed, or a lock it cannot
 * get) must leave every program it spawned recorded: listed by its pid, and ended by
 * the next `stop all`. Nothing of the state folder may run unlisted.
 */

/** A bgrun.config.json of `count` plain programs (bgrun's own dialect: no restart by default). */
function plainConfig(box: Sandbox, count: number): string {
  const file = path.join(box.dir, 'bgrun.config.json');
  const apps = Array.from({ length: count }, (_, i) => ({ name: `p${i}`, script: 'sleep', args: ['100000'] }));
  fs.writeFileSync(file, JSON.stringify({ apps }));
  return file;
}

/** The programs of the state folder (sleep), once none is still the launch shell that writes its pidfile. */
async function settledPrograms(box: Sandbox, except: number[]): Promise<number[]> {
  const comm = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return 'gone';
    }
  };
  let programs: number[] = [];
  await waitFor(
    () => {
      const pids = processesOfHome(box.home).filter((pid) => !except.includes(pid) && comm(pid) !== 'gone');
      // The supervisor is no program of this config (it may run for their log keeping); a launch shell execs its program soon.
      const kinds = pids.map(comm);
      programs = pids.filter((_, i) => kinds[i] === 'sleep');
      return kinds.every((k) => k === 'sleep' || k === 'node' || k === 'MainThread');
    },
    { timeout: LONG, what: 'every launch shell to have exec-ed its program' },
  );
  return programs;
}

/** Every program running for the state folder is listed by its pid; the next stop all leaves nothing running. */
async function checkAllTracked(t: import('ava').ExecutionContext, box: Sandbox, except: number[]): Promise<void> {
  const running = await settledPrograms(box, except);
  t.true(running.length > 0, 'the start spawned programs before it failed');
  const listed = await listJson(box);
  const pids = new Set(listed.filter((p) => p.status === 'running').map((p) => p.pid as number));
  const untracked = running.filter((pid) => !pids.has(pid));
  t.deepEqual(untracked, [], `programs running but not listed: ${untracked.join(', ')}`);
  const stop = await box.run(['stop', 'all']);
  t.is(stop.exitCode, 0, stop.stderr);
  await waitFor(() => processesOfHome(box.home).filter((pid) => !except.includes(pid)).length === 0, {
    timeout: LONG,
    what: `nothing of the state folder left running (${processesOfHome(box.home).join(', ')})`,
  });
}

test('a config start killed half-way (SIGKILL): every program it spawned is listed and stopped by stop all', async (t) => {
  const box = sandbox(t);
  const file = plainConfig(box, 150);
  const cli = execa(process.execPath, [BIN, 'start', '--config', file, '--wait', '0'], { env: box.env, cwd: ROOT, reject: false, stdin: 'ignore' });
  // Killed once some programs run, while it is still spawning the others.
  await waitFor(() => processesOfHome(box.home).filter((pid) => pid !== cli.pid).length >= 10, { timeout: 120_000, what: 'the first programs to run' });
  cli.kill('SIGKILL');
  const result = await cli;
  // On a fast machine the start may be done first: what follows holds either way.
  if (result.signal !== 'SIGKILL') t.log(`the start ended before it was killed (exit ${result.exitCode})`);
  await checkAllTracked(t, box, []);
});
