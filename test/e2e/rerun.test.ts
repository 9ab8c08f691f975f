import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fixture, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const names = (box: { home: string }) => fs.readdirSync(path.join(box.home, 'records')).filter((f) => f.endsWith('.json')).sort();

test('fix and run again: the same program (command and folder) that is not running reuses its record and name', async (t) => {
  const box = sandbox(t);
  const script = path.join(box.dir, 'broken.js');
  fs.writeFileSync(script, "process.stderr.write('Error: boom\\n'); process.exit(1);\n");
  // --wait: a loaded machine can take longer than the default 500 ms to run the failing program.
  const failed = await box.run(['start', '--wait', '5s', 'broken.js'], { cwd: box.dir });
  t.is(failed.exitCode, 1);
  fs.writeFileSync(script, "console.log('fixed'); setInterval(() => {}, 1000);\n");
  const fixed = await box.run(['start', 'broken.js'], { cwd: box.dir });
  t.is(fixed.exitCode, 0, fixed.stderr);
  t.regex(fixed.stdout, /^started broken \(pid \d+\)/);
  t.deepEqual(names(box), ['broken.json']);
  t.is(box.record('broken').restarts, 1);
  t.is(box.record('broken').status, 'running');

  // Stopped, then started again: still one record, the restart counted, no 'broken-2'.
  t.is((await box.run(['stop', 'broken'])).exitCode, 0);
  const again = await box.run(['start', 'broken.js'], { cwd: box.dir });
  t.is(again.exitCode, 0, again.stderr);
  t.deepEqual(names(box), ['broken.json']);
  t.is(box.record('broken').restarts, 2);
  t.regex(fs.readFileSync(box.record('broken').outLog as string, 'utf8'), /^fixed\nfixed\n$/);
});

test('a different program that wants a taken name gets a new one, and start says so', async (t) => {
  const box = sandbox(t);
  for (const sub of ['one', 'two']) {
    fs.mkdirSync(path.join(box.dir, sub));
    fs.copyFileSync(fixture('ticker.js'), path.join(box.dir, sub, 'server.js'));
  }
  t.is((await box.run(['start', 'server.js'], { cwd: path.join(box.dir, 'one') })).exitCode, 0);
  t.is((await box.run(['stop', 'server'])).exitCode, 0);
  const other = await box.run(['start', 'server.js'], { cwd: path.join(box.dir, 'two') });
  t.is(other.exitCode, 0, other.stderr);
  t.regex(other.stdout, /^started server-2 \(pid \d+\)/);
  t.is(
    other.stderr.trim(),
    `bgrun: note: 'server' is another program (${path.join(box.dir, 'one', 'server.js')} in ${path.join(box.dir, 'one')}), so this one is 'server-2'; --name chooses a name`,
  );
  // The first one again: its own record, not a third name.
  const first = await box.run(['start', 'server.js'], { cwd: path.join(box.dir, 'one') });
  t.regex(first.stdout, /^started server \(pid \d+\)/);
  t.deepEqual(names(box), ['server-2.json', 'server.json']);
});
