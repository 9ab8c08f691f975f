import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { fixture, isAlive, sandbox, sweepAll } from '../helpers/bgrun.js';
import { firstLine, identityOf, runOk, spawnOwn, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** Only root can make files of another user: elsewhere the test says so and passes. */
function asRoot(t: ExecutionContext, what: string): boolean {
  if (!ROOT) {
    t.log(`skipped: needs root to make ${what}`);
    t.pass();
  }
  return ROOT;
}

function modeOf(dir: string): string {
  return (fs.statSync(dir).mode & 0o7777).toString(8);
}

test('a state folder of another user is refused, even by root, with a message that says how to fix it', async (t) => {
  if (!asRoot(t, 'a folder of another user')) return;
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
  if (!asRoot(t, 'a file of another user')) return;
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

test('files of another user inside the state folder are never believed: a folder, an environment, a pidfile, supervisor.json', async (t) => {
  if (!asRoot(t, 'files of another user')) return;
  const box = sandbox(t);
  // An environment file: the program is not started with it (nor as root with another user's settings).
  await startJson(t, box, ['--name', 'envd', '--', 'sleep', '300']);
  await runOk(t, box, ['stop', 'envd']);
  const envFile = path.join(box.home, 'env', 'envd.json');
  fs.chownSync(envFile, NOBODY, NOBODY);
  const restarted = await box.run(['restart', 'envd']);
  t.is(restarted.exitCode, 1);
  t.is(
    firstLine(restarted.stderr),
    `bgrun: cannot read the environment of 'envd' (${envFile}): ${envFile} belongs to uid ${NOBODY}, not to uid 0 running bgrun; run 'bgrun restart envd --update-env' to record the current environment`,
  );
  t.is(box.record('envd').pid, null);
  fs.chownSync(envFile, 0, 0);

  // A pidfile of an interrupted start: the process it names is not adopted, so never signalled.
  const info = await startJson(t, box, ['--name', 'pidd', '--', 'sleep', '301']);
  const recordFile = path.join(box.home, 'records', 'pidd.json');
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  fs.writeFileSync(recordFile, JSON.stringify({ ...record, status: 'starting', pid: null, identity: null, startedAt: null, launcher: { pid: 1, identity: 'gone:0' } }), { mode: 0o600 });
  fs.chownSync(info.pidFile, NOBODY, NOBODY);
  const listed = JSON.parse((await runOk(t, box, ['list', '--json'])).stdout) as { name: string; pid: number | null; status: string }[];
  const pidd = listed.find((p) => p.name === 'pidd')!;
  t.is(pidd.pid, null);
  t.not(pidd.status, 'running');
  await runOk(t, box, ['stop', 'all']);
  t.true(isAlive(info.pid), 'a pid named by another user\'s pidfile was not signalled');
  process.kill(info.pid, 'SIGKILL');

  // supervisor.json of another user naming a live process: ignored, the process never signalled.
  const stranger = spawnOwn(t, 'sleep', ['302']);
  const supFile = path.join(box.home, 'supervisor.json');
  fs.writeFileSync(supFile, JSON.stringify({ pid: stranger.pid, identity: identityOf(stranger.pid!), version: '0.0.1-old', startedAt: new Date().toISOString() }), { mode: 0o600 });
  fs.chownSync(supFile, NOBODY, NOBODY);
  const sup = await box.run(['start', '--name', 'sup', '--restart', 'always', '--', 'sleep', '303']);
  t.is(sup.exitCode, 0, sup.stderr);
  t.true(isAlive(stranger.pid!));
  await runOk(t, box, ['stop', 'all']);
  t.true(isAlive(stranger.pid!));

  // A folder inside it of another user: refused as the state folder itself is.
  const logs = path.join(box.home, 'logs');
  fs.chownSync(logs, NOBODY, NOBODY);
  const list = await box.run(['list']);
  t.is(list.exitCode, 1);
  t.regex(firstLine(list.stderr), new RegExp(`^bgrun: the folder ${logs} belongs to another user \\(uid ${NOBODY}, you are uid 0\\); bgrun never uses another user's state folder`));
  fs.chownSync(logs, 0, 0);
});
