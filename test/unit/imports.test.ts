import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ROOT } from '../helpers/bgrun.js';

/** Entry points: the only modules that act when loaded (the CLI bundle's, the supervisor's, a cluster primary's). */
const ENTRIES = new Set(['bin.ts', 'supervisor/main.ts', 'cluster/primary.ts']);

function modules(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return modules(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

test('importing every module of the package runs nothing: no output, no state folder, no child process', (t) => {
  const src = path.join(ROOT, 'src');
  const files = modules(src).filter((f) => !ENTRIES.has(path.relative(src, f).split(path.sep).join('/')));
  t.true(files.length > 50);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-imports-'));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const state = path.join(home, 'state');
  // argv as if a command were given: a module that ran the CLI on load would act on it.
  const script = `
    const files = ${JSON.stringify(files.map((f) => `file://${f}`))};
    for (const f of files) await import(f);
    const { spawnSync } = await import('node:child_process');
    // Anything left running (a timer, a server, a child) keeps the event loop alive: report what there is
    // (our own stdout and stderr pipes aside).
    const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
    process.stdout.write(JSON.stringify({ handles }));
  `;
  const out = execFileSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script, 'list', '--json'], {
    cwd: ROOT,
    env: { ...process.env, BGRUN_HOME: state },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.deepEqual(JSON.parse(out), { handles: [] });
  t.false(fs.existsSync(state), 'a module created the state folder on load');
});
