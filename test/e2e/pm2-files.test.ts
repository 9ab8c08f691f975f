/**
 * pm2 users switch with no edits: `bgrun start ecosystem.config.js` starts its
 * apps with pm2's defaults, every pm2 key honoured or accepted with one warning
 * line, pm2's file formats, display names, and stop/delete given the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { type Sandbox, isAlive, sandbox, sweepAll } from '../helpers/bgrun.js';
import { LONG, listJson, runOk, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

/** A program that prints its arguments, PORT and Node options, then stays up. */
const APP = "console.log('app', JSON.stringify({ args: process.argv.slice(2), port: process.env.PORT, execArgv: process.execArgv, keys: Object.keys(process.env).filter((k) => k.startsWith('T_')) }));\nsetInterval(() => {}, 1000);\n";

function project(box: Sandbox, files: Record<string, string>): string {
  const dir = path.join(box.dir, 'proj');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'app.js'), APP);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('bgrun: warning: '));
}

test('bgrun start ecosystem.config.js: its apps, with pm2 defaults, node_args, unset env dropped, display names, one warning per key', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'ecosystem.config.js': `module.exports = {
  apps: [
    {
      name: 'My API',
      script: './app.js',
      node_args: '--max-old-space-size=128',
      args: '--port 3000',
      env: { PORT: process.env.T_UNSET_PORT, T_NULL: null, T_SET: 'yes' },
      max_memory_restart: '300M',
      vizion: false,
      pmx: true,
      instance: 2,
      wait_ready: true,
    },
    { name: 'worker', script: 'app.js', autorestart: false, pmx: false, port: 4000, exec_interpreter: 'node', interpreter_args: ['--no-warnings'] },
  ],
  deploy: { production: { user: 'node', host: 'example.com' } },
};
`,
  });
  const r = await box.run(['start', 'ecosystem.config.js'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started My-API \(pid \d+\)$/m);
  t.regex(r.stdout, /^started worker \(pid \d+\)$/m);
  t.deepEqual(warnings(r.stderr).sort(), [
    'bgrun: warning: ecosystem.config.js: deploy: ignored: pm2\'s deploy section is for \'pm2 deploy\'; bgrun does not deploy',
    'bgrun: warning: ecosystem.config.js: instance (My API): unknown key, ignored as pm2 ignores it (did you mean "instances"?)',
    "bgrun: warning: ecosystem.config.js: pmx (My API, worker): ignored: pm2's monitoring agent has no equivalent here ('bgrun list' and 'bgrun show' read the system)",
    'bgrun: warning: ecosystem.config.js: vizion (My API): ignored: bgrun does not track versions',
    `bgrun: warning: ecosystem.config.js: wait_ready (My API): ignored: bgrun does not wait for process.send('ready'); use ready: "tcp:PORT", "http://127.0.0.1:PORT/health" or "log:/listening/"`,
  ].sort());

  // pm2's defaults: restarts (autorestart true), max_restarts 16, min_uptime 1000 ms; max_memory_restart works with them.
  const api = box.record('My-API');
  t.is(api.restart, 'always');
  t.is(api.maxRestarts, 16);
  t.is(api.minUptimeMs, 1000);
  t.is(api.maxMemoryBytes, 300 * 1024 * 1024);
  t.is(api.displayName, 'My API');
  t.deepEqual(api.pm2Defaults, ['autorestart: true', 'max_restarts: 16', 'min_uptime: 1000']);
  t.deepEqual(api.command, [process.execPath, '--max-old-space-size=128', path.join(dir, 'app.js'), '--port', '3000']);
  t.deepEqual(Object.keys(api.envVars as object), ['T_SET']);
  await waitForMatch(api.outLog as string, /"execArgv":\["--max-old-space-size=128"\]/);
  t.regex(fs.readFileSync(api.outLog as string, 'utf8'), /"keys":\["T_SET"\]/);

  // autorestart: false keeps plain mode and gets no pm2 defaults; port is env.PORT; exec_interpreter and interpreter_args.
  const worker = box.record('worker');
  t.is(worker.restart, 'no');
  t.is(worker.pm2Defaults, undefined);
  t.is((worker.command as string[])[1], '--no-warnings');
  t.is(path.basename((worker.command as string[])[0]!), 'node');
  await waitForMatch(worker.outLog as string, /"port":"4000"/);

  // Both names address it; show says which defaults it got and why.
  const shown = await runOk(t, box, ['show', 'My API']);
  t.regex(shown.stdout, /^display name +My API$/m);
  t.regex(shown.stdout, /^defaults +pm2's, as its file is a pm2 file: autorestart: true, max_restarts: 16, min_uptime: 1000/m);

  // pm2 stop / pm2 delete with the file: its apps; --only one of them.
  const stopOne = await box.run(['stop', 'ecosystem.config.js', '--only', 'worker'], { cwd: dir });
  t.is(stopOne.exitCode, 0, stopOne.stderr);
  t.regex(stopOne.stdout, /^stopped worker/m);
  t.true(isAlive(box.record('My-API').pid!));
  const del = await box.run(['delete', 'ecosystem.config.js'], { cwd: dir });
  t.is(del.exitCode, 0, del.stderr);
  t.regex(del.stdout, /^removed My-API \(stopped pid \d+\)/m);
  t.deepEqual(await listJson(box), []);
});

