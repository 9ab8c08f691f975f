import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { rotatedFiles } from '../../src/core/logs/rotate.js';
import { fixture, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, startJson } from '../helpers/proc.js';
import { fillDisk } from '../helpers/tmpfs.js';

test.after.always(sweepAll);

test('--out-log, --err-log and --log put the logs where asked; logs, flush and rotation work on them', async (t) => {
  const box = sandbox(t);
  const out = path.join(box.dir, 'app', 'out.log');
  fs.mkdirSync(path.dirname(out));
  const info = await startJson(t, box, ['--name', 'own', '--out-log', out, '--err-log', 'err.log', '--', 'sh', '-c', 'echo to-out; echo to-err >&2; sleep 60'], {
    cwd: box.dir,
  });
  t.is(info.outLog, out);
  t.is(info.errLog, path.join(box.dir, 'err.log'), 'relative to the current folder');
  await waitFor(() => readText(out).includes('to-out') && readText(info.errLog).includes('to-err'), { timeout: LONG, what: 'both logs' });
  t.is(fs.statSync(out).mode & 0o777, 0o600);
  const shown = await box.run(['logs', 'own']);
  t.is(shown.stdout, `==> ${out} <==\nto-out\n==> ${info.errLog} <==\nto-err`);
  const flushed = await box.run(['flush', 'own']);
  t.is(flushed.exitCode, 0, flushed.stderr);
  t.is(readText(out), '');

  const both = path.join(box.dir, 'both.log');
  const merged = await startJson(t, box, ['--name', 'both', '--log', both, '--max-log-size', '1k', '--max-log-files', '2', fixture('numbered.js')], {
    env: { STAMP: '0', BATCH: '3', INTERVAL: '20' },
  });
  t.is(merged.outLog, both);
  t.is(merged.errLog, both);
  // With no bgrun command running: the supervisor's keeper rotates the user's file.
  await waitFor(() => rotatedFiles(both).length === 2, { timeout: LONG, what: 'two rotated copies of both.log' });
  const one = await box.run(['logs', 'both', '-n', '2']);
  t.false(one.stdout.includes('==>'), 'one file for both streams: no headers');
  t.is(one.stdout.split('\n').length, 2);
  const rm = await box.run(['rm', 'both']);
  t.is(rm.exitCode, 0, rm.stderr);
  t.true(fs.existsSync(both), 'rm leaves the logs where they are');
});

test('a log path another program logs to is refused unless both ask to share it; a missing folder starts nothing', async (t) => {
  const box = sandbox(t);
  const file = path.join(box.dir, 'shared.log');
  await startJson(t, box, ['--name', 'first', '--log', file, '--', 'sleep', '60']);
  const second = await box.run(['start', '--name', 'second', '--out-log', file, '--', 'sleep', '60']);
  t.is(second.exitCode, 1);
  t.is(second.stderr, `bgrun: ${file} is already the log of 'first'; choose another path, or start both with --shared-log to share it`);
  t.false(fs.existsSync(path.join(box.home, 'records', 'second.json')));

  await startJson(t, box, ['--name', 'a', '--shared-log', '--log', path.join(box.dir, 'ab.log'), '--', 'sh', '-c', 'echo from-a; sleep 60']);
  const b = await startJson(t, box, ['--name', 'b', '--shared-log', '--log', path.join(box.dir, 'ab.log'), '--', 'sh', '-c', 'echo from-b; sleep 60']);
  await waitFor(() => /from-a/.test(readText(b.outLog)) && /from-b/.test(readText(b.outLog)), { timeout: LONG, what: 'both programs in one file' });
  t.regex((await box.run(['show', 'b'])).stdout, /shared log +yes/);

  const missing = path.join(box.dir, 'nope', 'x.log');
  const bad = await box.run(['start', '--name', 'bad', '--out-log', missing, '--', 'sleep', '60']);
  t.is(bad.exitCode, 1);
  t.is(bad.stderr, `bgrun: cannot write the log file ${missing}: no such file or directory; its folder ${path.dirname(missing)} does not exist; create it or choose another path`);
  t.false(fs.existsSync(path.join(box.home, 'records', 'bad.json')), 'nothing recorded');
  const both = await box.run(['start', '--log', 'a.log', '--out-log', 'b.log', '--', 'true']);
  t.is(both.exitCode, 2);
  t.is(both.stderr, 'bgrun: --log puts both streams in one file; give it alone, or --out-log and --err-log');
});

