import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { type Sandbox, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

/** The lines start prints under its crash message (indented by two spaces). */
function reported(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.slice(2));
}

async function crash(box: Sandbox, file: string, text: string, extra: string[] = []) {
  fs.writeFileSync(path.join(box.dir, file), text);
  // --wait: on a loaded machine the program may take longer than the default 500 ms to fail.
  const r = await box.run(['start', '--wait', '8s', ...extra, file], { cwd: box.dir });
  return { ...r, lines: reported(r.stderr) };
}

test("a Node crash report shows the error line, not the stack's tail and 'Node.js v20'", async (t) => {
  const box = sandbox(t);
  const r = await crash(box, 'broken.js', "require('expresss');\n");
  t.is(r.exitCode, 1);
  t.true(r.lines.includes("Error: Cannot find module 'expresss'"), r.stderr);
  t.false(r.lines.some((l) => l.startsWith('Node.js v')), r.stderr);
});

test('a listen EADDRINUSE is shown, without the frames inside Node', async (t) => {
  const box = sandbox(t);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  const r = await crash(box, 'server.js', `require('node:http').createServer().listen(${port}, '127.0.0.1');\n`);
  t.is(r.exitCode, 1);
  t.true(
    r.lines.some((l) => l.startsWith('Error: listen EADDRINUSE')),
    r.stderr,
  );
  // Node's own frames and its version line are noise.
  t.false(r.lines.some((l) => /\(node:|^Node\.js v/.test(l)), r.stderr);
});

test("a Python traceback's last line is shown", async (t) => {
  const box = sandbox(t);
  const r = await crash(box, 'worker.py', 'import os\nimport nosuchmodule\n');
  t.is(r.exitCode, 1);
  t.is(r.lines.at(-1), "ModuleNotFoundError: No module named 'nosuchmodule'", r.stderr);
});

test("a run that wrote nothing to stderr is not shown the previous run's stack trace", async (t) => {
  const box = sandbox(t);
  const first = await crash(box, 'job.js', "throw new Error('first run');\n");
  t.true(first.lines.includes('Error: first run'), first.stderr);
  const second = await crash(box, 'job.js', 'process.exit(3);\n');
  t.is(second.exitCode, 1);
  t.regex(second.stderr, /exited with code 3/);
  t.deepEqual(second.lines, [], second.stderr);
});

test('a supervised crash at start shows only its own runs', async (t) => {
  const box = sandbox(t);
  const first = await crash(box, 'sup.js', "throw new Error('old stack');\n", ['--restart', 'on-failure', '--max-restarts', '0']);
  t.true(first.lines.includes('Error: old stack'), first.stderr);
  const second = await crash(box, 'sup.js', 'process.exit(4);\n', ['--restart', 'on-failure', '--max-restarts', '0']);
  t.is(second.exitCode, 1);
  t.false(second.stderr.includes('old stack'), second.stderr);
});
