import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { ROOT, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';

test.after.always(sweepAll);

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

/** npm's environment without what an enclosing `npm test` passes down (its prefix, its flags). */
function npmEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

test('a registry install runs no script of bgrun: the package is built when packed', (t) => {
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) t.is(manifest.scripts[script], undefined, script);
  t.regex(manifest.scripts.prepack ?? '', /npm run build/);
});

test('the packed tarball holds what runs and nothing of this machine, and its bgrun works from a clean global prefix', async (t) => {
  const box = sandbox(t);
  // dist/ is built before the tests run; packing without scripts packs that build.
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', box.dir], { cwd: ROOT, env: npmEnv({}), reject: false });
  t.is(packed.exitCode, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  for (const needed of ['package.json', 'README.md', 'LICENSE', 'bin/bgrun.js', 'bin/bgrun-init', 'bin/load-cli.js', 'bin/package.json', 'dist/bundle/cli.cjs', 'dist/bundle/cli-rare.cjs', 'dist/bundle/import.cjs', 'dist/index.js', 'dist/index.d.ts', 'dist/supervisor/main.js']) {
    t.true(files.includes(needed), needed);
  }
  const unwanted = files.filter((f) => /^(src|test|bench|scripts|docs|examples|node_modules)\//.test(f) || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
  t.deepEqual(unwanted, []);
  const tarball = path.join(box.dir, info!.filename);

  // Nothing in it names this checkout's folder.
  const unpacked = path.join(box.dir, 'unpacked');
  fs.mkdirSync(unpacked);
  await execa('tar', ['xzf', tarball, '-C', unpacked]);
  const naming = files.filter((f) => fs.readFileSync(path.join(unpacked, 'package', f), 'latin1').includes(ROOT));
  t.deepEqual(naming, [], `files that name ${ROOT}`);

  // As a user installs it: the runtime dependencies come from npm's cache (there after npm ci).
  const prefix = path.join(box.dir, 'prefix');
  const installed = await execa('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: box.dir,
    env: npmEnv({}),
    reject: false,
    timeout: 180_000,
  });
  t.is(installed.exitCode, 0, installed.stderr);
  t.notRegex(installed.stderr, /install-scripts[^\n]*\n[^\n]*bgrun@/, 'npm warned about a script of bgrun');

  const bgrun = path.join(prefix, 'bin', 'bgrun');
  const run = (args: string[]) => execa(bgrun, args, { cwd: box.dir, env: npmEnv({ ...box.env, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` }), reject: false, timeout: 90_000 });
  const version = await run(['--version']);
  t.is(version.stdout.trim(), manifest.version, version.stderr);

  const started = await run(['start', '--restart', 'always', '--name', 'packed', '--', 'sleep', '300']);
  t.is(started.exitCode, 0, started.stderr);
  t.regex(started.stdout, /^started packed \(pid \d+\)/);
  // Its supervisor is the installed copy's, not this checkout's.
  const supervisor = await waitFor(() => {
    try {
      return JSON.parse(fs.readFileSync(path.join(box.home, 'supervisor.json'), 'utf8')) as { pid: number };
    } catch {
      return null;
    }
  });
  const cmdline = fs.readFileSync(`/proc/${supervisor.pid}/cmdline`, 'utf8').split('\0');
  t.true(cmdline.some((arg) => arg.startsWith(path.join(prefix, 'lib', 'node_modules', 'bgrun'))), cmdline.join(' '));

  const stopped = await run(['stop', 'packed']);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.regex(stopped.stdout, /^stopped packed \(pid \d+\)$/m);
});
