/**
 * Python programs as their users run them: the project's virtual environment
 * (active, beside the script, in a parent folder, none), `-m` modules, console
 * scripts, and the tutorial end to end (`pip install .` into a fresh
 * environment, `bgrun start mydaemon` with no environment activated).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { type Sandbox, isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, firstLine, runOk, startJson, waitForMatch } from '../helpers/proc.js';

test.after.always(sweepAll);

/** The real interpreter behind python3 on PATH (a pyenv shim or a symlink is not a Python a venv can point at). */
function realPython(): string | null {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}
const PYTHON = realPython();
const pyTest = PYTHON ? test : test.skip;
if (!PYTHON) console.warn('python.test.ts: skipped: no python3 on PATH');

/** No environment activated, as in a cron job or a deploy script. */
const NO_ENV = { VIRTUAL_ENV: '' };

/**
 * A virtual environment as `python3 -m venv --without-pip` makes it, by hand
 * (the module takes seconds on a loaded machine): pyvenv.cfg and bin/python
 * linked to the real interpreter. Python finds its environment from that.
 */
function makeEnv(dir: string): string {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pyvenv.cfg'), `home = ${path.dirname(PYTHON!)}\ninclude-system-site-packages = false\n`);
  fs.symlinkSync(PYTHON!, path.join(dir, 'bin', 'python3'));
  fs.symlinkSync('python3', path.join(dir, 'bin', 'python'));
  return dir;
}

/** A script that says which environment it runs in, then stays up. */
const WHERE_AM_I = 'import sys, time\nprint("prefix=" + sys.prefix, "args=" + repr(sys.argv[1:]), flush=True)\ntime.sleep(600)\n';

function write(file: string, text: string, mode = 0o644): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
  return file;
}

/** A project with its .venv and a module pkg/<module>.py that says where it runs. */
function moduleProject(dir: string, module: string): { proj: string; venv: string } {
  const venv = makeEnv(path.join(dir, '.venv'));
  write(path.join(dir, 'pyproject.toml'), '');
  write(path.join(dir, 'pkg', '__init__.py'), '');
  write(path.join(dir, 'pkg', `${module}.py`), WHERE_AM_I);
  return { proj: dir, venv };
}

async function showJson(t: ExecutionContext, box: Sandbox, name: string): Promise<Record<string, unknown>> {
  const r = await runOk(t, box, ['show', name, '--json']);
  return JSON.parse(r.stdout);
}

pyTest('an active environment (VIRTUAL_ENV) runs a .py script even when the script has none of its own', async (t) => {
  const box = sandbox(t);
  const active = makeEnv(path.join(box.dir, 'active-env'));
  const script = write(path.join(box.dir, 'proj', 'app.py'), WHERE_AM_I);
  write(path.join(box.dir, 'proj', 'pyproject.toml'), '');
  const r = await box.run(['start', script, 'one'], { env: { VIRTUAL_ENV: active } });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`python: ${active}/bin/python \\(the active environment, VIRTUAL_ENV=${active}\\)`));
  const record = box.record('app');
  t.deepEqual(record.command, [path.join(active, 'bin', 'python'), script, 'one']);
  t.deepEqual(record.python, { executable: path.join(active, 'bin', 'python'), chosenBy: 'active-env', env: active });
  await waitForMatch(record.outLog as string, new RegExp(`^prefix=${active} args=\\['one'\\]$`, 'm'));
});

