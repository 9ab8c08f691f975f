import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ROOT, type Sandbox, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

/**
 * Another bgrun in the middle of its work: takes the registry lock, says so, keeps it until
 * told to go on (a file appears), then reports which records it saw while it held it.
 */
const HOLDER = `
import fs from 'node:fs';
import { withLock } from ${JSON.stringify(path.join(ROOT, 'dist/core/records/registry.js'))};
import { statePaths } from ${JSON.stringify(path.join(ROOT, 'dist/core/paths.js'))};
const [home, go, report] = process.argv.slice(1);
const paths = statePaths(home);
await withLock(paths, async () => {
  process.stdout.write('held\\n');
  while (!fs.existsSync(go)) await new Promise((r) => setTimeout(r, 20));
  fs.writeFileSync(report, JSON.stringify(fs.readdirSync(paths.records).filter((f) => f.endsWith('.json'))));
});
`;

interface Holder {
  child: ChildProcess;
  exited: Promise<number | null>;
  go: string;
  report: string;
}

async function holdLock(t: ExecutionContext, box: Sandbox): Promise<Holder> {
  const go = path.join(box.dir, 'go');
  const report = path.join(box.dir, 'report.json');
  // BGRUN_HOME in its environment: the sandbox's teardown kills it whatever happens.
  const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER, box.home, go, report], {
    env: { ...process.env, ...box.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill('SIGCONT'));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([
    new Promise<void>((resolve) => child.stdout!.once('data', () => resolve())),
    exited.then((code) => Promise.reject(new Error(`the holder exited (${code}) before taking the lock`))),
  ]);
  return { child, exited, go, report };
}

test('a holder stopped for longer than the old 2 s stale time keeps the lock: the next bgrun waits, then goes on once it resumes and releases', async (t) => {
  const box = sandbox(t);
  await box.run(['list']); // the state folder, before the holder locks in it
  const holder = await holdLock(t, box);
  holder.child.kill('SIGSTOP');

  let finished = false;
  const start = box.run(['start', '--wait', '0', '--name', 'waiter', 'sleep', '300']).finally(() => (finished = true));
  // Long past the 2 s after which the lock of a stalled holder used to be taken over.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  t.false(finished, 'the start waited for the stopped holder');
  t.false(fs.existsSync(path.join(box.home, 'records', 'waiter.json')), 'nothing was written while the holder had the lock');

  fs.writeFileSync(holder.go, '');
  holder.child.kill('SIGCONT');
  t.is(await holder.exited, 0);
  t.deepEqual(JSON.parse(fs.readFileSync(holder.report, 'utf8')), [], 'no other bgrun wrote while the holder held the lock');
  const result = await start;
  t.is(result.exitCode, 0, result.stderr);
  t.is(box.record('waiter').status, 'running');
  t.false(fs.existsSync(path.join(box.home, 'registry.lock')));
});

test('a SIGKILLed holder’s lock is taken by the next command', async (t) => {
  const box = sandbox(t);
  await box.run(['list']);
  const holder = await holdLock(t, box);
  holder.child.kill('SIGKILL');
  await holder.exited;
  t.true(fs.existsSync(path.join(box.home, 'registry.lock')), 'the killed holder left its lock');
  const result = await box.run(['start', '--wait', '0', '--name', 'next', 'sleep', '300']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(box.record('next').status, 'running');
  t.false(fs.existsSync(path.join(box.home, 'registry.lock')));
});
