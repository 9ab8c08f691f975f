import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ROOT, sandbox, sweepAll } from '../helpers/bgrun.js';
import { freePort } from '../helpers/ports.js';

test.after.always(sweepAll);

/** The lines the README's quick start shows after `$ <command>`, up to the next `$ ` line or the block's end. */
function shown(command: string): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('\n## Quick start\n');
  const block = readme.slice(readme.indexOf('```\n', from) + 4, readme.indexOf('\n```', readme.indexOf('```\n', from) + 4));
  const lines = block.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`$ ${command}`));
  if (at < 0) throw new Error(`the quick start has no '$ ${command}'`);
  const out: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.startsWith('$ ') || line === '') break;
    out.push(line);
  }
  return out;
}

/** A shown line as a pattern: the README's folders are this test's, its pids any pid. */
function pattern(line: string, home: string, dir: string): RegExp {
  const escaped = line
    .replaceAll('/home/me/.local/state/bgrun', home)
    .replaceAll('/srv/app', dir)
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\\\(pid \d+\\\)/g, '\\(pid \\d+\\)');
  return new RegExp(`^${escaped}$`);
}

test("the quick start's crash report and 'stop all' print what the README shows", async (t) => {
  const box = sandbox(t);
  const app = path.join(box.dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'server.js'), "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[3]));\n");
  fs.writeFileSync(path.join(app, 'broken.js'), "const express = require('expresss');\n");
  const run = (args: string[]) => box.run(args, { cwd: app });

  t.is((await run(['start', 'server.js', '--port', String(await freePort())])).exitCode, 0);
  // The README's program is python3's http.server; any program named so sorts the same.
  t.is((await run(['start', '--name', 'python3', '--', 'sleep', '300'])).exitCode, 0);

  // A longer grace period than the default only so that a loaded machine still sees the crash in it.
  const broken = await run(['start', '--wait', '10s', 'broken.js']);
  t.is(broken.exitCode, 1);
  const report = shown('bgrun start broken.js');
  const got = broken.stderr.trimEnd().split('\n');
  t.is(got.length, report.length, broken.stderr);
  for (const [i, line] of report.entries()) t.regex(got[i] ?? '', pattern(line, box.home, app));

  const stop = await run(['stop', 'all']);
  t.is(stop.exitCode, 0);
  const lines = stop.stdout.trimEnd().split('\n');
  const expected = shown('bgrun stop all');
  t.is(lines.length, expected.length, stop.stdout);
  for (const [i, line] of expected.entries()) t.regex(lines[i] ?? '', pattern(line, box.home, app));
});