pyTest('a .venv beside the script wins over python3 on PATH, from any working folder, and restarts keep it', async (t) => {
  const box = sandbox(t);
  const proj = path.join(box.dir, 'proj');
  const venv = makeEnv(path.join(proj, '.venv'));
  const script = write(path.join(proj, 'worker.py'), WHERE_AM_I);
  const r = await box.run(['start', script], { env: NO_ENV, cwd: box.dir });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^  python: ${venv}/bin/python \\(the project's environment ${venv}\\)$`, 'm'));
  const record = box.record('worker');
  t.is((record.command as string[])[0], path.join(venv, 'bin', 'python'));
  await waitForMatch(record.outLog as string, new RegExp(`^prefix=${venv} `, 'm'));

  // A restart from a shell with another environment active still runs the recorded one.
  const other = makeEnv(path.join(box.dir, 'other-env'));
  const restarted = await box.run(['restart', 'worker'], { env: { VIRTUAL_ENV: other } });
  t.is(restarted.exitCode, 0, restarted.stderr);
  t.is((box.record('worker').command as string[])[0], path.join(venv, 'bin', 'python'));

  const shown = await box.run(['show', 'worker']);
  t.regex(shown.stdout, new RegExp(`^python +${venv}/bin/python \\(the project's environment ${venv}\\)$`, 'm'));
  const unit = await runOk(t, box, ['export', 'systemd', 'worker']);
  t.regex(unit.stdout, new RegExp(`^ExecStart=${venv}/bin/python ${script}$`, 'm'));
});

pyTest('a venv/ in a parent folder up to the project root is found; one above the root is not', async (t) => {
  const box = sandbox(t);
  const root = path.join(box.dir, 'repo');
  const venv = makeEnv(path.join(root, 'venv'));
  write(path.join(root, 'setup.py'), '');
  const deep = write(path.join(root, 'src', 'pkg', 'job.py'), WHERE_AM_I);
  const info = await startJson(t, box, [deep], { env: NO_ENV });
  t.is((info.command as string[])[0], path.join(venv, 'bin', 'python'));
  await waitForMatch(info.outLog, new RegExp(`^prefix=${venv} `, 'm'));

  // outer/.venv belongs to another project: inner/ has its own root (.git) and no environment.
  const outer = path.join(box.dir, 'outer');
  makeEnv(path.join(outer, '.venv'));
  fs.mkdirSync(path.join(outer, 'inner', '.git'), { recursive: true });
  const inner = write(path.join(outer, 'inner', 'tool.py'), WHERE_AM_I);
  const r = await box.run(['start', inner], { env: NO_ENV });
  t.is(r.exitCode, 0, r.stderr);
  t.notRegex(r.stdout, /python:/, 'python3 on PATH is not announced');
  const record = box.record('tool');
  t.is(path.basename((record.command as string[])[0]!), 'python3');
  t.is((record.python as { chosenBy: string }).chosenBy, 'path');
  const shown = await showJson(t, box, 'tool');
  t.is((shown.python as { chosenBy: string }).chosenBy, 'path');
  const text = await box.run(['show', 'tool']);
  t.regex(text.stdout, /^python +\/\S+\/python3 \(python3 on PATH\)$/m);
});

pyTest('no environment anywhere: python3 on PATH; --interpreter wins over every environment', async (t) => {
  const box = sandbox(t);
  const proj = path.join(box.dir, 'plain');
  write(path.join(proj, 'pyproject.toml'), '');
  const script = write(path.join(proj, 'plain.py'), WHERE_AM_I);
  const info = await startJson(t, box, [script], { env: NO_ENV });
  t.is(path.basename((info.command as string[])[0]!), 'python3');

  const withEnv = path.join(box.dir, 'withenv');
  makeEnv(path.join(withEnv, '.venv'));
  const chosen = write(path.join(withEnv, 'chosen.py'), WHERE_AM_I);
  const r = await box.run(['start', '--interpreter', PYTHON!, chosen], { env: { VIRTUAL_ENV: path.join(withEnv, '.venv') } });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`python: ${PYTHON} \\(--interpreter\\)`));
  t.is((box.record('chosen').command as string[])[0], PYTHON!);
});

pyTest('-m runs a module with the project environment, named after its last part, with its arguments', async (t) => {
  const box = sandbox(t);
  const { proj, venv } = moduleProject(path.join(box.dir, 'svc'), 'server');
  const r = await box.run(['start', '-m', 'pkg.server', '--port', '3000', '-v'], { env: NO_ENV, cwd: proj });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started server \(pid \d+\)$/m);
  const record = box.record('server');
  t.deepEqual(record.command, [path.join(venv, 'bin', 'python'), '-m', 'pkg.server', '--port', '3000', '-v']);
  t.is(record.module, 'pkg.server');
  await waitForMatch(record.outLog as string, new RegExp(`^prefix=${venv} args=\\['--port', '3000', '-v'\\]$`, 'm'));

  const named = await box.run(['start', '--name', 'api', '--module', 'pkg.server'], { env: NO_ENV, cwd: proj });
  t.is(named.exitCode, 0, named.stderr);
  t.deepEqual(box.record('api').command, [path.join(venv, 'bin', 'python'), '-m', 'pkg.server']);

  // The same from a config file: module instead of script.
  write(path.join(proj, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'cfg', module: 'pkg.server', args: ['--from-config'] }] }));
  const fromConfig = await box.run(['start', 'cfg'], { env: NO_ENV, cwd: proj });
  t.is(fromConfig.exitCode, 0, fromConfig.stderr);
  t.deepEqual(box.record('cfg').command, [path.join(venv, 'bin', 'python'), '-m', 'pkg.server', '--from-config']);

  const bad = await box.run(['start', '-m', 'pkg/server.py'], { env: NO_ENV, cwd: proj });
  t.is(bad.exitCode, 2);
  t.is(firstLine(bad.stderr), "bgrun: invalid module 'pkg/server.py': give a dotted module name like package.module (a file is started without -m)");
});

