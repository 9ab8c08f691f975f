import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, processesOfHome, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, listJson, procStat, runOk, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

// `stop all` walks every program's tree before it signals anything, sharing one scan of the
// processes where the kernel has no children files: each tree must still be found whole.
const TREES = 4;
const PLAIN = 20;

test('stop all of many programs at once ends every tree, grandchildren that left with setsid included', async (t) => {
  const box = sandbox(t);
  // A bgrun config (not a pm2 file): plain programs, no supervisor.
  const config = path.join(box.dir, 'bgrun.many.json');
  fs.writeFileSync(config, JSON.stringify({ apps: Array.from({ length: PLAIN }, (_, i) => ({ name: `p${i}`, script: 'sleep', args: ['300'] })) }));
  await runOk(t, box, ['start', '--config', config, '--wait', '0']);
  const trees: number[][] = [];
  for (let i = 0; i < TREES; i++) {
    const info = await startJson(t, box, ['--name', `tree${i}`, fixture('tree.sh')]);
    const child = Number((await waitForMatch(info.outLog, /^child (\d+)$/m))[1]);
    const middle = Number((await waitForMatch(info.outLog, /^middle (\d+)$/m))[1]);
    const grandchild = Number((await waitForMatch(info.outLog, /^grandchild (\d+)$/m))[1]);
    await waitFor(() => procStat(grandchild)?.sid === grandchild, { timeout: LONG, what: `the grandchild of tree${i} in its own session` });
    trees.push([info.pid, child, middle, grandchild]);
  }
  const listed = await listJson(box);
  t.is(listed.filter((p) => p.status === 'running').length, PLAIN + TREES);

  const result = await box.run(['stop', 'all']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout.split('\n').filter((l) => l.startsWith('stopped ')).length, PLAIN + TREES, result.stdout);
  // stop returns only once everything is gone: no waiting here.
  for (const pid of trees.flat()) t.false(isAlive(pid), `pid ${pid} gone after stop all`);
  t.deepEqual(processesOfHome(box.home), [], 'no orphans');
  for (const p of await listJson(box)) t.is(p.status, 'stopped', String(p.name));
});
