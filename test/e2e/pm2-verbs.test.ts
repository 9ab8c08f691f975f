/** pm2's everyday verbs and flags, as aliases where bgrun has the thing. */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, runOk, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

const APP = "setInterval(() => console.log('args', JSON.stringify(process.argv.slice(2))), 100);\n";

test('start app.js --name x -- args as pm2 reads it; options after the script without -- stay the script\'s, with a note', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app.js');
  fs.writeFileSync(app, APP);
  const r = await runOk(t, box, ['start', app, '--name', 'api', '--', '--port', '3000']);
  t.regex(r.stdout, /^started api \(pid \d+\)$/m);
  t.deepEqual(box.record('api').args, ['--port', '3000']);
  await waitForMatch(box.record('api').outLog as string, /^args \["--port","3000"\]$/m);

  const note = await runOk(t, box, ['start', app, '--name', 'web', '--env', 'SECRET=hunter2']);
  t.regex(note.stdout, /^started app \(pid \d+\)$/m);
  t.deepEqual(box.record('app').args, ['--name', 'web', '--env', 'SECRET=hunter2']);
  t.regex(note.stderr, /^bgrun: note: --name, --env went to .*app\.js as its arguments; bgrun's options go before the script/m);
  t.notRegex(note.stderr, /hunter2/, 'no value of a variable printed');

  // A script's own arguments that are not bgrun options: no note.
  const plain = await runOk(t, box, ['start', '--name', 'plain', app, '--port', '1', '--', 'x']);
  t.is(plain.stderr, '');
  t.deepEqual(box.record('plain').args, ['--port', '1', '--', 'x']);
});

test('describe, jlist, prettylist, logs --lines --raw --nostream, reset, delete', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app.js');
  fs.writeFileSync(app, APP);
  await runOk(t, box, ['start', '--name', 'api', app, 'a']);
  const describe = await runOk(t, box, ['describe', 'api']);
  t.regex(describe.stdout, /^name +api$/m);
  for (const verb of ['jlist', 'prettylist']) {
    const listed = JSON.parse((await runOk(t, box, [verb])).stdout);
    t.deepEqual(listed.map((p: { name: string }) => p.name), ['api'], verb);
  }
  await waitForMatch(box.record('api').outLog as string, /(args \["a"\]\n){3}/);
  const raw = await runOk(t, box, ['logs', 'api', '--lines', '2', '--raw', '--nostream']);
  t.deepEqual(raw.stdout.trim().split('\n'), ['args ["a"]', 'args ["a"]']);

  await runOk(t, box, ['restart', 'api']);
  t.is(box.record('api').restarts, 1);
  const reset = await runOk(t, box, ['reset', 'api']);
  t.is(reset.stdout.trim(), 'reset api: restarts 0');
  t.is(box.record('api').restarts, 0);
  t.true(isAlive(box.record('api').pid!), 'reset signals nothing');

  const del = await runOk(t, box, ['delete', 'api']);
  t.regex(del.stdout, /^removed api \(stopped pid \d+\)/);
  const missing = await box.run(['reset', 'api']);
  t.is(missing.exitCode, 1);
  t.is(firstLine(missing.stderr), "bgrun: no process named 'api'; see 'bgrun list'");
});

test('ping says whether the supervisor is up; update replaces it and the program keeps running under the new one', async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app.js');
  fs.writeFileSync(app, APP);
  const idle = await runOk(t, box, ['ping']);
  t.regex(idle.stdout, /^pong: no supervisor runs, and none is needed/);
  t.is((await runOk(t, box, ['update'])).stdout.trim(), 'no supervisor needed: no program asks for one (plain programs keep running without it)');

  await runOk(t, box, ['start', '--name', 'sup', '--restart', 'always', app]);
  const before = JSON.parse((await runOk(t, box, ['ping', '--json'])).stdout);
  t.is(before.msg, 'pong');
  const oldSupervisor = before.supervisor.pid as number;
  const program = box.record('sup').pid!;
  const updated = await runOk(t, box, ['update']);
  t.regex(updated.stdout, new RegExp(`^supervisor \\S+ started \\(pid (\\d+); replaced pid ${oldSupervisor}\\)`));
  await waitFor(() => !isAlive(oldSupervisor), { timeout: LONG, what: 'the old supervisor to exit' });
  const after = JSON.parse((await runOk(t, box, ['ping', '--json'])).stdout);
  t.not(after.supervisor.pid, oldSupervisor);
  t.is(box.record('sup').pid, program, 'the program was adopted, not restarted');
  t.true(isAlive(program));
  // Still supervised: killed, it comes back.
  process.kill(program, 'SIGKILL');
  await waitFor(() => box.record('sup').pid !== program && box.record('sup').pid !== null, { timeout: LONG, what: 'a restart by the new supervisor' });
});

