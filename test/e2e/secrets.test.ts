import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, runOk, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const SECRET = 'hunter2-s3cr3t';

test('a refused --env never echoes its value', async (t) => {
  const box = sandbox(t);
  for (const arg of [`1BAD=${SECRET}`, `=${SECRET}`, `A-B=${SECRET}`]) {
    const result = await box.run(['start', '--env', arg, '--', 'sleep', '30']);
    t.is(result.exitCode, 2, arg);
    t.regex(result.stderr, /^bgrun: invalid --env/);
    t.false(result.stderr.includes(SECRET), result.stderr);
  }
});

test('a bad env file line is named by file and line, never shown: in start, supervisor.log and show', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, `OK=1\nTOKEN ${SECRET}\n`);
  const refused = await box.run(['start', '--env-file', envFile, '--', 'sleep', '30']);
  t.is(refused.exitCode, 1);
  t.is(refused.stderr.trim().split('\n')[0], `bgrun: ${envFile}:2: expected KEY=VALUE (a name of letters, digits, '_', '.' or '-', then '='); the line is not shown, it may hold a secret`);
  t.false(refused.stderr.includes(SECRET));

  // Supervised: the file breaks after the start, and the supervisor meets it at the restart.
  fs.writeFileSync(envFile, `OK=1\nTOKEN="${SECRET}"\n`);
  const info = await startJson(t, box, ['--name', 'sup', '--restart', 'always', '--env-file', envFile, '--', 'sleep', '300']);
  fs.writeFileSync(envFile, `OK=1\nTOKEN ${SECRET}\nKEY="-----BEGIN ${SECRET}\n`);
  process.kill(info.pid, 'SIGKILL');
  await waitFor(() => box.record('sup').startError, { timeout: LONG, what: 'the failed restart' });
  const log = readText(path.join(box.home, 'supervisor.log'));
  t.regex(log, /app\.env:2: expected KEY=VALUE/);
  t.false(log.includes(SECRET), 'supervisor.log holds no value');
  const shown = await runOk(t, box, ['show', 'sup']);
  t.regex(shown.stdout, /app\.env:2/);
  t.false(shown.stdout.includes(SECRET), 'show holds no value');
  t.false(isAlive(info.pid));
});

test('a config whose env is not an object does not show it', async (t) => {
  const box = sandbox(t);
  const config = path.join(box.dir, 'bgrun.config.json');
  fs.writeFileSync(config, JSON.stringify({ apps: [{ name: 'a', script: 'sleep', args: ['30'], env: `TOKEN=${SECRET}` }] }));
  const result = await box.run(['start', '--config', config]);
  t.is(result.exitCode, 1, result.stdout);
  t.regex(result.stderr, /env: expected an object of variables/);
  t.false(result.stderr.includes(SECRET), result.stderr);
});
