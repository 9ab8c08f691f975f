import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { firstLine, listJson } from '../helpers/proc.js';

test.after.always(sweepAll);

/** A key that would reach an object's prototype: refused with one line naming where it is, nothing started. */
const cases: { file: string; text: string; at: string; key: string }[] = [
  { file: 'proto.json', text: '{"apps":[{"name":"a","script":"sleep","args":["30"],"__proto__":{"x":1}}]}', at: 'apps[0].__proto__', key: '__proto__' },
  { file: 'bgrun.config.json', text: '{"__proto__":{"apps":[]},"apps":[{"name":"a","script":"sleep"}]}', at: '__proto__', key: '__proto__' },
  { file: 'ctor.json', text: '{"apps":[{"name":"a","script":"sleep","constructor":{"prototype":{"x":1}}}]}', at: 'apps[0].constructor', key: 'constructor' },
  { file: 'env.json', text: '{"apps":[{"name":"a","script":"sleep","env":{"prototype":"1"}}]}', at: 'apps[0].env.prototype', key: 'prototype' },
  { file: 'proto.yaml', text: 'apps:\n  - name: a\n    script: sleep\n    env:\n      __proto__:\n        x: 1\n', at: 'apps[0].env.__proto__', key: '__proto__' },
  {
    file: 'proto.config.cjs',
    text: 'module.exports = JSON.parse(\'{"apps":[{"name":"a","script":"sleep","__proto__":{"polluted":1}}]}\');\n',
    at: 'apps[0].__proto__',
    key: '__proto__',
  },
];

for (const c of cases) {
  test(`a config key ${c.key} (${c.file}) is refused with one line naming it`, async (t) => {
    const box = sandbox(t);
    const file = path.join(box.dir, c.file);
    fs.writeFileSync(file, c.text);
    const result = await box.run(['start', file, '--wait', '0'], { cwd: box.dir });
    t.is(result.exitCode, 1);
    t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
    t.is(firstLine(result.stderr), `bgrun: ${file}: ${c.at}: a key named "${c.key}" is not allowed in a config (it could change how objects behave); remove it or rename it`);
    t.deepEqual(await listJson(box), []);
  });
}

test('a variable named __proto__ is refused (a JavaScript object cannot carry it to the program)', async (t) => {
  const box = sandbox(t);
  const cli = await box.run(['start', '--env', '__proto__=x', '--', 'sleep', '30']);
  t.is(cli.exitCode, 2);
  t.is(firstLine(cli.stderr), "bgrun: invalid --env: '__proto__' cannot be the name of a variable here; rename it");
  const envFile = path.join(box.dir, 'bad.env');
  fs.writeFileSync(envFile, 'A=1\n__proto__=s3cr3t\n');
  const fromFile = await box.run(['start', '--env-file', envFile, '--', 'sleep', '30']);
  t.not(fromFile.exitCode, 0);
  t.is(firstLine(fromFile.stderr), `bgrun: ${envFile}:2: '__proto__' cannot be the name of a variable here; rename it`);
  t.notRegex(fromFile.stderr, /s3cr3t/);
  t.deepEqual(await listJson(box), []);
});

test('a NUL byte in a value is refused naming the variable, never quoting it (Node quoted it in an unexpected error)', async (t) => {
  const box = sandbox(t);
  const config = path.join(box.dir, 'bgrun.config.json');
  fs.writeFileSync(config, '{"apps":[{"name":"n","script":"sleep","args":["30"],"env":{"TOKEN":"hunter2\\u0000s3cr3t"}}]}');
  const fromConfig = await box.run(['start', '--config', config, '--wait', '0'], { cwd: box.dir });
  t.is(fromConfig.exitCode, 1);
  t.is(
    fromConfig.stderr.trim(),
    `bgrun: ${config}: apps[0].env.TOKEN: the value of TOKEN holds a NUL byte, which no environment can carry (the value is not shown: it may be a secret)`,
  );
  const envFile = path.join(box.dir, 'nul.env');
  fs.writeFileSync(envFile, 'A=1\nTOKEN=hunter2\0s3cr3t\n');
  const fromFile = await box.run(['start', '--env-file', envFile, '--', 'sleep', '30']);
  t.not(fromFile.exitCode, 0);
  t.is(fromFile.stderr.trim(), `bgrun: ${envFile}:2: the value of TOKEN holds a NUL byte, which no environment can carry (the value is not shown: it may be a secret)`);
  t.deepEqual(await listJson(box), []);
  // Written into an env file after the start: the supervisor's restart reads it then, and says the same.
  const later = path.join(box.dir, 'later.env');
  fs.writeFileSync(later, 'TOKEN=fine\n');
  const started = await box.run(['start', '--name', 'later', '--restart', 'always', '--env-file', later, '--', 'sh', '-c', 'sleep 1; exit 1']);
  t.is(started.exitCode, 0, started.stderr);
  fs.writeFileSync(later, 'TOKEN=hunter2\0s3cr3t\n');

  await waitFor(() => box.record('later').status === 'errored', { timeout: 30_000, what: 'the restart to fail' });
  const shown = await box.run(['show', 'later']);
  t.regex(shown.stdout, /the value of TOKEN holds a NUL byte/);
  for (const text of [shown.stdout, shown.stderr, fs.readFileSync(path.join(box.home, 'supervisor.log'), 'utf8')]) t.notRegex(text, /hunter2|s3cr3t/);
  await box.run(['stop', 'all']);
});

test("a config's values never drive the terminal: control characters in list, show and errors are shown escaped", async (t) => {
  const box = sandbox(t);
  const title = '\u001b]0;pwned\u0007\u001b[8m';
  const config = path.join(box.dir, 'ecosystem.config.json');
  // A pm2 file: its unknown keys are named in warnings.
  fs.writeFileSync(config, JSON.stringify({ apps: [{ name: 'esc', script: 'sleep', args: ['30', title], [`key${title}`]: 1 }] }));
  const started = await box.run(['start', config, '--wait', '0'], { cwd: box.dir });
  t.is(started.exitCode, 0, started.stderr);
  t.regex(started.stderr, /key\\x1b\]0;pwned/);
  const list = await box.run(['list']);
  const show = await box.run(['show', 'esc']);
  for (const result of [started, list, show]) {
    t.is(result.exitCode, 0, result.stderr);
    t.false(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(result.stdout + result.stderr), JSON.stringify(result.stdout));
  }
  t.true(list.stdout.includes("sleep 30 $'\\x1b]0;pwned\\x07\\x1b[8m'"), list.stdout);
  const badCwd = path.join(box.dir, 'bgrun.cwd.json');
  fs.writeFileSync(badCwd, JSON.stringify({ apps: [{ name: 'gone', script: 'sleep', cwd: `nowhere${title}` }] }));
  const refused = await box.run(['start', '--config', badCwd, '--wait', '0'], { cwd: box.dir });
  t.is(refused.exitCode, 1);
  t.false(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(refused.stderr), JSON.stringify(refused.stderr));
  t.regex(refused.stderr, /nowhere\\x1b\]0;pwned\\x07/);
  await box.run(['stop', 'all']);
});
