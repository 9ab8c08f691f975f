import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sandbox, sweepAll } from '../helpers/bgrun.js';
import { firstLine, runOk, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

test('a name starting with - is refused (it could never be addressed)', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--name=-dash', '--', 'sleep', '30']);
  t.is(result.exitCode, 2);
  t.is(firstLine(result.stderr), "bgrun: invalid name '-dash': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-', not all digits, not 'all'");
  const procfile = path.join(box.dir, 'Procfile');
  fs.writeFileSync(procfile, '-web: sleep 30\n');
  const fromProcfile = await box.run(['start', '--procfile', procfile]);
  t.not(fromProcfile.exitCode, 0);
  t.regex(fromProcfile.stderr, /invalid name '-web'|-web/);
});

test('--wait longer than a timer can wait is refused instead of becoming 1 ms', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['start', '--wait', '600h', '--', 'sh', '-c', 'exit 3']);
  t.is(result.exitCode, 2);
  t.is(firstLine(result.stderr), "bgrun: invalid --wait '600h': at most 2147483647 ms (24 days), the longest a timer can wait");
});

test('a start of a name whose start is in progress says so, not pid 0', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'ss', '--', 'sleep', '300']);
  // What a start in progress looks like: a record 'starting' with no pid yet, its launcher alive (this test).
  const file = path.join(box.home, 'records', 'ss.json');
  const record = JSON.parse(fs.readFileSync(file, 'utf8'));
  const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const stat = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  const starttime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  fs.writeFileSync(file, JSON.stringify({ ...record, status: 'starting', pid: null, identity: null, launcher: { pid: process.pid, identity: `${boot}:${starttime}` } }), { mode: 0o600 });
  fs.writeFileSync(record.pidFile, '');
  const result = await box.run(['start', '--name', 'ss', '--', 'sleep', '300']);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), "bgrun: 'ss' is already being started (by another bgrun, or by the supervisor); wait for it, or use --name to start another");
  await runOk(t, box, ['stop', 'all']);
});

test('a pidfile that is a symbolic link: a one-line error, no descriptor left open', async (t) => {
  const box = sandbox(t);
  await runOk(t, box, ['list']);
  const target = path.join(box.dir, 'elsewhere');
  fs.writeFileSync(target, 'keep');
  fs.symlinkSync(target, path.join(box.home, 'pids', 'linked.pid'));
  const result = await box.run(['start', '--name', 'linked', '--', 'sleep', '30']);
  t.is(result.exitCode, 1);
  t.is(
    firstLine(result.stderr),
    `bgrun: cannot write the pidfile ${path.join(box.home, 'pids', 'linked.pid')}: it is a symbolic link, which bgrun does not follow in its state folder; remove it`,
  );
  t.is(fs.readFileSync(target, 'utf8'), 'keep');
});
