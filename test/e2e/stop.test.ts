import test from 'ava';
import { fixture, isAlive, processesOfHome, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, listJson, procStat, runOk, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

test('stop by name: the program is gone when stop returns, and the record says stopped', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'web', fixture('ready.js')]);
  const result = await box.run(['stop', 'web']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `stopped web (pid ${info.pid})`);
  t.false(isAlive(info.pid));
  const record = box.record('web');
  t.is(record.status, 'stopped');
  t.is(record.pid, null);
  t.is(record.signal, 'SIGTERM');
  t.deepEqual(
    (await listJson(box)).map((p) => [p.name, p.status, p.pid]),
    [['web', 'stopped', null]],
  );
});

test('stop by pid', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, [fixture('ready.js')]);
  const result = await box.run(['stop', String(info.pid)]);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `stopped ready (pid ${info.pid})`);
  t.false(isAlive(info.pid));
  t.is(box.record('ready').status, 'stopped');
});

test('stop all stops every program, and several names can be given', async (t) => {
  const box = sandbox(t);
  const pids: number[] = [];
  for (const name of ['a', 'b', 'c', 'd']) pids.push((await startJson(t, box, ['--wait', '0', '--name', name, fixture('ready.js')])).pid);
  const two = await box.run(['stop', 'a', 'b']);
  t.is(two.exitCode, 0, two.stderr);
  t.deepEqual(two.stdout.split('\n').sort(), [`stopped a (pid ${pids[0]})`, `stopped b (pid ${pids[1]})`]);
  t.false(isAlive(pids[0]!));
  t.false(isAlive(pids[1]!));
  t.true(isAlive(pids[2]!));
  const all = await box.run(['stop', 'all']);
  t.is(all.exitCode, 0, all.stderr);
  t.deepEqual(all.stdout.split('\n').sort(), ['a was not running', 'b was not running', `stopped c (pid ${pids[2]})`, `stopped d (pid ${pids[3]})`]);
  for (const pid of pids) t.false(isAlive(pid));
  t.deepEqual(processesOfHome(box.home), []);
  t.true((await listJson(box)).every((p) => p.status === 'stopped'));
});

test('stop all with nothing managed says so', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['stop', 'all']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, 'nothing to stop');
});

test('stopping a program that is not running is not an error', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'once', fixture('ready.js')]);
  await runOk(t, box, ['stop', 'once']);
  const again = await box.run(['stop', 'once']);
  t.is(again.exitCode, 0, again.stderr);
  t.is(again.stdout, 'once was not running');
  t.is(box.record('once').status, 'stopped');
});

for (const [kind, script] of [
  ['sh', 'tree.sh'],
  ['node', 'tree.js'],
] as const) {
  test(`stop ends the whole tree of a ${kind} program, a grandchild that left with setsid included`, async (t) => {
    const box = sandbox(t);
    const info = await startJson(t, box, ['--name', 'tree', fixture(script)]);
    const child = Number((await waitForMatch(info.outLog, /^child (\d+)$/m))[1]);
    const middle = Number((await waitForMatch(info.outLog, /^middle (\d+)$/m))[1]);
    const grandchild = Number((await waitForMatch(info.outLog, /^grandchild (\d+)$/m))[1]);
    await waitFor(() => procStat(grandchild)?.sid === grandchild, { timeout: LONG, what: 'the grandchild in its own session' });
    const tree = [info.pid, child, middle, grandchild];
    for (const pid of tree) t.true(isAlive(pid), `pid ${pid} alive before stop`);
    t.is(procStat(grandchild)!.ppid, middle, 'the grandchild is a child of the middle process');
    // Everything of this test is in the tree: the program, its children, the escaped grandchild.
    t.deepEqual(processesOfHome(box.home).sort(), [...tree].sort());

    const result = await box.run(['stop', 'tree']);
    t.is(result.exitCode, 0, result.stderr);
    t.is(result.stdout, `stopped tree (pid ${info.pid})`);
    // stop returns only once everything is gone: no waiting here.
    for (const pid of tree) t.false(isAlive(pid), `pid ${pid} gone after stop`);
    t.deepEqual(processesOfHome(box.home), [], 'no orphans');
    t.is(box.record('tree').status, 'stopped');
  });
}

