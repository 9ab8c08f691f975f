import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, sandbox, sweepAll } from '../helpers/bgrun.js';
import { environOf, firstLine, runOk, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const envPath = (home: string, name: string) => path.join(home, 'env', `${name}.json`);
const recordPath = (home: string, name: string) => path.join(home, 'records', `${name}.json`);
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

test('the environment is kept beside the record, not in it: restarts run with it, --update-env replaces it, rm removes it', async (t) => {
  const box = sandbox(t);
  const first = await startJson(t, box, ['--name', 'web', fixture('env-dump.js')], { env: { GREETING: 'one' } });
  t.false('env' in box.record('web'), 'the record holds no environment');
  t.is((readJson(envPath(box.home, 'web')) as Record<string, string>).GREETING, 'one');
  t.is(environOf(first.pid).GREETING, 'one');

  // A restart from another shell still runs with the environment of the start.
  const again = await box.run(['restart', 'web'], { env: { GREETING: 'two' } });
  t.is(again.exitCode, 0, again.stderr);
  t.is(environOf(box.record('web').pid as number).GREETING, 'one');

  const updated = await box.run(['restart', 'web', '--update-env'], { env: { GREETING: 'two' } });
  t.is(updated.exitCode, 0, updated.stderr);
  t.is(environOf(box.record('web').pid as number).GREETING, 'two');
  t.is((readJson(envPath(box.home, 'web')) as Record<string, string>).GREETING, 'two');

  await runOk(t, box, ['rm', 'web']);
  t.false(fs.existsSync(envPath(box.home, 'web')));
});

test('a record that still holds its environment (written by an older bgrun) starts with it; a lost one is a clear error until --update-env', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'old', fixture('env-dump.js')], { env: { GREETING: 'kept' } });
  await runOk(t, box, ['stop', 'old']);
  // The older layout: the environment inside the record, no env file.
  const env = readJson(envPath(box.home, 'old'));
  fs.writeFileSync(recordPath(box.home, 'old'), JSON.stringify({ ...box.record('old'), env }), { mode: 0o600 });
  fs.rmSync(envPath(box.home, 'old'));
  const started = await box.run(['start', '--json', 'old'], { env: { GREETING: 'other' } });
  t.is(started.exitCode, 0, started.stderr);
  t.is(environOf(JSON.parse(started.stdout).pid).GREETING, 'kept');
  t.is((await box.run(['list', '--json'])).exitCode, 0);
  await runOk(t, box, ['stop', 'old']);

  // Neither file nor inline copy: refused with what to do, the record left as it was.
  const { env: _inline, ...withoutEnv } = box.record('old');
  fs.writeFileSync(recordPath(box.home, 'old'), JSON.stringify(withoutEnv), { mode: 0o600 });
  const refused = await box.run(['start', 'old']);
  t.is(refused.exitCode, 1);
  t.regex(firstLine(refused.stderr), /^bgrun: the environment of 'old' is missing \(.+\); run 'bgrun restart old --update-env' to record the current environment$/);
  t.is(refused.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  t.truthy(box.record('old'), 'the record is still there');

  const fixed = await box.run(['restart', 'old', '--update-env', '--json'], { env: { GREETING: 'fresh' } });
  t.is(fixed.exitCode, 0, fixed.stderr);
  t.is(environOf(JSON.parse(fixed.stdout).pid).GREETING, 'fresh');
});