test('--compress-logs: rotated copies are gzipped, and logs and --since read them', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'gz', '--compress-logs', '--log-time', '--max-log-size', '4k', '--max-log-files', '3', fixture('numbered.js')], {
    env: { BATCH: '5', INTERVAL: '20' },
  });
  await waitFor(() => rotatedFiles(info.outLog).filter((f) => f.endsWith('.gz')).length >= 2, { timeout: LONG, what: 'two compressed copies' });
  await box.run(['stop', 'gz']);
  // A rotation the keeper began before the stop may still be compressing: wait until the files settle.
  const state = () => JSON.stringify(fs.readdirSync(path.dirname(info.outLog)).map((f) => [f, fs.statSync(path.join(path.dirname(info.outLog), f)).size]));
  let before = state();
  await waitFor(
    async () => {
      await new Promise((r) => setTimeout(r, 500));
      const now = state();
      const settled = now === before && !now.includes('rotating');
      before = now;
      return settled;
    },
    { timeout: LONG, what: 'the log files to settle' },
  );
  const copies = rotatedFiles(info.outLog);
  t.true(copies.every((f) => /\.log\.\d\.gz$/.test(f)), copies.join(' '));
  const kept = [...copies.reverse().map((f) => gunzipSync(fs.readFileSync(f)).toString()), readText(info.outLog)].join('');
  const many = await box.run(['logs', 'gz', '--out', '-n', '100000']);
  t.is(`${many.stdout}\n`, kept, 'the compressed copies, oldest first, then the log');
  const since = await box.run(['logs', 'gz', '--out', '--since', '1h']);
  t.is(`${since.stdout}\n`, kept);
  t.regex((await box.run(['show', 'gz'])).stdout, /log rotation +past 4\.0 KB, 3 copies kept \(gzipped\)/);
});

const root = process.getuid?.() === 0;

test('a full disk: the program’s writes fail as under a shell redirect, bgrun’s records stay intact', async (t) => {
  if (!root) {
    t.pass('needs root to mount a small tmpfs');
    return;
  }
  const box = sandbox(t);
  const mount = path.join(box.dir, 'small');
  fs.mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', mount]);
    } catch {
      // already gone
    }
  });
  const log = path.join(mount, 'full.log');
  const info = await startJson(t, box, [
    '--name', 'filler', '--log', log, '--log-time', '--max-log-size', '1m', '--max-log-files', '3',
    '--', 'sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i padding padding padding padding padding" || echo "write failed" >>/dev/null; done',
  ]);
  // The disk fills: the program alone may not fill it (the keeper drops old copies to make room,
  // and can win the race), so whatever it leaves free is taken too. The program keeps running;
  // bgrun does not crash.
  await waitFor(() => fs.existsSync(log) && fs.statSync(log).size > 0, { timeout: LONG, what: 'the first lines' });
  await waitFor(
    () => {
      fillDisk(mount);
      const st = execFileSync('df', ['-k', mount]).toString().trim().split('\n').pop()!.split(/\s+/);
      return Number(st[3]) < 64;
    },
    { timeout: LONG, what: 'the tmpfs to fill' },
  );
  await new Promise((r) => setTimeout(r, 1000));
  const listed = await box.run(['list', '--json']);
  t.is(listed.exitCode, 0, listed.stderr);
  const record = JSON.parse(listed.stdout).find((p: { name: string }) => p.name === 'filler');
  t.is(record.status, 'running');
  t.is(box.record('filler').outLog, log, 'the record reads whole');
  const shown = await box.run(['logs', 'filler', '-n', '1']);
  t.is(shown.exitCode, 0, shown.stderr);
  t.is((await box.run(['stop', 'filler'])).exitCode, 0);
  t.is(box.record('filler').status, 'stopped');
  t.truthy(info.pid);
});
