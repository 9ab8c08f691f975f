import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { exportSystemd } from '../../src/index.js';
import { type Sandbox, fixture, sandbox, sweepAll } from '../helpers/bgrun.js';
import { openUp, systemdAnalyzeVerify, systemdTestDump } from '../helpers/systemd.js';

test.after.always(sweepAll);

/** Arguments a unit file must quote or escape: blanks, quotes, %, $, a backslash, a lone ';', an empty one, a line break. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${...} argument is the point
const AWKWARD = ['two words', 'say "hi"', "it's", '100%', '$HOME', '${PATH}', 'back\\slash', ';', '', 'line\nbreak', 'plain-arg'];

async function startJson(box: Sandbox, args: string[], t: ExecutionContext): Promise<{ name: string; pid: number; command: string[]; outLog: string; errLog: string }> {
  const r = await box.run(['start', '--json', ...args]);
  t.is(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** A folder outside the sandbox that `nobody` can read, for systemd --test. */
function unitDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-units-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function line(text: string, key: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

test('a plain program: absolute ExecStart with every awkward argument escaped, cwd, --env, env files, logs, no restart', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, 'FROM_FILE=1\n');
  const info = await startJson(
    box,
    ['--name', 'plain', '--cwd', box.dir, '--env', 'PORT=3000', '--env', 'MSG=he said "hi" to 100% of $USER \\o/', '--env-file', envFile, fixture('ready.js'), ...AWKWARD],
    t,
  );
  const r = await box.run(['export', 'systemd', 'plain']);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stderr, '');
  const unit = r.stdout;
  t.regex(unit, /^# bgrun-plain\.service: the program 'plain', exported from bgrun/);
  t.regex(unit, /only the variables given with --env \(Environment=\)/);
  t.regex(unit, /is NOT\n# copied/);
  t.deepEqual(line(unit, 'ExecStart'), [
    `${process.execPath} ${fixture('ready.js')} "two words" "say \\"hi\\"" "it's" "100%%" "$$HOME" "$\${PATH}" "back\\\\slash" ";" "" "line\\nbreak" plain-arg`,
  ]);
  t.deepEqual(info.command.slice(2), AWKWARD);
  t.deepEqual(line(unit, 'WorkingDirectory'), [box.dir]);
  // Environment= does no $ substitution: only quotes, backslashes and % are escaped.
  t.deepEqual(line(unit, 'Environment'), ['PORT=3000', '"MSG=he said \\"hi\\" to 100%% of $USER \\\\o/"']);
  t.deepEqual(line(unit, 'EnvironmentFile'), [envFile]);
  t.deepEqual(line(unit, 'Type'), ['simple']);
  t.deepEqual(line(unit, 'Restart'), ['no']);
  t.deepEqual(line(unit, 'KillMode'), ['control-group']);
  t.deepEqual(line(unit, 'TimeoutStopSec'), ['10s']);
  t.deepEqual(line(unit, 'StandardOutput'), [`append:${info.outLog}`]);
  t.deepEqual(line(unit, 'StandardError'), [`append:${info.errLog}`]);
  t.deepEqual(line(unit, 'WantedBy'), ['multi-user.target']);
  t.deepEqual(line(unit, 'StartLimitBurst'), []);
  // Not the inherited environment: BGRUN_HOME was in it, and is not in the unit.
  t.false(unit.includes('BGRUN_HOME'));
  t.false(unit.includes('NO_COLOR'));
  await box.run(['stop', 'all']);
});

