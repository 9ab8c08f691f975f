import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, sandbox } from '../helpers/bgrun.js';

test('show prints every setting that shapes supervision, as text and JSON', async (t) => {
  const box = sandbox(t);
  const src = path.join(box.dir, 'src');
  fs.mkdirSync(src);
  const started = await box.run([
    'start', '--name', 'w', '--restart', 'on-failure', '--max-restarts', '5', '--min-uptime', '2s', '--max-memory', '300M',
    `--watch=${src}`, '--watch-ignore', '*.log', '--watch-delay', '300ms', '--cron-restart', '0 3 * * *',
    '--stop-exit-codes', '0,3', '--kill-timeout', '3s', '--stop-signal', 'INT', '--restart-delay', '1s',
    '--health', 'cmd:true', '--health-interval', '30s', '--on-exit', 'true', fixture('ready.js'),
  ], { cwd: box.dir });
  t.is(started.exitCode, 0, started.stderr);
  t.teardown(() => box.run(['stop', 'all']));
  const shown = await box.run(['show', 'w']);
  t.is(shown.exitCode, 0, shown.stderr);
  const rows = new Map(shown.stdout.split('\n').map((line) => {
    const m = /^(.+?) {2,}(.*)$/.exec(line);
    return [m?.[1] ?? line, m?.[2] ?? ''] as const;
  }));
  t.is(rows.get('restart policy'), 'on-failure');
  t.is(rows.get('max restarts'), '5 quick crashes in a row');
  t.is(rows.get('min uptime'), '2s');
  t.is(rows.get('max memory'), '300 MB (then a graceful restart)');
  t.is(rows.get('watch'), `${src}, ignoring *.log (settles 300ms)`);
  t.regex(rows.get('cron restart') ?? '', /^0 3 \* \* \* \(next \d{4}-/);
  t.is(rows.get('stop exit codes'), '0, 3');
  t.is(rows.get('stop'), 'SIGINT, then SIGKILL after 3s');
  t.is(rows.get('restart delay'), '1s before each restart');
  t.regex(rows.get('health') ?? '', /^cmd:true every 30s, timeout 5s, restart after 3 failures/);
  t.is(rows.get('on exit'), 'true');
  const json = JSON.parse((await box.run(['show', 'w', '--json'])).stdout);
  t.is(json.maxRestarts, 5);
  t.is(json.minUptimeMs, 2000);
  t.is(json.maxMemoryBytes, 300 * 1024 * 1024);
  t.is(json.healthIntervalMs, 30_000);
  t.is(json.stopSignal, 'SIGINT');
  t.deepEqual(json.stopExitCodes, [0, 3]);
  t.is(json.onExit, 'true');
});

test('bgrun supervisor lists its programs in aligned columns', async (t) => {
  const box = sandbox(t);
  for (const name of ['a', 'a-much-longer-name']) {
    const r = await box.run(['start', '--name', name, '--restart', 'always', fixture('ready.js')], { cwd: box.dir });
    t.is(r.exitCode, 0, r.stderr);
  }
  t.teardown(() => box.run(['stop', 'all']));
  const text = (await box.run(['supervisor'])).stdout;
  const lines = text.split('\n').filter((l) => l.startsWith('  '));
  t.is(lines.length, 3, text);
  t.regex(lines[0]!, /^ {2}NAME +STATUS +PID +RESTART +RESTARTS$/);
  // Every column starts where its header does.
  for (const header of ['STATUS', 'PID', 'RESTART ', 'RESTARTS']) {
    const at = lines[0]!.indexOf(header);
    for (const line of lines.slice(1)) {
      t.is(line[at - 1], ' ', `${header} in ${JSON.stringify(line)}`);
      t.not(line[at], ' ', `${header} in ${JSON.stringify(line)}`);
    }
  }
  t.regex(lines[2]!, /^ {2}a-much-longer-name {2}running +\d+ +always +0$/);
});