test('a program that ignores SIGTERM is killed with SIGKILL after --timeout, and stop says so', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'stubborn', fixture('ignore-term.js')]);
  await waitForMatch(info.outLog, /^ready \d+$/m);
  const result = await box.run(['stop', 'stubborn', '--timeout', '500ms']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `stopped stubborn (pid ${info.pid}) with SIGKILL after the timeout`);
  t.false(isAlive(info.pid));
  t.regex(readText(info.outLog), /^got SIGTERM, ignoring it$/m, 'it was asked with SIGTERM first');
  const record = box.record('stubborn');
  t.is(record.status, 'stopped');
  t.is(record.signal, 'SIGKILL');
});

test('--signal chooses the first signal; -s and names without SIG work', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'polite', fixture('ignore-term.js')]);
  await waitForMatch(info.outLog, /^ready \d+$/m);
  const result = await box.run(['stop', 'polite', '-s', 'int', '--timeout', '30s']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `stopped polite (pid ${info.pid})`);
  t.false(isAlive(info.pid));
  t.regex(readText(info.outLog), /^got SIGINT$/m);
  t.notRegex(readText(info.outLog), /SIGTERM/);
  t.is(box.record('polite').signal, 'SIGINT');
});

test('stop waits for a program that takes its time to end', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'slow', fixture('slow-exit.js')]);
  await waitForMatch(info.outLog, /^ready \d+$/m);
  const result = await box.run(['stop', 'slow']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `stopped slow (pid ${info.pid})`);
  t.false(isAlive(info.pid), 'gone when stop returns');
  t.regex(readText(info.outLog), /^closing$/m, 'it ended by itself, not by SIGKILL');
  t.is(box.record('slow').signal, 'SIGTERM');
});

test('a zombie child does not keep stop waiting', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'zparent', fixture('zombie-parent.sh')]);
  const zombie = Number((await waitForMatch(info.outLog, /^zombie (\d+)$/m))[1]);
  await waitFor(() => procStat(zombie)?.state === 'Z', { timeout: LONG, what: 'the zombie' });
  t.is(procStat(zombie)!.ppid, info.pid);
  t.is(box.record('zparent').pid, info.pid);
  const result = await box.run(['stop', 'zparent', '--timeout', '20s']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `stopped zparent (pid ${info.pid})`, 'no escalation: the zombie counted as gone');
  t.false(isAlive(info.pid));
});

test('bad stop input: unknown name, stranger pid, invalid signal, bad timeout, no target', async (t) => {
  const box = sandbox(t);
  const cases: [string[], number, string][] = [
    [['stop', 'nope'], 1, "bgrun: no process named 'nope'; see 'bgrun list'"],
    [['stop', '1'], 1, "bgrun: pid 1 is not a program bgrun runs; see 'bgrun list'"],
    [['stop', 'all', '--signal', 'BOGUS'], 2, "bgrun: unknown signal 'BOGUS'; use a name such as TERM, INT or HUP"],
    [['stop', 'all', '--timeout', 'soon'], 2, "bgrun: invalid --timeout 'soon': use milliseconds or a number with ms, s, m or h (for example 500ms, 10s, 2m)"],
    [['stop'], 2, 'bgrun: missing target: bgrun stop <pid|name|all>... [--signal SIG] [--timeout <duration>]'],
    [['stop', '../x'], 2, "bgrun: invalid name '../x': use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-', not all digits, not 'all'"],
  ];
  for (const [args, code, line] of cases) {
    const result = await box.run(args);
    t.is(result.exitCode, code, args.join(' '));
    t.is(firstLine(result.stderr), line, args.join(' '));
    t.is(result.stdout, '', args.join(' '));
  }
  t.true(isAlive(1));
});
