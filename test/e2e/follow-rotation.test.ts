import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { rotatedFiles } from '../../src/core/logs/rotate.js';
import { readLogFile } from '../../src/core/logs/read.js';
import { BIN, fixture, isAlive, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG } from '../helpers/proc.js';

test.after.always(sweepAll);

/** The line numbers in the files as they are now, oldest copy first. */
function writtenSoFar(log: string): number[] {
  const text = [...rotatedFiles(log).reverse(), log].map((f) => readLogFile(f).toString('utf8')).join('');
  return [...text.matchAll(/^line (\d+) /gm)].map((m) => Number(m[1]));
}

for (const compress of [false, true]) {
  test(`logs -f, paused while the keeper rotates${compress ? ' into .gz copies' : ''}, prints every line the writer wrote in pieces exactly once`, async (t) => {
    const box = sandbox(t);
    // 16k at about 60 KB/s: a rotation every quarter second or so, each carrying an unfinished line over.
    const args = ['start', '--name', 'w', '--max-log-size', '16k', '--max-log-files', '8', ...(compress ? ['--compress-logs'] : []), fixture('split-lines.js')];
    const started = await box.run(args);
    t.is(started.exitCode, 0, started.stderr);
    const log = path.join(box.home, 'logs', 'w.out.log');
    await waitFor(() => rotatedFiles(log).length >= 1, { what: 'a first rotation', timeout: LONG });
    const follower = execa(process.execPath, [BIN, 'logs', 'w', '--follow', '--out', '--lines', '0'], { env: box.env, reject: false, stdin: 'ignore', buffer: false });
    let text = '';
    follower.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    t.teardown(() => {
      if (follower.pid !== undefined && isAlive(follower.pid)) process.kill(follower.pid, 'SIGKILL');
    });
    await waitFor(() => /^line \d+ x+\n/m.test(text), { what: 'the follower printing', timeout: LONG });
    // Paused (a slow terminal, Ctrl-Z) while about three rotations happen: fewer than the copies kept.
    for (let pause = 0; pause < 2; pause++) {
      process.kill(follower.pid!, 'SIGSTOP');
      const from = writtenSoFar(log).at(-1)!;
      await waitFor(() => writtenSoFar(log).at(-1)! > from + 700, { what: 'three rotations while the follower is paused', timeout: LONG, interval: 50 });
      process.kill(follower.pid!, 'SIGCONT');
      const at = writtenSoFar(log).at(-1)!;
      await waitFor(() => text.includes(`line ${at} `), { what: `the follower catching up to line ${at}`, timeout: LONG }).catch((error) => {
        t.log(`printed up to: ${text.slice(-300)}`);
        throw error;
      });
    }
    t.is((await box.run(['stop', 'w'])).exitCode, 0);
    // The keeper may still rotate the stopped program's log once; then nothing changes.
    await waitFor(() => fs.statSync(log).size <= 16 * 1024 && !fs.existsSync(`${log}.rotating`) && !fs.existsSync(path.join(box.home, 'logs.lock')), {
      what: 'the keeper done',
      timeout: LONG,
      interval: 100,
    });
    const last = writtenSoFar(log).at(-1)!;
    await waitFor(() => text.includes(`line ${last} `), { what: `the follower reaching line ${last}`, timeout: LONG });
    process.kill(follower.pid!, 'SIGTERM');
    await follower;

    // Every line number once, in the order written, none missing except where a marker says the keeper
    // dropped output; and no piece twice: the bytes printed are the lines' bytes. (A line can be torn:
    // a write the program made between the truncate and the carried piece comes before that piece,
    // docs/logs.md. Its bytes are all there, once.)
    const body = text.slice(text.indexOf('line ')); // the follow started in the middle of a line
    const markers = [...body.matchAll(/^bgrun: dropped \d+ bytes of output here at .*\n/gm)];
    const data = body.replace(/^bgrun: dropped \d+ bytes of output here at .*\n/gm, '');
    const numbers = [...data.matchAll(/line (\d+) /g)].map((m) => Number(m[1]));
    t.is(new Set(numbers).size, numbers.length, 'no line printed twice');
    const sorted = [...numbers].sort((a, b) => a - b);
    let lost = 0;
    for (let i = 1; i < sorted.length; i++) lost += sorted[i]! - sorted[i - 1]! - 1;
    const outOfPlace = numbers.filter((n, i) => i > 0 && n < numbers[i - 1]!).length;
    t.log(`followed ${numbers.length} lines, ${markers.length} drop markers, ${lost} lines missing, ${outOfPlace} torn by a write before the carried piece`);
    // Only the rotation window (microseconds, see docs/logs.md) can lose output without a marker.
    if (markers.length === 0) t.true(lost <= 2, `${lost} lines missing without a marker`);
    // Each line is 64 bytes: a piece printed twice would show here (the last line may be half written).
    const expected = numbers.length * 64;
    t.true(data.length <= expected && data.length >= expected - 64 * (lost + 1), `${data.length} bytes printed for ${numbers.length} lines`);
  });
}
