import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

function write(dir: string, apps: unknown[]): void {
  fs.writeFileSync(path.join(dir, 'ecosystem.config.js'), `module.exports = ${JSON.stringify({ apps })};\n`);
}

async function dumped(box: ReturnType<typeof sandbox>, name: string): Promise<{ env: Record<string, string> }> {
  const log = path.join(box.home, 'logs', `${name}.out.log`);
  const text = await waitFor(() => (readText(log).includes('\n') ? readText(log) : null), { what: `${name} env dump` });
  return JSON.parse(text.trim().split('\n').pop()!);
}

test('--env <profile> merges env_<profile> over env; an app without it keeps env; show names the profile', async (t) => {
  const box = sandbox(t);
  write(box.dir, [
    { name: 'api', script: fixture('env-dump.js'), env: { NODE_ENV: 'development', PORT: 3000 }, env_production: { NODE_ENV: 'production' } },
    { name: 'worker', script: fixture('env-dump.js'), env: { NODE_ENV: 'development' } },
  ]);
  const r = await box.run(['start', '--env', 'production'], { cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  const api = await dumped(box, 'api');
  t.is(api.env.NODE_ENV, 'production');
  t.is(api.env.PORT, '3000');
  t.is((await dumped(box, 'worker')).env.NODE_ENV, 'development');
  const shown = JSON.parse((await box.run(['show', 'api', '--json'])).stdout);
  t.is(shown.envProfile, 'production');
  t.regex((await box.run(['show', 'api'])).stdout, /\nenv profile\s+production\n/);
});

test('without --env the profiles are ignored, as under pm2; a profile no app has and --env KEY=VALUE with a config are refused', async (t) => {
  const box = sandbox(t);
  write(box.dir, [{ name: 'api', script: fixture('env-dump.js'), env: { NODE_ENV: 'development' }, env_production: { NODE_ENV: 'production' } }]);
  const typo = await box.run(['start', '--env', 'prod'], { cwd: box.dir });
  t.is(typo.exitCode, 1);
  t.is(typo.stderr.trim(), 'bgrun: ecosystem.config.js has no env_prod in any app; its profiles: production');
  const assign = await box.run(['start', '--env', 'A=1'], { cwd: box.dir });
  t.is(assign.exitCode, 2);
  t.regex(assign.stderr, /^bgrun: --env A=1 is for a program given on the command line; for the apps of ecosystem\.config\.js, set it in that file/);
  const two = await box.run(['start', '--env', 'production', '--env', 'staging'], { cwd: box.dir });
  t.is(two.exitCode, 2);
  t.false(fs.existsSync(path.join(box.home, 'records', 'api.json')), 'nothing started');
  const bare = await box.run(['start', '--env', 'production', fixture('env-dump.js')]);
  t.is(bare.exitCode, 2);
  t.is(bare.stderr.trim(), "bgrun: --env production names an env profile (pm2's env_production), which only a config file has; for a variable use --env KEY=VALUE");
  const plain = await box.run(['start'], { cwd: box.dir });
  t.is(plain.exitCode, 0, plain.stderr);
  t.is((await dumped(box, 'api')).env.NODE_ENV, 'development');
});
