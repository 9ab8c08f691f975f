import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { BIN, fixture, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

/** The program's first JSON line (env-dump.js prints its cwd, argv and environment). */
async function dumped(outLog: string): Promise<{ cwd: string; env: Record<string, string> }> {
  const line = await waitFor(() => fs.readFileSync(outLog, 'utf8').split('\n')[0], { timeout: 30_000, what: 'the dump line' });
  return JSON.parse(line);
}

test("--env-file with --cwd is read from that folder, like the script, and Node's own --env-file does not get in the way", async (t) => {
  const box = sandbox(t);
  const api = path.join(box.dir, 'srv', 'api');
  fs.mkdirSync(api, { recursive: true });
  fs.copyFileSync(fixture('env-dump.js'), path.join(api, 'main.js'));
  fs.writeFileSync(path.join(api, '.env'), 'FROM_FILE=api\n');
  const elsewhere = path.join(box.dir, 'elsewhere');
  fs.mkdirSync(elsewhere);
  // The README's example, run as a user runs bgrun (the bin as an executable), from a folder with no .env.
  const r = await execa(BIN, ['start', '--name', 'api', '--cwd', api, '--env', 'PORT=8080', '--env-file', '.env', '--', 'node', 'main.js'], {
    cwd: elsewhere,
    env: box.env,
    reject: false,
  });
  t.is(r.exitCode, 0, String(r.stderr));
  const record = box.record('api');
  t.deepEqual(record.envFiles, [path.join(api, '.env')]);
  const seen = await dumped(record.outLog as string);
  t.is(seen.cwd, api);
  t.is(seen.env.FROM_FILE, 'api');
  t.is(seen.env.PORT, '8080');
});

test('a missing --env-file is reported by bgrun (exit 1, one line), not by Node (exit 9)', async (t) => {
  const box = sandbox(t);
  const r = await execa(BIN, ['start', '--env-file', 'nowhere.env', fixture('ticker.js')], { cwd: box.dir, env: box.env, reject: false });
  t.is(r.exitCode, 1, String(r.stderr));
  t.regex(String(r.stderr), /^bgrun: .*nowhere\.env/);
});

test("a config app's envFile is relative to its cwd, like its script", async (t) => {
  const box = sandbox(t);
  const sub = path.join(box.dir, 'project', 'api');
  fs.mkdirSync(sub, { recursive: true });
  fs.copyFileSync(fixture('env-dump.js'), path.join(sub, 'main.js'));
  fs.writeFileSync(path.join(sub, '.env'), 'FROM_FILE=sub\n');
  fs.writeFileSync(path.join(box.dir, 'project', '.env'), 'FROM_FILE=project\n');
  fs.writeFileSync(
    path.join(box.dir, 'project', 'bgrun.config.json'),
    JSON.stringify({ apps: [{ name: 'api', cwd: 'api', script: 'main.js', envFile: '.env' }] }),
  );
  const r = await box.run(['start'], { cwd: path.join(box.dir, 'project') });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(box.record('api').envFiles, [path.join(sub, '.env')]);
  t.is((await dumped(box.record('api').outLog as string)).env.FROM_FILE, 'sub');
});

test('--out-log, --err-log and --log are relative to --cwd, like the script', async (t) => {
  const box = sandbox(t);
  const api = path.join(box.dir, 'srv', 'api');
  fs.mkdirSync(api, { recursive: true });
  fs.copyFileSync(fixture('env-dump.js'), path.join(api, 'main.js'));
  const other = path.join(box.dir, 'other');
  fs.mkdirSync(other);
  const r = await box.run(['start', '--name', 'api', '--cwd', '../srv/api', '--out-log', 'out.log', '--err-log', 'logs/../err.log', '--', 'node', 'main.js'], {
    cwd: other,
  });
  t.is(r.exitCode, 0, r.stderr);
  const record = box.record('api');
  t.is(record.outLog, path.join(api, 'out.log'));
  t.is(record.errLog, path.join(api, 'err.log'));
  t.is((await dumped(path.join(api, 'out.log'))).cwd, api);
  t.false(fs.existsSync(path.join(other, 'out.log')));

  const both = await box.run(['start', '--name', 'both', '--cwd', api, '--log', 'both.log', '--', 'node', 'main.js'], { cwd: other });
  t.is(both.exitCode, 0, both.stderr);
  t.is(box.record('both').outLog, path.join(api, 'both.log'));
  t.is(box.record('both').errLog, path.join(api, 'both.log'));
});

test("a config app's outLog and a pm2 file's out_file are relative to the app's cwd, as pm2 resolves them", async (t) => {
  const box = sandbox(t);
  const project = path.join(box.dir, 'project');
  const sub = path.join(project, 'api');
  fs.mkdirSync(sub, { recursive: true });
  fs.copyFileSync(fixture('env-dump.js'), path.join(sub, 'main.js'));
  fs.writeFileSync(path.join(project, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'capi', cwd: 'api', script: 'main.js', outLog: 'out.log' }] }));
  const r = await box.run(['start'], { cwd: project });
  t.is(r.exitCode, 0, r.stderr);
  t.is(box.record('capi').outLog, path.join(sub, 'out.log'));
  t.is((await dumped(path.join(sub, 'out.log'))).cwd, sub);
  t.false(fs.existsSync(path.join(project, 'out.log')));

  // pm2: out_file and error_file are resolved against the app's cwd (path.resolve(cwd, out_file)).
  fs.writeFileSync(
    path.join(project, 'ecosystem.config.json'),
    JSON.stringify({ apps: [{ name: 'papi', cwd: 'api', script: 'main.js', out_file: 'p-out.log', error_file: './p-err.log' }] }),
  );
  const p = await box.run(['start', 'ecosystem.config.json'], { cwd: project });
  t.is(p.exitCode, 0, p.stderr);
  t.is(box.record('papi').outLog, path.join(sub, 'p-out.log'));
  t.is(box.record('papi').errLog, path.join(sub, 'p-err.log'));
  t.is((await dumped(path.join(sub, 'p-out.log'))).cwd, sub);
});
