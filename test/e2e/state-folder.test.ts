import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, isAlive, sandbox, sweepAll } from '../helpers/bgrun.js';
import { firstLine, identityOf, runOk, spawnOwn, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

function modeOf(dir: string): string {
  return (fs.statSync(dir).mode & 0o7777).toString(8);
}

test('a state folder of another user is refused, even by root, with a message that says how to fix it', async (t) => {
  if (!ROOT) {
    t.log('skipped: needs root to make a folder of another user');
    t.pass();
    return;
  }
  const box = sandbox(t);
  fs.mkdirSync(box.home, { mode: 0o700 });
  fs.chownSync(box.home, NOBODY, NOBODY);
  for (const args of [['list'], ['start', '--name', 'x', fixture('ready.sh')]]) {
    const result = await box.run(args);
    t.is(result.exitCode, 1, args[0]);
    t.is(
      firstLine(result.stderr),
      `bgrun: the state folder ${box.home} belongs to another user (uid ${NOBODY}, you are uid 0); bgrun never uses another user's state folder: run bgrun as that user, or set BGRUN_HOME to a folder of your own (with sudo, do not keep BGRUN_HOME or HOME: use sudo -H without -E)`,
    );
  }
  t.deepEqual(fs.readdirSync(box.home), [], 'nothing was created in it');
});

test('a record file of another user is not read: it is moved aside and named', async (t) => {
  if (!ROOT) {
    t.log('skipped: needs root to make a file of another user');
    t.pass();
    return;
  }
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'mine', fixture('ready.sh')]);
  const planted = path.join(box.home, 'records', 'planted.json');
  fs.copyFileSync(path.join(box.home, 'records', 'mine.json'), planted);
  fs.writeFileSync(planted, fs.readFileSync(planted, 'utf8').replaceAll('"mine"', '"planted"'));
  fs.chownSync(planted, NOBODY, NOBODY);
  const result = await box.run(['list', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout).map((p: { name: string }) => p.name), ['mine']);
  t.regex(firstLine(result.stderr), /^bgrun: the record of 'planted' is unreadable \(it belongs to another user \(uid 65534\); bgrun reads only files of the user running it\); moved it to /);
});

test('a state folder that is a link to a folder others can write is refused, and its mode is left alone', async (t) => {
  const box = sandbox(t);
  const shared = path.join(box.dir, 'shared');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o777);
  fs.symlinkSync(shared, box.home);
  const result = await box.run(['list']);
  t.is(result.exitCode, 1);
  t.is(
    firstLine(result.stderr),
    `bgrun: the state folder ${box.home} can be written by other users (mode 777), who could plant records for bgrun to act on; run 'chmod go-w ${box.home}' (0700 is best) or set BGRUN_HOME to a folder of your own`,
  );
  t.is(modeOf(shared), '777');
  t.deepEqual(fs.readdirSync(shared), []);
});

for (const mode of [0o2775, 0o1777, 0o770]) {
  test(`an existing state folder of mode ${mode.toString(8)} is refused, never chmod-ed`, async (t) => {
    const box = sandbox(t);
    fs.mkdirSync(box.home);
    fs.chmodSync(box.home, mode);
    const result = await box.run(['start', '--name', 'x', fixture('ready.sh')]);
    t.is(result.exitCode, 1);
    t.regex(firstLine(result.stderr), /^bgrun: the state folder .* can be written by other users \(mode \d+\)/);
    t.is(modeOf(box.home), mode.toString(8));
    t.deepEqual(fs.readdirSync(box.home), []);
  });
}

test('an existing state folder others can only read is used as it is: its mode is not changed', async (t) => {
  const box = sandbox(t);
  fs.mkdirSync(box.home);
  fs.chmodSync(box.home, 0o755);
  await startJson(t, box, ['--name', 'x', fixture('ready.sh')]);
  t.is(modeOf(box.home), '755');
  t.is(modeOf(path.join(box.home, 'records')), '700', 'the folders bgrun creates are 0700');
  await runOk(t, box, ['stop', 'all']);
});

test('a planted supervisor.json naming another process (with its true identity) is never signalled', async (t) => {
  const box = sandbox(t);
  await runOk(t, box, ['list']);
  const stranger = spawnOwn(t, 'sleep', ['300']);
  // An older version, so that a start would replace (SIGTERM) the supervisor it names.
  fs.writeFileSync(
    path.join(box.home, 'supervisor.json'),
    JSON.stringify({ pid: stranger.pid, identity: identityOf(stranger.pid!), version: '0.0.1-old', startedAt: new Date().toISOString() }),
    { mode: 0o600 },
  );
  const started = await startJson(t, box, ['--name', 'sup', '--restart', 'always', fixture('ready.sh')]);
  t.true(isAlive(started.pid));
  t.true(isAlive(stranger.pid!), 'the process named in the planted file was not signalled');
  const supervisor = JSON.parse(fs.readFileSync(path.join(box.home, 'supervisor.json'), 'utf8')) as { pid: number };
  t.not(supervisor.pid, stranger.pid);
  await runOk(t, box, ['stop', 'all']);
  t.true(isAlive(stranger.pid!));
});

test('BGRUN_HOME naming a file is reported as not a folder', async (t) => {
  const box = sandbox(t);
  fs.writeFileSync(box.home, 'x');
  const result = await box.run(['list']);
  t.is(result.exitCode, 1);
  t.is(firstLine(result.stderr), `bgrun: the state folder ${box.home} is not a folder; set BGRUN_HOME to a folder (or remove what is there)`);

});
