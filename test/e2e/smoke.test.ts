import test from 'ava';
import { fixture, isAlive, sandbox, sweepAll, waitFor, readText } from '../helpers/bgrun.js';

test.after.always(sweepAll);

test('start, list --json, stop: the program runs detached and is gone after stop', async (t) => {
  const box = sandbox(t);
  const started = await box.run(['start', '--json', fixture('ready.js'), 'a', '--b']);
  t.is(started.exitCode, 0, started.stderr);
  const info = JSON.parse(started.stdout);
  t.is(info.name, 'ready');
  t.true(isAlive(info.pid));
  await waitFor(() => readText(info.outLog).includes(`ready ${info.pid} args=["a","--b"]`), { what: 'ready line' });
  const listed = JSON.parse((await box.run(['list', '--json'])).stdout);
  t.is(listed.length, 1);
  t.is(listed[0].status, 'running');
  const stopped = await box.run(['stop', 'ready']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.false(isAlive(info.pid));
  t.is(box.record('ready').status, 'stopped');
});