test("a pm2 flag bgrun does another way: one line saying what to use", async (t) => {
  const box = sandbox(t);
  const r = await box.run(['start', '--no-autorestart', 'app.js']);
  t.is(r.exitCode, 2);
  t.is(
    r.stderr.trim(),
    "bgrun: unknown option '--no-autorestart'; pm2's --no-autorestart: no restart is bgrun's default for a program started on the command line: leave it out (--restart always restarts it)",
  );
  const other = await box.run(['start', '--wait-ready', 'app.js']);
  t.regex(firstLine(other.stderr), /^bgrun: unknown option '--wait-ready'; pm2's --wait-ready: use --ready tcp:PORT/);
  t.is(firstLine((await box.run(['start', '--bogus', 'app.js'])).stderr), "bgrun: unknown option '--bogus'; see --help");
});

test("pm2's log and schedule flags: the long ones work as aliases, the short ones and --log-date-format say what to use", async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app.js');
  fs.writeFileSync(app, "console.log('out line'); console.error('err line'); setInterval(() => {}, 1000);\n");
  const started = await box.run(['start', '--name', 'p', '--output', 'o.log', '--error', 'e.log', '--time', 'app.js'], { cwd: box.dir });
  t.is(started.exitCode, 0, started.stderr);
  const record = box.record('p') as ReturnType<typeof box.record> & { outLog: string; errLog: string; logTime?: boolean };
  t.is(record.outLog, path.join(box.dir, 'o.log'));
  t.is(record.errLog, path.join(box.dir, 'e.log'));
  t.true(record.logTime);
  await waitFor(() => fs.existsSync(record.errLog) && fs.readFileSync(record.errLog, 'utf8').includes('err line'), { what: 'the err line in e.log' });
  t.is((await box.run(['stop', 'p'])).exitCode, 0);

  const hint = async (args: string[]) => {
    const r = await box.run(['start', '--name', 'x', ...args, 'app.js'], { cwd: box.dir });
    t.is(r.exitCode, 2, args.join(' '));
    return r.stderr.trim();
  };
  t.is(await hint(['-o', 'o.log']), "bgrun: unknown option '-o'; pm2's -o: use --out-log <file> (or pm2's --output <file>)");
  t.is(await hint(['-l', 'both.log']), "bgrun: unknown option '-l'; pm2's -l: use --log <file>");
  t.is(await hint(['-c', '0 3 * * *']), "bgrun: unknown option '-c'; pm2's -c: use --cron-restart <expr> (or pm2's --cron <expr>)");
  t.regex(await hint(['--log-date-format', 'YYYY-MM-DD']), /^bgrun: unknown option '--log-date-format'; pm2's --log-date-format: use --log-time \(or --time\); 'bgrun logs -t' /);
  t.is(await hint(['-x']), "bgrun: unknown option '-x'; pm2's -x: bgrun runs every program as a process of its own (pm2's fork mode) unless --cluster: leave it out");
  t.regex(await hint(['-f']), /^bgrun: unknown option '-f'; pm2's -f: bgrun never starts a second copy/);
  // -e stays --env; a log file as its value is pm2's -e.
  t.is(await hint(['-e', 'e.log']), "bgrun: invalid --env: expected KEY=VALUE, and the argument looks like a log file: pm2's -e <file> is --err-log <file> here (or pm2's --error <file>)");
  t.is(await hint(['-e', 'logs/app-err.log']), "bgrun: invalid --env: expected KEY=VALUE, and the argument looks like a log file: pm2's -e <file> is --err-log <file> here (or pm2's --error <file>)");
  // With a pm2 file, -e names a profile.
  fs.writeFileSync(path.join(box.dir, 'ecosystem.json'), JSON.stringify({ apps: [{ name: 'eco', script: 'app.js' }] }));
  const eco = await box.run(['start', '-e', 'err.log', 'ecosystem.json'], { cwd: box.dir });
  t.is(eco.exitCode, 2);
  t.is(
    eco.stderr.trim(),
    "bgrun: invalid --env: expected a profile name, and the argument looks like a log file: pm2's -e <file> is --err-log <file> here (or pm2's --error <file>); for the apps of ecosystem.json, set error_file in that file",
  );
});