test('pm2 formats: one app object in .json with comments, a top-level array, a YAML process file; --only', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'app.json': '// pm2 reads JSON as JavaScript\n{\n  "name": "single", /* one app, no apps list */\n  "script": "app.js",\n  "args": ["a", "b,}"],\n}\n',
    'list.json': '[{ "name": "one", "script": "app.js", "autorestart": false }, { "name": "two", "script": "app.js", "autorestart": false }]',
    'process.yml': 'apps:\n  - name: yaml-app\n    script: app.js\n    env:\n      T_FROM_YAML: "1"\n      T_EMPTY: ~\n    max_restarts: 3\n',
  });
  const single = await box.run(['start', 'app.json'], { cwd: dir });
  t.is(single.exitCode, 0, single.stderr);
  t.deepEqual((box.record('single').command as string[]).slice(-2), ['a', 'b,}']);
  t.is(box.record('single').restart, 'always');

  const only = await box.run(['start', 'list.json', '--only', 'two'], { cwd: dir });
  t.is(only.exitCode, 0, only.stderr);
  t.regex(only.stdout, /^started two/m);
  t.false(fs.existsSync(path.join(box.home, 'records', 'one.json')));

  const yaml = await box.run(['start', 'process.yml'], { cwd: dir });
  t.is(yaml.exitCode, 0, yaml.stderr);
  const record = box.record('yaml-app');
  t.is(record.maxRestarts, 3);
  t.deepEqual(record.pm2Defaults, ['autorestart: true', 'min_uptime: 1000']);
  await waitForMatch(record.outLog as string, /"keys":\["T_FROM_YAML"\]/);

  const broken = await box.run(['start', 'bad.yaml'], { cwd: writeIn(dir, 'bad.yaml', 'apps: [\n') });
  t.is(broken.exitCode, 1);
  t.regex(broken.stderr, /^bgrun: bad\.yaml: not valid YAML: /);
});

function writeIn(dir: string, name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test("bgrun's own config keeps bgrun's defaults; a script named like a config still runs with --", async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'bgrun.config.json': JSON.stringify({ apps: [{ name: 'own', script: 'app.js' }] }),
    'tool.config.js': "console.log('I am a script'); setInterval(() => {}, 1000);\n",
  });
  const own = await box.run(['start', 'bgrun.config.json'], { cwd: dir });
  t.is(own.exitCode, 0, own.stderr);
  t.is(box.record('own').restart, 'no');
  t.is(box.record('own').pm2Defaults, undefined);

  const script = await box.run(['start', '--name', 'tool', '--', process.execPath, 'tool.config.js'], { cwd: dir });
  t.is(script.exitCode, 0, script.stderr);
  await waitForMatch(box.record('tool').outLog as string, /I am a script/);
  const viaInterpreter = await box.run(['start', '--name', 'tool2', '--interpreter', 'node', 'tool.config.js'], { cwd: dir });
  t.is(viaInterpreter.exitCode, 0, viaInterpreter.stderr);

  // bgrun's own files stay strict: an unknown key is an error there.
  fs.writeFileSync(path.join(dir, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'own', script: 'app.js', instance: 2 }] }));
  const strict = await box.run(['start', 'bgrun.config.json'], { cwd: dir, timeout: LONG });
  t.is(strict.exitCode, 1);
  t.regex(strict.stderr, /^bgrun: bgrun\.config\.json: apps\[0\]\.instance: unknown key/);
});

