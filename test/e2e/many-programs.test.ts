import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { processesOfHome, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { listJson, runOk } from '../helpers/proc.js';

test.after.always(sweepAll);

// Issue 16's fault: starts and a `stop all` at the same time, with many programs recorded.
const RECORDED = 80;
const STARTS = 20;

test('20 starts and a stop all at the same time: every record readable, every program listed as it is, none untracked', async (t) => {
  const box = sandbox(t);
  const config = path.join(box.dir, 'many.config.json');
  const apps = Array.from({ length: RECORDED }, (_, i) => ({ name: `p${i}`, script: 'sleep', args: ['300'] }));
  fs.writeFileSync(config, JSON.stringify({ apps }));
  await runOk(t, box, ['start', '--config', config, '--wait', '0']);

  const starts = Array.from({ length: STARTS }, (_, i) => box.run(['start', '--wait', '0', '--name', `n${i}`, 'sleep', '300']));
  const [stop, ...started] = await Promise.all([box.run(['stop', 'all']), ...starts]);
  t.is(stop.exitCode, 0, stop.stderr);
  // A start the stop caught during its grace period says so; either way its program ends up listed as it is.
  for (const r of started) t.true(r.exitCode === 0 || /was killed by SIGTERM right after starting/.test(r.stderr), r.stderr);

  // Every record parses, and nothing was quarantined.
  const records = path.join(box.home, 'records');
  const files = fs.readdirSync(records).filter((f) => f.endsWith('.json'));
  t.is(files.length, RECORDED + STARTS);
  for (const f of files) t.notThrows(() => JSON.parse(fs.readFileSync(path.join(records, f), 'utf8')), f);
  t.false(fs.existsSync(path.join(box.home, 'quarantine')));

  // Each program is running and listed with its pid, or stopped; no process of this home is unlisted.
  const listed = await listJson(box);
  t.is(listed.length, RECORDED + STARTS);
  for (const p of listed) t.true(p.status === 'running' || p.status === 'stopped', `${p.name}: ${p.status}`);
  for (const p of listed.filter((x) => String(x.name).startsWith('p'))) t.is(p.status, 'stopped', `${p.name} was recorded before the stop`);
  const running = new Set(listed.filter((p) => p.status === 'running').map((p) => p.pid as number));
  // A process caught in its exit right now (killed by the stop, reaped by whoever) is let go; a program left running stays.
  const untracked = () => processesOfHome(box.home).filter((pid) => !running.has(pid));
  await waitFor(() => untracked().length === 0, { timeout: 5000, what: 'no unlisted process' }).catch(() => {});
  t.deepEqual(untracked(), [], JSON.stringify(listed.map((p) => [p.name, p.status, p.pid])));
  t.log(`${running.size} of the ${STARTS} late starts were still running after the stop all`);
});