test('supervised programs: Restart= from the policy, RestartSec, start limits from --max-restarts and --min-uptime', async (t) => {
  const box = sandbox(t);
  await startJson(box, ['--name', 'flaky', '--restart', 'on-failure', '--max-restarts', '3', '--min-uptime', '2s', '--max-memory', '200M', fixture('ready.js')], t);
  await startJson(box, ['--name', 'forever', '--restart', 'always', fixture('ready.js')], t);
  await startJson(box, ['--name', 'default', '--restart', 'on-failure', fixture('ready.js')], t);
  const flaky = (await box.run(['export', 'systemd', 'flaky', '--user'])).stdout;
  t.deepEqual(line(flaky, 'Restart'), ['on-failure']);
  t.deepEqual(line(flaky, 'RestartSec'), ['100ms']);
  // 3 restarts = 4 starts; each quick run lasts under min-uptime + RestartSec.
  t.deepEqual(line(flaky, 'StartLimitBurst'), ['4']);
  t.deepEqual(line(flaky, 'StartLimitIntervalSec'), ['8400ms']);
  t.deepEqual(line(flaky, 'RestartForceExitStatus'), ['SIGHUP SIGINT SIGTERM SIGPIPE']);
  t.regex(flaky, /^#MemoryMax=200M$/m);
  t.deepEqual(line(flaky, 'WantedBy'), ['default.target']);
  t.deepEqual(line(flaky, 'User'), []);

  const forever = (await box.run(['export', 'systemd', 'forever'])).stdout;
  t.deepEqual(line(forever, 'Restart'), ['always']);
  t.deepEqual(line(forever, 'StartLimitIntervalSec'), ['0']);
  t.deepEqual(line(forever, 'RestartForceExitStatus'), []);

  // on-failure without --max-restarts gives up after 10, as bgrun does; min-uptime defaults to 10 s.
  const fallback = (await box.run(['export', 'systemd', 'default'])).stdout;
  t.deepEqual(line(fallback, 'StartLimitBurst'), ['11']);
  t.deepEqual(line(fallback, 'StartLimitIntervalSec'), ['111100ms']);
  await box.run(['stop', 'all']);
});

test('--output writes one unit per program that systemd-analyze verify and systemd itself read back as bgrun runs it', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, 'FROM_FILE=1\n');
  const plain = await startJson(box, ['--name', 'plain', '--env', 'MSG=50% of "$HOME" \\ here', '--env-file', envFile, fixture('ready.js'), ...AWKWARD], t);
  const supervised = await startJson(box, ['--name', 'sup', '--restart', 'always', '--', 'sh', '-c', 'echo "$1 %s"; sleep 300', 'sh', 'a b'], t);
  const dir = unitDir(t);
  const r = await box.run(['export', 'systemd', 'all', '--user', '--output', dir]);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout.split('\n')[0], `wrote ${path.join(dir, 'bgrun-plain.service')}`);
  t.regex(r.stdout, /systemctl --user daemon-reload && systemctl --user enable --now bgrun-plain\.service bgrun-sup\.service/);
  const files = fs.readdirSync(dir).sort();
  t.deepEqual(files, ['bgrun-plain.service', 'bgrun-sup.service']);
  // Environment= may hold secrets: the files are the user's only, like the records.
  t.is(fs.statSync(path.join(dir, files[0]!)).mode & 0o777, 0o600);

  const verified = systemdAnalyzeVerify(files.map((f) => path.join(dir, f)), { user: true });
  if (verified === null) t.log('systemd-analyze is not installed: units checked by content only');
  else t.deepEqual(verified, { status: 0, output: '' });

  openUp(dir);
  const dumped = systemdTestDump(dir, 'bgrun-plain.service');
  if (dumped === null) {
    t.log('systemd --test is not available here: ExecStart= checked by content only');
  } else {
    // systemd keeps $$ until exec, where it becomes $.
    const argv = dumped.commandLines[0]!.map((a) => a.replace(/\$\$/g, '$'));
    t.deepEqual(argv, plain.command);
    t.deepEqual(dumped.fields.get('Environment'), ['MSG=50% of "$HOME" \\ here']);
    t.deepEqual(dumped.fields.get('EnvironmentFile'), [envFile]);
    t.deepEqual(dumped.fields.get('StandardOutputFileToAppend'), [plain.outLog]);
    t.deepEqual(dumped.fields.get('KillMode'), ['control-group']);
    t.deepEqual(dumped.fields.get('TimeoutStopSec'), ['10s']);
    const sup = systemdTestDump(dir, 'bgrun-sup.service')!;
    t.deepEqual(sup.commandLines[0]!.map((a) => a.replace(/\$\$/g, '$')), supervised.command);
    t.deepEqual(sup.fields.get('Restart'), ['always']);
    t.deepEqual(sup.fields.get('RestartSec'), ['100ms']);
  }
  await box.run(['stop', 'all']);
});

test('a variable set by --env and in an env file is reported: systemd would let the file win', async (t) => {
  const box = sandbox(t);
  const envFile = path.join(box.dir, 'app.env');
  fs.writeFileSync(envFile, 'PORT=80\n');
  await startJson(box, ['--name', 'web', '--env', 'PORT=3000', '--env-file', envFile, fixture('ready.js')], t);
  const r = await box.run(['export', 'systemd', 'web']);
  t.is(r.exitCode, 0, r.stderr);
  t.is(
    r.stderr.split('\n')[0],
    `bgrun: warning: 'web': PORT is set by --env and in ${envFile}; bgrun lets --env win, systemd lets the EnvironmentFile= win`,
  );
  // The library gives the same unit and the warning as data.
  const [unit] = await exportSystemd('web', { home: box.home });
  t.is(unit!.text.trimEnd(), r.stdout.trimEnd());
  t.deepEqual(unit!.warnings, [r.stderr.split('\n')[0]!.replace('bgrun: warning: ', '')]);
  t.is(unit!.file, null);
  await box.run(['stop', 'all']);
});

test('export: unknown names, formats and missing arguments', async (t) => {
  const box = sandbox(t);
  const missing = await box.run(['export', 'systemd', 'nope']);
  t.is(missing.exitCode, 1);
  t.is(missing.stderr.split('\n')[0], "bgrun: no process named 'nope'; see 'bgrun list'");
  const format = await box.run(['export', 'docker', 'x']);
  t.is(format.exitCode, 2);
  t.is(format.stderr.split('\n')[0], "bgrun: unknown export format 'docker': use systemd, kubernetes");
  const none = await box.run(['export']);
  t.is(none.exitCode, 2);
  t.regex(none.stderr, /^bgrun: missing format: bgrun export systemd/);
  const noTarget = await box.run(['export', 'systemd']);
  t.is(noTarget.exitCode, 2);
  t.regex(noTarget.stderr, /^bgrun: missing target/);
});
