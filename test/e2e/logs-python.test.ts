import test from 'ava';
import { fixture, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

// The environment bgrun starts in must not carry the variable: that is the case under test.
delete process.env.PYTHONUNBUFFERED;

test('a .py script without PYTHONUNBUFFERED in its environment prints to its log as it runs', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'py', fixture('printer.py')]);
  await waitFor(() => readText(info.outLog).includes('hello from python 1\n'), { timeout: LONG, what: 'the line in the log while python runs' });
  t.true(readText(info.errLog).includes('to stderr'));
});

test('python3 and pythonX.Y commands are unbuffered too; a PYTHONUNBUFFERED the user set is kept', async (t) => {
  const box = sandbox(t);
  const py = await startJson(t, box, ['--name', 'cmd', '--', 'python3', fixture('printer.py')]);
  await waitFor(() => readText(py.outLog).includes('hello from python 1\n'), { timeout: LONG, what: 'python3 output' });
  const kept = await startJson(t, box, ['--name', 'kept', '--env', 'PYTHONUNBUFFERED=', '--', 'python3', fixture('printer.py'), '0']);
  await waitFor(() => readText(kept.outLog).includes('hello from python \n'), { timeout: LONG, what: 'the empty value the user set' });
});

test('other programs get no PYTHONUNBUFFERED', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'sh', '--', 'sh', '-c', 'echo "[$' + '{PYTHONUNBUFFERED-unset}]"; sleep 30']);
  await waitFor(() => readText(info.outLog).includes('[unset]'), { timeout: LONG, what: 'the shell line' });
  t.pass();
});