test('pm2 start ecosystem.config.js --env production --only api, then restart, reload and delete given the file', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'ecosystem.config.js': `module.exports = { apps: [
  { name: 'api', script: 'app.js', env: { T_STAGE: 'dev' }, env_production: { T_STAGE: 'production' } },
  { name: 'other', script: 'app.js' },
] };
`,
  });
  const started = await box.run(['start', 'ecosystem.config.js', '--env', 'production', '--only', 'api'], { cwd: dir });
  t.is(started.exitCode, 0, started.stderr);
  t.is(started.stdout.trim(), `started api (pid ${box.record('api').pid})`);
  t.false(fs.existsSync(path.join(box.home, 'records', 'other.json')));
  const first = box.record('api').pid!;
  const restarted = await box.run(['restart', 'ecosystem.config.js'], { cwd: dir });
  t.is(restarted.exitCode, 0, restarted.stderr);
  t.regex(restarted.stdout, /^restarted api \(pid \d+\)$/m);
  t.not(box.record('api').pid, first);
  const reloaded = await box.run(['reload', 'ecosystem.config.js', '--only', 'api'], { cwd: dir });
  t.is(reloaded.exitCode, 0, reloaded.stderr);
  t.regex(reloaded.stdout, /^restarted api \(pid \d+ -> \d+\)/m);
  const removed = await box.run(['delete', 'ecosystem.config.js'], { cwd: dir });
  t.is(removed.exitCode, 0, removed.stderr);
  t.deepEqual(await listJson(box), []);
});

/** A bash script: arrays are a syntax error under a POSIX sh such as dash. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
const BASH_SCRIPT = '#!/bin/bash\nwords=(alpha beta)\necho "bash ran ${words[1]}"\nexec sleep 600\n';

test('interpreter: "none" runs the script itself (its shebang); a pm2 file runs .sh with bash, as pm2 does; none on a script that is not executable is one line', async (t) => {
  const box = sandbox(t);
  const dir = project(box, {
    'direct.sh': BASH_SCRIPT,
    'plain.sh': BASH_SCRIPT,
    'ecosystem.config.js': `module.exports = { apps: [
  { name: 'direct', script: './direct.sh', interpreter: 'none', autorestart: false },
  { name: 'plain', script: './plain.sh', autorestart: false },
] };\n`,
  });
  fs.chmodSync(path.join(dir, 'direct.sh'), 0o755);
  const r = await box.run(['start', 'ecosystem.config.js'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  const direct = box.record('direct');
  t.deepEqual(direct.command, [path.join(dir, 'direct.sh')]);
  t.is(direct.interpreter, 'none');
  await waitForMatch(direct.outLog as string, /^bash ran beta$/m);
  // No interpreter in a pm2 file: pm2's own for .sh (lib/API/interpreter.json), bash; bgrun's files and the command line keep sh.
  const plain = box.record('plain');
  t.is(path.basename((plain.command as string[])[0]!), 'bash');
  t.deepEqual(plain.pm2Defaults, ['interpreter: bash']);
  await waitForMatch(plain.outLog as string, /^bash ran beta$/m);
  t.regex((await box.run(['show', 'plain'])).stdout, /^defaults +pm2's, as its file is a pm2 file: interpreter: bash \(bgrun's own files: \.sh with sh\)$/m);

  // The command line: --interpreter none.
  fs.writeFileSync(path.join(dir, 'cli.sh'), BASH_SCRIPT, { mode: 0o755 });
  fs.chmodSync(path.join(dir, 'cli.sh'), 0o755);
  const cli = await box.run(['start', '--name', 'cli', '--interpreter', 'none', 'cli.sh'], { cwd: dir });
  t.is(cli.exitCode, 0, cli.stderr);
  t.deepEqual(box.record('cli').command, [path.join(dir, 'cli.sh')]);
  await waitForMatch(box.record('cli').outLog as string, /^bash ran beta$/m);
  fs.writeFileSync(path.join(dir, 'posix.sh'), 'echo posix ran\nexec sleep 600\n');
  t.regex((await box.run(['start', 'posix.sh'], { cwd: dir })).stdout, /^started posix /m);
  t.is((box.record('posix').command as string[])[0], '/bin/sh', "bgrun's own default for .sh stays sh");

  // Not executable: one line that says what to do, nothing started.
  const refused = await box.run(['start', '--name', 'nx', '--interpreter', 'none', 'plain.sh'], { cwd: dir });
  t.is(refused.exitCode, 1);
  t.is(refused.stderr.trim(), `bgrun: cannot run ${path.join(dir, 'plain.sh')} itself (interpreter none): it is not executable; chmod +x it, or name an interpreter`);
  t.false(fs.existsSync(path.join(box.home, 'records', 'nx.json')));
});
