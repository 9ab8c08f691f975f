/**
 * What a target means: a program's own name always wins; display names (pm2's "My API"), the app of
 * copies, `@namespace` and pids are looked at only when no program has that name, and a target they
 * would read two ways is refused with the candidates, never guessed. Real programs: the test checks
 * which pid was signalled and that the other one still runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { type Sandbox, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { firstLine, runOk } from '../helpers/proc.js';

test.after.always(sweepAll);

/** pm2's saved list with one long-running process per [name, cwd]: the same script in two folders is two pm2 apps. */
function dumpOf(box: Sandbox, apps: [string, string][]): string {
  const file = path.join(box.dir, 'dump.pm2');
  const entry = ([name, cwd]: [string, string]) => ({
    name,
    pm_exec_path: '/usr/bin/sleep',
    args: ['600'],
    pm_cwd: cwd,
    exec_interpreter: 'none',
    autorestart: false,
    status: 'online',
    NODE_APP_INSTANCE: 0,
    env: {},
  });
  fs.writeFileSync(file, JSON.stringify(apps.map(entry)));
  return file;
}

function pidOf(box: Sandbox, name: string): number {
  const pid = box.record(name).pid;
  if (pid === null) throw new Error(`${name} has no pid`);
  return pid;
}

test("a program's own name wins over another program's display name: stop and rm act on the program of that name", async (t) => {
  const box = sandbox(t);
  // Two pm2 apps named web (two folders): imported as web and web-2.
  await runOk(t, box, ['import', 'pm2', '--dump', dumpOf(box, [['web', '/'], ['web', box.dir]])]);
  t.is(box.record('web-2').displayName, undefined, "web-2 is not given web's name as its display name");
  // Records written by the earlier import gave web-2 the display name 'web'; `stop web` then stopped web-2.
  const file = path.join(box.home, 'records', 'web-2.json');
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), displayName: 'web' }));
  const web = pidOf(box, 'web');
  const web2 = pidOf(box, 'web-2');

  const stopped = await runOk(t, box, ['stop', 'web']);
  t.regex(stopped.stdout, new RegExp(`^stopped web \\(pid ${web}\\)`, 'm'));
  t.notRegex(stopped.stdout, /web-2/);
  t.false(isAlive(web));
  t.true(isAlive(web2), 'web-2 still runs');
  t.is(box.record('web-2').status, 'running');

  const removed = await runOk(t, box, ['rm', 'web', 'web-2']);
  t.regex(removed.stdout, /^removed web\b/m);
  t.regex(removed.stdout, new RegExp(`^removed web-2 \\(stopped pid ${web2}\\)`, 'm'));
  await waitFor(() => !isAlive(web2), { what: 'web-2 to end' });
  t.deepEqual(fs.readdirSync(path.join(box.home, 'records')).filter((f) => f.endsWith('.json')), []);
});

test('a display name two programs share is refused with both, and neither is signalled; the exact name still works', async (t) => {
  const box = sandbox(t);
  await runOk(t, box, ['import', 'pm2', '--dump', dumpOf(box, [['My API', '/'], ['My API', box.dir]])]);
  const first = pidOf(box, 'My-API');
  const second = pidOf(box, 'My-API-2');
  t.is(box.record('My-API').displayName, 'My API');
  t.is(box.record('My-API-2').displayName, 'My API');

  const refused = await box.run(['stop', 'My API']);
  t.is(refused.exitCode, 1);
  t.is(
    firstLine(refused.stderr),
    "bgrun: 'My API' is no program's name and could mean: My-API (display name); My-API-2 (display name); give the exact name (see 'bgrun list')",
  );
  const json = await box.run(['show', 'My API', '--json']);
  t.is(json.exitCode, 1);
  t.is(JSON.parse(json.stdout).error.code, 'TARGET_AMBIGUOUS');
  t.true(isAlive(first) && isAlive(second), 'neither was signalled');

  await runOk(t, box, ['stop', 'My-API-2']);
  t.false(isAlive(second));
  t.true(isAlive(first));
});

test("a display name that reads as a namespace ('@jobs') is refused when that namespace has programs too", async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'ecosystem.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      apps: [
        { name: '@jobs', script: 'sleep', args: '600', interpreter: 'none', autorestart: false },
        { name: 'mailer', script: 'sleep', args: '601', interpreter: 'none', autorestart: false, namespace: 'jobs' },
      ],
    }),
  );
  await runOk(t, box, ['start', file]);
  const jobs = pidOf(box, 'jobs');
  const mailer = pidOf(box, 'mailer');
  const refused = await box.run(['stop', '@jobs']);
  t.is(refused.exitCode, 1);
  t.is(
    firstLine(refused.stderr),
    "bgrun: '@jobs' is no program's name and could mean: mailer (namespace @jobs); jobs (display name); give the exact name (see 'bgrun list')",
  );
  t.true(isAlive(jobs) && isAlive(mailer));
  // Its own name is not ambiguous.
  await runOk(t, box, ['stop', 'jobs']);
  t.false(isAlive(jobs));
  t.true(isAlive(mailer));
});
