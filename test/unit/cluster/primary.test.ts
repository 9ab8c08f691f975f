import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { ROOT, fixture, sandbox, sweepAll } from '../../helpers/bgrun.js';

test.after.always(sweepAll);

const PRIMARY = path.join(ROOT, 'dist', 'cluster', 'primary.js');

test('the primary gives up on workers that keep dying young: it exits with code 1 (never 0), saying so', async (t) => {
  const box = sandbox(t);
  const settings = {
    instances: 2,
    execArgv: [],
    instanceVar: 'NODE_APP_INSTANCE',
    control: path.join(box.dir, 'c.control.json'),
    state: path.join(box.dir, 'c.state.json'),
    killTimeoutMs: 5000,
    readyTimeoutMs: 5000,
    giveUpAfter: 3,
  };
  // BGRUN_HOME only marks the processes as this test's, for the teardown's sweep.
  const run = await execa(process.execPath, [PRIMARY, JSON.stringify(settings), fixture('crash-once-server.js')], {
    env: { ...box.env, ALWAYS_CRASH: '1' },
    reject: false,
    timeout: 60_000,
  });
  t.is(run.exitCode, 1, String(run.stderr));
  const lines = String(run.stderr)
    .split('\n')
    .filter((l) => l.startsWith('bgrun cluster primary:'));
  t.is(lines.length, 3, String(run.stderr));
  for (const line of lines.slice(0, 2)) t.regex(line, /^bgrun cluster primary: worker [01] \(pid \d+\) exited with code 3; forking it again in \d+ ms$/);
  t.regex(lines[2]!, /^bgrun cluster primary: worker [01] \(pid \d+\) exited with code 3; workers died 3 times in a row within 5 s of starting, giving up \(exit code 1\)$/);
  t.false(fs.existsSync(settings.state), 'no state file left behind');
});
