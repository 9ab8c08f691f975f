import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { rotatedFiles } from '../../src/core/logs/rotate.js';
import { fixture, isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, startJson } from '../helpers/proc.js';

test.after.always(sweepAll);

const KB = 1024;
const MB = 1024 * KB;

function total(log: string): number {
  let sum = 0;
  for (const file of [log, ...rotatedFiles(log)]) {
    try {
      sum += fs.statSync(file).size;
    } catch {
      // rotated away between the listing and the stat
    }
  }
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bound of docs/logs.md: (N + 1) x S, plus the slack: what the writer adds while the keeper
 * reacts and copies (measured well under 100 ms here), and a marker line per copy.
 */
function bound(size: number, files: number, rate: number): number {
  return (files + 1) * size + rate / 10 + files * 4 * KB;
}

for (const mode of ['supervised', 'plain'] as const) {
  test(`${mode}: a 50 MB/s writer stays within --max-log-size x (files + 1) plus the slack, checked once a second`, async (t) => {
    const box = sandbox(t);
    const size = 256 * KB;
    const files = 2;
    const rate = 50 * MB;
    const restart = mode === 'supervised' ? ['--restart', 'always'] : [];
    const info = await startJson(t, box, ['--name', 'fast', ...restart, '--max-log-size', '256k', '--max-log-files', String(files), fixture('paced-writer.js')], {
      env: { RATE: String(rate) },
    });
    const log = info.outLog;
    await waitFor(() => rotatedFiles(log).length === files, { timeout: LONG, what: 'the copies' });
    // On a loaded machine the keeper may not be scheduled for a while, and the writer adds
    // rate x that delay: the slack grows by what this process measures of the same starvation
    // (how late a 10 ms timer fires, the worst since the previous sample). A keeper that does
    // not keep up adds 50 MB a second, far beyond it.
    let worstLag = 0;
    let expected = Date.now() + 10;
    const probe = setInterval(() => {
      worstLag = Math.max(worstLag, Date.now() - expected);
      expected = Date.now() + 10;
    }, 10);
    t.teardown(() => clearInterval(probe));
    const seen: { bytes: number; allowed: number }[] = [];
    for (let i = 0; i < 8; i++) {
      worstLag = 0;
      await sleep(1000);
      const bytes = total(log);
      seen.push({ bytes, allowed: bound(size, files, rate) + (rate * Math.max(0, worstLag)) / 1000 });
    }
    clearInterval(probe);
    t.log(`total bytes on disk, once a second: ${seen.map((s) => `${Math.round(s.bytes / KB)}K/${Math.round(s.allowed / KB)}K`).join(' ')} (measured/allowed; bound without lag ${Math.round(bound(size, files, rate) / KB)}K)`);
    for (const s of seen) t.true(s.bytes <= s.allowed, `${s.bytes} bytes on disk, ${s.allowed} allowed`);
    // Each copy is about the limit, and says where output was dropped.
    for (const copy of rotatedFiles(log)) {
      const text = readText(copy);
      t.true(text.length <= 2 * size + 4 * KB, `${copy}: ${text.length} bytes`);
      const lines = text.split('\n').filter(Boolean);
      t.true(lines.every((l) => /^line \d+ x+$/.test(l) || /^bgrun: dropped \d+ bytes of output here at /.test(l)), 'whole lines and markers only');
    }
    // Whether output was dropped depends on how far the writer got ahead on this machine (the unit test checks the marker).
    const markers = rotatedFiles(log).filter((copy) => /^bgrun: dropped \d+ bytes/m.test(readText(copy))).length;
    t.log(`${markers} of ${rotatedFiles(log).length} copies with a marker; writer at line ${/line (\d+) /.exec(readText(log))?.[1] ?? '?'}`);
  });
}

test('at an ordinary rate (100 KB/s) rotation keeps every line, and no marker is written', async (t) => {
  const box = sandbox(t);
  const info = await startJson(t, box, ['--name', 'calm', '--max-log-size', '64k', '--max-log-files', '20', fixture('paced-writer.js')], {
    env: { RATE: String(100 * KB) },
  });
  const log = info.outLog;
  await waitFor(() => rotatedFiles(log).length >= 5, { timeout: LONG, what: 'five rotations' });
  // With no bgrun command running: the supervisor's keeper rotated the plain program's log.
  const text = [...rotatedFiles(log).reverse(), log].map(readText).join('');
  t.notRegex(text, /bgrun: dropped/);
  const numbers = [...text.matchAll(/^line (\d+) /gm)].map((m) => Number(m[1]));
  let missing = 0;
  for (let i = 1; i < numbers.length; i++) missing += numbers[i]! - numbers[i - 1]! - 1;
  t.log(`${numbers.length} lines over ${rotatedFiles(log).length} copies, ${missing} missing`);
  t.true(missing <= 2, `${missing} lines lost`);
  for (const copy of rotatedFiles(log)) t.true(fs.statSync(copy).size <= 2 * 64 * KB, `${copy} is at most twice the limit`);
});

test('the keeper comes for a plain program with a limit and leaves with it; a plain program without one has no resident process', async (t) => {
  const box = sandbox(t);
  const supervisorFile = path.join(box.home, 'supervisor.json');
  await startJson(t, box, ['--name', 'free', '--', 'sleep', '60']);
  t.false(fs.existsSync(supervisorFile), 'no supervisor for a program without limits or times');
  await startJson(t, box, ['--name', 'kept', '--max-log-size', '1M', '--', 'sleep', '60']);
  const pid = JSON.parse(fs.readFileSync(supervisorFile, 'utf8')).pid as number;
  t.true(isAlive(pid));
  t.is((await box.run(['stop', 'kept'])).exitCode, 0);
  await waitFor(() => !isAlive(pid), { timeout: LONG, what: 'the supervisor leaving once no log needs keeping' });
  t.false(fs.existsSync(supervisorFile));
});