pyTest("a console script in the project's environment is found by its bare name with no environment activated", async (t) => {
  const box = sandbox(t);
  const proj = path.join(box.dir, 'tool');
  const venv = makeEnv(path.join(proj, '.venv'));
  write(path.join(proj, 'pyproject.toml'), '');
  const entry = write(path.join(venv, 'bin', 'tooldaemon'), `#!${venv}/bin/python\n${WHERE_AM_I}`, 0o755);
  const r = await box.run(['start', 'tooldaemon', 'x'], { env: NO_ENV, cwd: proj });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`python: ${venv}/bin/python \\(the project's environment ${venv}\\)`));
  const record = box.record('tooldaemon');
  t.deepEqual(record.command, [entry, 'x']);
  await waitForMatch(record.outLog as string, new RegExp(`^prefix=${venv} args=\\['x'\\]$`, 'm'));

  // Elsewhere the name means nothing: no environment, not on PATH.
  const away = await box.run(['start', '--name', 'away', 'tooldaemon'], { env: NO_ENV, cwd: box.dir });
  t.is(away.exitCode, 1, away.stderr);
  t.regex(firstLine(away.stderr), /^bgrun: no such file or command: tooldaemon/);
});

pyTest('a config start says which Python it picked, as a command-line start does; start --json has it as python', async (t) => {
  const box = sandbox(t);
  const { proj, venv } = moduleProject(path.join(box.dir, 'cfgproj'), 'srv');
  write(path.join(proj, 'plain.js'), 'setInterval(() => {}, 1000);\n');
  write(path.join(proj, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'cfgmod', module: 'pkg.srv' }, { name: 'cfgjs', script: 'plain.js' }] }));
  const choice = { executable: path.join(venv, 'bin', 'python'), chosenBy: 'project-env', env: venv };

  const r = await box.run(['start', 'cfgmod'], { env: NO_ENV, cwd: proj });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^started cfgmod \\(pid \\d+\\)\n  python: ${venv}/bin/python \\(the project's environment ${venv}\\)$`, 'm'));
  // Already running: nothing was picked now, so no line.
  const again = await box.run(['start', 'cfgmod'], { env: NO_ENV, cwd: proj });
  t.is(again.exitCode, 0, again.stderr);
  t.notRegex(again.stdout, /python:/);

  const json = await box.run(['start', '--json', 'cfgjs'], { env: NO_ENV, cwd: proj });
  t.is(json.exitCode, 0, json.stderr);
  const started = JSON.parse(json.stdout) as Record<string, unknown>[];
  t.deepEqual(started.map((s) => [s.name, s.python]), [['cfgjs', null]]);
  await box.run(['stop', 'cfgmod'], { cwd: proj });
  const mod = JSON.parse((await box.run(['start', '--json', 'cfgmod'], { env: NO_ENV, cwd: proj })).stdout) as Record<string, unknown>[];
  t.deepEqual(mod.map((s) => [s.name, s.action, s.python]), [['cfgmod', 'started', choice]]);

  // The command line's start --json: the same key.
  const cli = await startJson(t, box, ['--name', 'clisrv', '-m', 'pkg.srv'], { env: NO_ENV, cwd: proj });
  t.deepEqual((cli as Record<string, unknown>).python, choice);
});

