import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

test('an argument after the script that is also a bgrun option gets a one-line note; -- silences it', async (t) => {
  const box = sandbox(t);
  fs.copyFileSync(fixture('ready.js'), path.join(box.dir, 'server.js'));
  const r = await box.run(['start', '--wait', '0', 'server.js', '--port', '3003', '--name', 'web3'], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started server \(pid \d+\)/);
  t.is(
    r.stderr.trim(),
    "bgrun: note: --name went to server.js as its arguments; bgrun's options go before the script (bgrun start --name … server.js …)",
  );
  t.deepEqual(box.record('server').args, ['--port', '3003', '--name', 'web3']);
  const quiet = await box.run(['start', '--wait', '0', '--', 'node', 'server.js', '--name', 'x'], { cwd: box.dir });
  t.is(quiet.exitCode, 0, quiet.stderr);
  t.is(quiet.stderr, '');
});

test('a whole command line in one quoted word gets a hint: -- or sh -c', async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', 'python3 -m http.server 8083'], { cwd: box.dir });
  t.is(r.exitCode, 1);
  t.is(r.stderr.split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /give its words separately: bgrun start -- python3 -m http\.server 8083, or run it through a shell: bgrun start -- sh -c 'python3 -m http\.server 8083'/);
});

test('a folder named like a stopped program does not hide the program', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'api', '--wait', '0', fixture('ticker.js')], { cwd: box.dir })).exitCode, 0);
  t.is((await box.run(['stop', 'api'])).exitCode, 0);
  fs.mkdirSync(path.join(box.dir, 'api'));
  const r = await box.run(['start', 'api'], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started api \(pid \d+\)/);
  t.is(box.record('api').status, 'running');
});

test('show and logs of a pid that is not a current program say so, without talk of signals', async (t) => {
  const box = sandbox(t);
  for (const args of [['show', '1'], ['logs', '0']]) {
    const r = await box.run(args);
    t.is(r.exitCode, 1);
    t.is(r.stderr.trim(), `bgrun: pid ${args[1]} is not a program bgrun runs; see 'bgrun list'`);
  }
});

test("unknown commands and options get 'did you mean'; -v is --version; FORCE_COLOR is honoured", async (t) => {
  const box = sandbox(t);
  const command = await box.run(['stat']);
  t.is(command.exitCode, 2);
  t.is(command.stderr.trim(), "bgrun: unknown command 'stat'; did you mean 'start'? Run 'bgrun --help' for the list");
  const option = await box.run(['start', '--nmae', 'x', 'a.js']);
  t.is(option.exitCode, 2);
  t.regex(option.stderr, /^bgrun: unknown option '--nmae'; did you mean '--name'\?/);
  const v = await box.run(['-v']);
  t.is(v.exitCode, 0);
  t.is(v.stdout, (await box.run(['--version'])).stdout);
  t.is((await box.run(['start', '--name', 'c', '--wait', '0', fixture('ticker.js')])).exitCode, 0);
  const colored = await box.run(['list'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
  t.true(colored.stdout.includes('\x1b['), colored.stdout);
  const plain = await box.run(['list'], { env: { NO_COLOR: '', FORCE_COLOR: '0' } });
  t.false(plain.stdout.includes('\x1b['));
});
