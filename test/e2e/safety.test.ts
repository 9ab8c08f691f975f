import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa, execaSync } from 'execa';
import { BIN, fixture, isAlive, processesOfHome, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, identityOf, listJson, procStat, runOk, spawnOwn, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

function editRecord(home: string, name: string, change: (r: Record<string, unknown>) => void): void {
  const file = path.join(home, 'records', `${name}.json`);
  const record = JSON.parse(fs.readFileSync(file, 'utf8'));
  change(record);
  fs.writeFileSync(file, JSON.stringify(record, null, 2));
}

async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !isAlive(pid), { timeout: LONG, what: `pid ${pid} to die` });
}

test('pid reuse: a recorded pid that now belongs to another process is never signalled', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'victim', fixture('ready.js')]);
  // The program dies unseen, and its pid is "reused" by a process of our own.
  await killAndWait(info.pid);
  const stranger = spawnOwn(t, 'sleep', ['300']);
  const strangerPid = stranger.pid!;
  t.true(isAlive(strangerPid));
  editRecord(box.home, 'victim', (r) => {
    r.pid = strangerPid; // identity stays the one of the dead program
  });

  const listed = (await listJson(box))[0]!;
  t.is(listed.status, 'exited', 'its own process is gone');
  t.is(listed.pid, null);

  const byPid = await box.run(['stop', String(strangerPid)]);
  t.is(byPid.exitCode, 1, byPid.stdout);
  t.is(
    firstLine(byPid.stderr),
    `bgrun: pid ${strangerPid} is no longer 'victim' (that process ended; the pid now belongs to another one); see 'bgrun show victim'`,
  );
  t.true(isAlive(strangerPid));

  const byName = await box.run(['stop', 'victim', '--timeout', '100ms']);
  t.is(byName.exitCode, 0, byName.stderr);
  t.is(byName.stdout, 'victim was not running (exited)');
  t.true(isAlive(strangerPid), 'the stranger was not signalled');
  t.true(['exited', 'stopped'].includes(box.record('victim').status));

  for (const args of [['restart', 'victim'], ['rm', 'victim']]) {
    const result = await box.run(args);
    t.is(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`);
    t.true(isAlive(strangerPid), `${args[0]} did not signal the stranger`);
  }
  t.is(procStat(strangerPid)!.state === 'Z', false);
});

test('stop <pid> of a process bgrun did not start is refused', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'mine', fixture('ready.js')]);
  const stranger = spawnOwn(t, 'sleep', ['300']);
  for (const command of ['stop', 'restart', 'rm', 'logs', 'show']) {
    const result = await box.run([command, String(stranger.pid)]);
    t.is(result.exitCode, 1, command);
    t.is(firstLine(result.stderr), `bgrun: pid ${stranger.pid} is not a program bgrun runs; see 'bgrun list'`);
  }
  t.true(isAlive(stranger.pid!));
});

test('zombies count as dead: a recorded pid that is a zombie is not running', async (t) => {
  const box = sandbox(t);
  // A zombie of our own: the same fixture bgrun's tests run, started directly (not through bgrun).
  const zombieFile = path.join(box.dir, 'out.log');
  const parent = spawnOwn(t, 'sh', ['-c', 'exec sh "$0" > "$1"', fixture('zombie-parent.sh'), zombieFile]);
  const zombie = Number((await waitForMatch(zombieFile, /^zombie (\d+)$/m))[1]);
  await waitFor(() => procStat(zombie)?.state === 'Z', { timeout: LONG, what: 'zombie state' });

  const info = await startJson(t, box, ['--name', 'undead', fixture('ready.js')]);
  await killAndWait(info.pid);
  editRecord(box.home, 'undead', (r) => {
    r.pid = zombie;
    r.identity = identityOf(zombie); // the very process recorded, but a zombie now
  });
  const listed = (await listJson(box))[0]!;
  t.is(listed.status, 'exited');
  t.is(listed.pid, null);
  const stopped = await box.run(['stop', 'undead']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.is(stopped.stdout, 'undead was not running (exited)');
  t.true(isAlive(parent.pid!), 'the zombie parent was not signalled');
});

// Serial: the heaviest tests of the file do not starve the others (or each other).
test.serial('50 concurrent starts of the same script: 50 records, 50 names, 50 live processes, nothing lost', async (t) => {
  const box = sandbox(t);
  const count = 50;
  const results = await Promise.all(Array.from({ length: count }, () => box.run(['start', '--wait', '0', '--json', fixture('ready.sh')], { timeout: 90_000 })));
  for (const r of results) t.is(r.exitCode, 0, r.stderr);
  const started = results.map((r) => JSON.parse(r.stdout) as { name: string; pid: number; outLog: string });
  const names = started.map((s) => s.name);
  t.is(new Set(names).size, count, 'unique names');
  const expected = ['ready', ...Array.from({ length: count - 1 }, (_, i) => `ready-${i + 2}`)].sort();
  t.deepEqual([...names].sort(), expected);
  t.is(new Set(started.map((s) => s.pid)).size, count, 'unique pids');

  const listed = await listJson(box);
  t.is(listed.length, count);
  t.deepEqual(listed.map((p) => p.name).sort(), expected);
  t.true(listed.every((p) => p.status === 'running'));
  t.is(fs.readdirSync(path.join(box.home, 'records')).filter((f) => f.endsWith('.json')).length, count);
  for (const s of started) {
    t.true(isAlive(s.pid), `${s.name} alive`);
    t.is(listed.find((p) => p.name === s.name)!.pid, s.pid);
    await waitForMatch(s.outLog, new RegExp(`^ready ${s.pid} args=$`, 'm'), `${s.name} ready line`);
  }
  t.deepEqual(processesOfHome(box.home).sort(), started.map((s) => s.pid).sort());
});

test('concurrent starts of one explicit name: exactly one wins, the others are refused', async (t) => {
  const box = sandbox(t);
  const results = await Promise.all(Array.from({ length: 8 }, () => box.run(['start', '--wait', '0', '--name', 'only', fixture('ready.sh')])));
  const winners = results.filter((r) => r.exitCode === 0);
  t.is(winners.length, 1, results.map((r) => r.stderr).join('\n'));
  for (const r of results.filter((x) => x.exitCode !== 0)) {
    t.is(r.exitCode, 1);
    // A loser that came while the winner was still starting is told so; one that came after is told it runs.
    t.regex(
      firstLine(r.stderr),
      /^bgrun: 'only' is already (running \(pid \d+\); use 'bgrun restart only', or --name to start another|being started \(by another bgrun, or by the supervisor\); wait for it, or use --name to start another)$/,
    );
  }
  const pid = box.record('only').pid!;
  t.deepEqual(processesOfHome(box.home), [pid]);
});

/** Starts `bgrun start` and SIGKILLs it once `when` says so (checked every millisecond or so). */
async function startAndKill(box: ReturnType<typeof sandbox>, args: string[], when: (elapsedMs: number) => boolean): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'start', '--wait', '0', ...args], { env: { ...process.env, ...box.env }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const begin = Date.now();
  while (!done && !when(Date.now() - begin)) await new Promise((r) => setTimeout(r, 1));
  child.kill('SIGKILL');
  await exited;
}

test.serial('SIGKILL of bgrun during start at any moment: list works, and every process left is listed', async (t) => {
  const box = sandbox(t);
  // At fixed delays from the fork of bgrun, spanning its whole run…
  for (let delay = 0; delay <= 600; delay += 50) await startAndKill(box, [fixture('ready.sh')], (elapsed) => elapsed >= delay);
  // …and at the moments that matter: record written, program forked (pidfile filled), record updated.
  const records = path.join(box.home, 'records');
  const pids = path.join(box.home, 'pids');
  for (let i = 0; i < 2; i++) {
    await startAndKill(box, ['--name', `rec-${i}`, fixture('ready.sh')], () => fs.existsSync(path.join(records, `rec-${i}.json`)));
    await startAndKill(box, ['--name', `fork-${i}`, fixture('ready.sh')], () => readText(path.join(pids, `fork-${i}.pid`)) !== '');
    await startAndKill(box, ['--name', `run-${i}`, fixture('ready.sh')], () => readText(path.join(records, `run-${i}.json`)).includes('"running"'));
  }
  const listed = await box.run(['list', '--json']);
  t.is(listed.exitCode, 0, listed.stderr);
  t.notThrows(() => JSON.parse(listed.stdout));

  // Interrupted launches are recovered from their pidfiles; give them a moment.
  const unlisted = () => {
    const running = new Set<number>();
    const result = execaSyncList(box.env);
    for (const p of result) if (p.status === 'running' && typeof p.pid === 'number') running.add(p.pid);
    return processesOfHome(box.home).filter((pid) => !running.has(pid));
  };
  await waitFor(() => unlisted().length === 0, { what: 'every process to be listed', timeout: LONG });
  t.deepEqual(unlisted(), []);
  // No launch stays "starting" for ever: each one ends up running or errored.
  await waitFor(async () => (await listJson(box)).every((p) => p.status === 'running' || p.status === 'errored'), {
    timeout: LONG,
    what: 'no launch left starting',
  });

  // A writer killed mid-write leaves its temporary file (never read as a record); the records are the .json files.
  const left = fs
    .readdirSync(records)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readText(path.join(records, f))));
  t.log(
    `${left.length} records, ${processesOfHome(box.home).length} processes,`,
    `${left.filter((r) => r.launcher !== null && r.status === 'running').length} recovered from their pidfile`,
  );

  // A lock left by a killed bgrun does not block the next command for long.
  const after = await box.run(['start', '--name', 'after', fixture('ready.sh')], { timeout: 20_000 });
  t.is(after.exitCode, 0, after.stderr);
  t.true(isAlive(box.record('after').pid!));
});

function execaSyncList(env: Record<string, string>): { status: string; pid: number | null }[] {
  const result = execaSync(process.execPath, [BIN, 'list', '--json'], { env, reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`list failed: ${result.stderr}`);
  return JSON.parse(String(result.stdout));
}

function writeGarbage(home: string): void {
  const records = path.join(home, 'records');
  fs.writeFileSync(path.join(records, 'broken.json'), '{"name": "broken", "pid": 12', { mode: 0o600 });
  fs.writeFileSync(path.join(records, 'shapeless.json'), '{"name": "shapeless"}', { mode: 0o600 });
  fs.copyFileSync(path.join(records, 'alpha.json'), path.join(records, 'impostor.json'));
}

test('a temporary record file left by a killed writer is removed by the next reader; a live writer\'s is left alone', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'alpha', fixture('ready.sh')]);
  // A pid that was alive and is gone for sure: a child we started and saw exit.
  const gone = spawn('true');
  await new Promise((resolve) => gone.once('exit', resolve));
  const records = path.join(box.home, 'records');
  const abandoned = path.join(records, `alpha.json.${gone.pid}.1.tmp`);
  const inFlight = path.join(records, `alpha.json.${process.pid}.7.tmp`);
  fs.writeFileSync(abandoned, '{"half": ', { mode: 0o600 });
  fs.writeFileSync(inFlight, '{"half": ', { mode: 0o600 });
  const listed = await box.run(['list', '--json']);
  t.is(listed.exitCode, 0, listed.stderr);
  t.is(listed.stderr, '');
  t.false(fs.existsSync(abandoned));
  t.true(fs.existsSync(inFlight));
  t.deepEqual(
    JSON.parse(listed.stdout).map((p: { name: string }) => p.name),
    ['alpha'],
  );
});

test('garbage in record files: list still lists the others and exits 0; the bad ones are moved aside', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'alpha', fixture('ready.sh')]);
  await startJson(t, box, ['--name', 'omega', fixture('ready.sh')]);
  writeGarbage(box.home);

  const result = await box.run(['list', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(
    JSON.parse(result.stdout).map((p: { name: string; status: string }) => [p.name, p.status]),
    [
      ['alpha', 'running'],
      ['omega', 'running'],
    ],
  );
  // Moved aside with their content kept for inspection.
  const quarantine = path.join(box.home, 'quarantine');
  const moved = fs.readdirSync(quarantine).sort();
  t.is(moved.length, 3);
  t.regex(moved[0]!, /^broken\.\d+\.json$/);
  t.regex(moved[1]!, /^impostor\.\d+\.json$/);
  t.regex(moved[2]!, /^shapeless\.\d+\.json$/);
  t.is(readText(path.join(quarantine, moved[0]!)), '{"name": "broken", "pid": 12');
  t.deepEqual(fs.readdirSync(path.join(box.home, 'records')).sort(), ['alpha.json', 'omega.json']);
  const again = await box.run(['list']);
  t.is(again.exitCode, 0);
  t.regex(again.stdout, /^alpha\s/m);
  // Other commands keep working too.
  const stopped = await box.run(['stop', 'all']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.deepEqual(processesOfHome(box.home), []);
});

// Every command first checks whether a supervisor is needed (src/supervisor/ensure.ts),
// reading the records: it must leave a bad one for list to report, not move it silently.
test('garbage in a record file: list names each bad record on stderr', async (t) => {
  const box = sandbox(t);
  await startJson(t, box, ['--name', 'alpha', fixture('ready.sh')]);
  writeGarbage(box.home);
  const result = await box.run(['list', '--json']);
  t.is(result.exitCode, 0, result.stderr);
  const quarantine = path.join(box.home, 'quarantine');
  const errors = result.stderr.split('\n');
  t.is(errors.length, 3, result.stderr);
  t.regex(errors[0]!, new RegExp(`^bgrun: the record of 'broken' is unreadable \\(invalid JSON: .*\\); moved it to ${quarantine}/broken\\.\\d+\\.json$`));
  t.regex(errors[1]!, new RegExp(`^bgrun: the record of 'impostor' is unreadable \\(it names 'alpha'\\); moved it to ${quarantine}/impostor\\.\\d+\\.json$`));
  t.regex(errors[2]!, new RegExp(`^bgrun: the record of 'shapeless' is unreadable \\('script' is not a string\\); moved it to ${quarantine}/shapeless\\.\\d+\\.json$`));
  const again = await box.run(['list']);
  t.is(again.stderr, '', 'reported once');
});

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

test('file modes: state folders 0700; records, environments, logs and pidfiles 0600, whatever the umask', async (t) => {
  const box = sandbox(t);
  // A permissive umask must not leak into the state folder.
  const result = await execa('sh', ['-c', 'umask 000; exec "$@"', 'sh', process.execPath, BIN, 'start', '--json', '--name', 'modes', fixture('ready.sh')], {
    env: box.env,
    reject: false,
    stdin: 'ignore',
  });
  t.is(result.exitCode, 0, String(result.stderr));
  const info = JSON.parse(String(result.stdout));
  for (const dir of ['', 'records', 'env', 'logs', 'pids']) t.is(mode(path.join(box.home, dir)).toString(8), '700', `folder ${dir || 'home'}`);
  for (const file of [path.join(box.home, 'records', 'modes.json'), path.join(box.home, 'env', 'modes.json'), info.outLog, info.errLog, info.pidFile]) {
    t.is(mode(file).toString(8), '600', file);
  }
  // Records rewritten later (stop) keep the mode.
  await runOk(t, box, ['stop', 'modes']);
  t.is(mode(path.join(box.home, 'records', 'modes.json')).toString(8), '600');
});

test('file modes: an existing state folder others can read keeps its mode; what bgrun creates in it is 0700', async (t) => {
  const box = sandbox(t);
  fs.mkdirSync(box.home, { mode: 0o755 });
  fs.chmodSync(box.home, 0o755);
  await startJson(t, box, ['--name', 'x', fixture('ready.sh')]);
  // Never chmod-ed (a folder others can write is refused: test/e2e/state-folder.test.ts).
  t.is(mode(box.home).toString(8), '755');
  fs.writeFileSync(path.join(box.home, 'records', 'junk.json'), 'junk');
  await runOk(t, box, ['list']);
  t.is(mode(path.join(box.home, 'quarantine')).toString(8), '700');
});

test("the old pid of a stopped program: show names it, stopped; stop and restart never act on it, even when another process holds that pid now", async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'web', fixture('ready.js')]);
  t.is((await box.run(['stop', 'web'])).exitCode, 0);
  t.false(isAlive(info.pid));

  const shown = await box.run(['show', String(info.pid)]);
  t.is(shown.exitCode, 0, shown.stderr);
  t.regex(shown.stdout, /^name +web$/m);
  t.regex(shown.stdout, /^status +stopped$/m);
  t.regex(shown.stdout, /^pid +-$/m);
  t.regex(shown.stdout, new RegExp(`^last pid +${info.pid}$`, 'm'));
  t.like(JSON.parse((await box.run(['show', String(info.pid), '--json'])).stdout), { name: 'web', status: 'stopped', pid: null, lastPid: info.pid });

  // The old pid now held by another process (pid reuse): a process of our own stands in for it.
  const stranger = spawnOwn(t, 'sleep', ['300']);
  editRecord(box.home, 'web', (r) => {
    r.lastPid = stranger.pid;
  });
  const refusal = `bgrun: pid ${stranger.pid} was 'web', now stopped: a pid names a program only while it runs (it may since belong to another process); use the name 'web'`;
  for (const command of ['stop', 'restart', 'rm', 'logs', 'flush']) {
    const result = await box.run([command, String(stranger.pid)]);
    t.is(result.exitCode, 1, command);
    t.is(firstLine(result.stderr), refusal, command);
  }
  t.true(isAlive(stranger.pid!), 'the process holding the old pid was not signalled');
  t.is(box.record('web').status, 'stopped', 'and web was not started again');
  t.is(box.record('web').pid, null);
  t.regex((await box.run(['show', String(stranger.pid)])).stdout, /^name +web$/m);
});

test('the pid of an earlier run of a running program, and of a supervised run that ended, are named', async (t) => {
  const box = sandbox(t);
  const first = await startJson(t, box, ['--name', 'web', fixture('ready.js')]);
  await runOk(t, box, ['restart', 'web']);
  const now = box.record('web').pid!;
  for (const command of ['show', 'stop']) {
    const result = await box.run([command, String(first.pid)]);
    t.is(result.exitCode, 1, command);
    t.is(firstLine(result.stderr), `bgrun: pid ${first.pid} was an earlier run of 'web', which now runs as pid ${now}; see 'bgrun show web'`);
  }
  t.true(isAlive(now));

  const go = path.join(box.dir, 'go');
  const job = await startJson(t, box, ['--name', 'job', '--restart', 'on-failure', '--wait', '0', '--', 'sh', '-c', `while [ ! -e '${go}' ]; do sleep 0.05; done`]);
  fs.writeFileSync(go, '');
  await waitFor(() => box.record('job').status === 'exited', { timeout: LONG, what: "the supervisor's record of the job's end" });
  t.is(box.record('job').pid, null);
  const shown = await box.run(['show', String(job.pid)]);
  t.is(shown.exitCode, 0, shown.stderr);
  t.regex(shown.stdout, /^name +job$/m);
  t.regex(shown.stdout, /^status +exited \(0\)$/m);
  const stop = await box.run(['stop', String(job.pid)]);
  t.is(stop.exitCode, 1);
  t.is(firstLine(stop.stderr), `bgrun: pid ${job.pid} was 'job', now exited: a pid names a program only while it runs (it may since belong to another process); use the name 'job'`);
});