pyTest("export kubernetes of a console script and of a script the environment's Python runs: by name and python in the image, Python Dockerfiles", async (t) => {
  const box = sandbox(t);
  const proj = path.join(box.dir, 'kproj');
  const venv = makeEnv(path.join(proj, '.venv'));
  write(path.join(proj, 'pyproject.toml'), '[project]\nname = "kdaemon"\nversion = "0.1.0"\n\n[project.scripts]\nkdaemon = "app:main"\n');
  write(path.join(proj, 'requirements.txt'), '');
  write(path.join(venv, 'bin', 'kdaemon'), `#!${venv}/bin/python\n${WHERE_AM_I}`, 0o755);
  write(path.join(proj, 'app.py'), WHERE_AM_I);
  const daemon = await box.run(['start', 'kdaemon', '--port', '8000'], { env: NO_ENV, cwd: proj });
  t.is(daemon.exitCode, 0, daemon.stderr);
  const script = await box.run(['start', '--name', 'kscript', 'app.py'], { env: NO_ENV, cwd: proj });
  t.is(script.exitCode, 0, script.stderr);

  const out = path.join(proj, 'k8s');
  const r = await box.run(['export', 'kubernetes', 'kdaemon', 'kscript', '--dockerfile', '--output', out], { cwd: proj });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^  ${venv}/bin/kdaemon → kdaemon `, 'm'));
  t.regex(r.stdout, new RegExp(`^  ${venv}/bin/python → python `, 'm'));
  t.regex(r.stdout, new RegExp(`^Build: DOCKER_BUILDKIT=1 docker build -f ${out}/kdaemon.Dockerfile -t kdaemon:latest ${proj}$`, 'm'));
  const manifest = (name: string) => parseAllDocuments(fs.readFileSync(path.join(out, `${name}.yaml`), 'utf8')).map((d) => d.toJS())[0];
  const daemonPod = manifest('kdaemon');
  const daemonContainer = daemonPod.spec.template.spec.containers[0];
  t.deepEqual([daemonContainer.command, daemonContainer.args], [['kdaemon'], ['--port', '8000']]);
  t.regex(daemonPod.metadata.annotations['bgrun.dev/notes'], /the console script .*\/bin\/kdaemon of the virtual environment .* → kdaemon, looked up on the image's PATH/);
  const scriptContainer = manifest('kscript').spec.template.spec.containers[0];
  t.deepEqual([scriptContainer.command, scriptContainer.args], [['python'], ['app.py']]);

  // Both are Python programs: the project is installed (its console scripts on PATH), requirements.txt too.
  for (const name of ['kdaemon', 'kscript']) {
    const dockerfile = fs.readFileSync(path.join(out, `${name}.Dockerfile`), 'utf8');
    t.regex(dockerfile, /^FROM python:3-slim$/m);
    t.regex(dockerfile, /^RUN pip install --no-cache-dir -r requirements\.txt\nCOPY \. \.\n(#.*\n)?RUN pip install --no-cache-dir \.$/m);
    const ignore = fs.readFileSync(path.join(out, `${name}.Dockerfile.dockerignore`), 'utf8').split('\n');
    for (const pattern of ['.venv', '**/node_modules', '.git', '**/__pycache__', 'k8s']) t.true(ignore.includes(pattern), `${name}: ${pattern}`);
  }
  t.false(fs.existsSync(path.join(proj, '.dockerignore')), 'the app folder is left as it was');

  // From a config file, nothing started: the same mapping.
  write(path.join(proj, 'bgrun.config.json'), JSON.stringify({ apps: [{ name: 'cfgdaemon', script: 'kdaemon', restart: 'always' }] }));
  const cfg = await box.run(['export', 'kubernetes', '--config', path.join(proj, 'bgrun.config.json'), '--image', 'x:1'], { env: NO_ENV, cwd: proj });
  t.is(cfg.exitCode, 0, cfg.stderr);
  t.deepEqual(parseAllDocuments(cfg.stdout).map((d) => d.toJS())[0].spec.template.spec.containers[0].command, ['kdaemon']);
});

pyTest('a broken environment (its Python gone) is a one-line error, not a silent fall back to another Python', async (t) => {
  const box = sandbox(t);
  const proj = path.join(box.dir, 'broken');
  const venv = path.join(proj, '.venv');
  fs.mkdirSync(path.join(venv, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(venv, 'pyvenv.cfg'), 'home = /nonexistent\n');
  fs.symlinkSync('/nonexistent/python3', path.join(venv, 'bin', 'python'));
  const script = write(path.join(proj, 'app.py'), WHERE_AM_I);
  const r = await box.run(['start', script], { env: NO_ENV });
  t.not(r.exitCode, 0);
  t.is(
    firstLine(r.stderr),
    `bgrun: the project environment ${venv} has no working bin/python (the Python it was made with may be gone); recreate it, or pass --interpreter`,
  );
  t.false(fs.existsSync(path.join(box.home, 'records', 'app.json')));
});

/**
 * A Python that can build and install a package offline (`pip install
 * --no-index --no-build-isolation .` needs setuptools and, before setuptools
 * 70.1, wheel): python3 on PATH, else the system's, in a fresh environment, else
 * one that sees the system's packages. Null, with the reason, when none can.
 */
async function tutorialToolchain(dir: string): Promise<{ venvArgs: string[]; python: string } | { reason: string }> {
  const pythons = ['python3', '/usr/bin/python3', '/usr/local/bin/python3'];
  const probe = 'import setuptools\ntry:\n    import wheel\nexcept ImportError:\n    from setuptools.command import bdist_wheel\n';
  const tried: string[] = [];
  for (const python of pythons) {
    for (const extra of [[], ['--system-site-packages']]) {
      const venv = path.join(dir, `probe-${tried.length}`);
      // --without-pip: seconds faster; the probe only imports.
      const made = await execa(python, ['-m', 'venv', '--without-pip', ...extra, venv], { reject: false, timeout: 180_000 });
      tried.push(`${python} -m venv ${extra.join(' ')}`.trim());
      if (made.exitCode !== 0) continue;
      const ok = await execa(path.join(venv, 'bin', 'python'), ['-c', probe], { reject: false, timeout: 60_000 });
      fs.rmSync(venv, { recursive: true, force: true });
      if (ok.exitCode === 0) return { venvArgs: extra, python };
    }
  }
  return { reason: `no Python here makes a virtual environment with pip, setuptools and wheel (tried: ${tried.join('; ')})` };
}

pyTest('the tutorial: pip install . into a fresh environment, bgrun start mydaemon with none activated, logs, stop by pid, export systemd', async (t) => {
  const box = sandbox(t);
  const proj = path.join(box.dir, 'mydaemon');
  const toolchain = await tutorialToolchain(box.dir);
  if ('reason' in toolchain) {
    t.log(`skipped: ${toolchain.reason}`);
    console.warn(`python.test.ts: tutorial test skipped: ${toolchain.reason}`);
    t.pass();
    return;
  }
  // The tutorial's script, as written there: print() with no flush.
  write(
    path.join(proj, 'myscript.py'),
    'import time\n\n\ndef main():\n    n = 0\n    while True:\n        n += 1\n        print(f"mydaemon tick {n}")\n        time.sleep(0.5)\n\n\nif __name__ == "__main__":\n    main()\n',
  );
  write(
    path.join(proj, 'pyproject.toml'),
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "mydaemon"\nversion = "0.1.0"\n\n[project.scripts]\nmydaemon = "myscript:main"\n\n[tool.setuptools]\npy-modules = ["myscript"]\n',
  );
  const venv = path.join(proj, '.venv');
  const made = await execa(toolchain.python, ['-m', 'venv', ...toolchain.venvArgs, venv], { reject: false, timeout: 180_000 });
  t.is(made.exitCode, 0, String(made.stderr));
  // No network, no user or site pip configuration: what a fresh machine does.
  const pipEnv = { ...process.env, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', VIRTUAL_ENV: '' };
  const pip = await execa(path.join(venv, 'bin', 'pip'), ['install', '--no-index', '--no-build-isolation', '.'], {
    cwd: proj,
    env: pipEnv,
    extendEnv: false,
    reject: false,
    timeout: 180_000,
  });
  t.is(pip.exitCode, 0, `${pip.stdout}\n${pip.stderr}`);
  const entry = path.join(venv, 'bin', 'mydaemon');
  t.true(fs.existsSync(entry), 'pip put the console script in the environment');

  // nohup python myscript.py & → bgrun start mydaemon, from the project with no environment activated.
  const r = await box.run(['start', 'mydaemon'], { env: NO_ENV, cwd: proj });
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^started mydaemon \(pid (\d+)\)$/m);
  const pid = Number(/\(pid (\d+)\)/.exec(r.stdout)![1]);
  const record = box.record('mydaemon');
  t.deepEqual(record.command, [entry]);
  // Its lines reach the log while it runs (one tick every 0.5 s), not at exit.
  await waitForMatch(record.outLog as string, /^mydaemon tick 2$/m, 'the second tick');
  t.true(isAlive(pid));

  const unit = await runOk(t, box, ['export', 'systemd', 'mydaemon']);
  t.regex(unit.stdout, new RegExp(`^ExecStart=${entry}$`, 'm'));
  // To Kubernetes: the script by its name, installed by pip install . in the image.
  const k8s = path.join(box.dir, 'k8s');
  await runOk(t, box, ['export', 'kubernetes', 'mydaemon', '--dockerfile', '--output', k8s]);
  t.deepEqual(parseAllDocuments(fs.readFileSync(path.join(k8s, 'mydaemon.yaml'), 'utf8')).map((d) => d.toJS())[0].spec.template.spec.containers[0].command, ['mydaemon']);
  t.regex(fs.readFileSync(path.join(k8s, 'mydaemon.Dockerfile'), 'utf8'), /^RUN pip install --no-cache-dir \.$/m);

  const stop = await runOk(t, box, ['stop', String(pid)]);
  t.regex(stop.stdout, /stopped mydaemon/);
  await waitFor(() => !isAlive(pid), { timeout: LONG, what: 'mydaemon to be gone' });
  t.notRegex(readText(record.errLog as string), /ModuleNotFoundError/);
});
