import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { BIN, type Sandbox, fixture, sandbox } from '../helpers/bgrun.js';

/** A bgrun command under a real pseudo-terminal (util-linux script): everything it wrote, raw. */
function inPty(box: Sandbox, args: string[], cwd: string): Promise<{ code: number | null; text: string }> {
  const command = `stty cols 80 rows 24; exec '${process.execPath}' '${BIN}' ${args.map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, ...box.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString('utf8');
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, text })));
}

function writeConfig(box: Sandbox): void {
  const apps = ['one', 'two', 'three'].map((name, i) => ({
    name,
    script: fixture('ready.js'),
    ...(i === 0 ? { ready: 'delay:1500ms' } : { dependsOn: ['one'] }),
  }));
  fs.writeFileSync(path.join(box.dir, 'bgrun.config.json'), JSON.stringify({ apps }));
}

test('a config start, stop all and resurrect show done/total and what they wait for on a terminal, and clear the line', async (t) => {
  const box = sandbox(t);
  writeConfig(box);
  const started = await inPty(box, ['start'], box.dir);
  t.is(started.code, 0, started.text);
  t.regex(started.text, /\r\x1b\[Kstarting 0\/3: one \(waiting for delay:1500ms\)/);
  t.regex(started.text, /started one \(pid \d+\), ready \(delay:1500ms\)/);
  t.regex(started.text, /\r\x1b\[K[^\r]*$/, 'the progress line is cleared at the end');
  t.is((await box.run(['save'], { cwd: box.dir })).exitCode, 0);
  const stopped = await inPty(box, ['stop', 'all'], box.dir);
  t.is(stopped.code, 0, stopped.text);
  t.regex(stopped.text, /stopping [0-3]\/3/);
  t.regex(stopped.text, /stopped two \(pid \d+\)/);
  const resurrected = await inPty(box, ['resurrect'], box.dir);
  t.is(resurrected.code, 0, resurrected.text);
  t.regex(resurrected.text, /resurrecting 0\/3: one \(waiting for delay:1500ms\)/);
  t.regex(resurrected.text, /started three \(pid \d+\)/);
});

test('piped, the same commands write no progress at all', async (t) => {
  const box = sandbox(t);
  writeConfig(box);
  const started = await box.run(['start'], { cwd: box.dir });
  t.is(started.exitCode, 0);
  t.is(started.stderr, '');
  t.false(started.stdout.includes('\x1b'));
  const stopped = await box.run(['stop', 'all'], { cwd: box.dir });
  t.is(stopped.stderr, '');
  t.false(stopped.stdout.includes('\x1b'));
});

test('apply shows done/total and what a start waits for on a terminal; piped or --json, nothing', async (t) => {
  const box = sandbox(t);
  writeConfig(box);
  const applied = await inPty(box, ['apply'], box.dir);
  t.is(applied.code, 0, applied.text);
  t.regex(applied.text, /\r\x1b\[Kapplying 0\/3: one \(waiting for delay:1500ms\)/);
  t.regex(applied.text, /\r\x1b\[Kapplying 1\/3: two \(starting\)/);
  t.regex(applied.text, /started one \(new\): one \d+/);
  t.regex(applied.text, /\r\x1b\[K[^\r]*$/, 'the progress line is cleared at the end');
  // A second apply changes nothing: piped, plain lines only.
  const piped = await box.run(['apply'], { cwd: box.dir });
  t.is(piped.exitCode, 0, piped.stderr);
  t.is(piped.stderr, '');
  t.false(piped.stdout.includes('\x1b'));
  t.regex(piped.stdout, /^one unchanged/m);
  const json = await box.run(['apply', '--json'], { cwd: box.dir });
  t.is(json.stderr, '');
  t.is(JSON.parse(json.stdout).length, 3);
  t.is((await box.run(['stop', 'all'])).exitCode, 0);
});
