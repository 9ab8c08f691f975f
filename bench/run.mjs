#!/usr/bin/env node
// bgrun's benchmark against pm2, forever and a plain `setsid nohup … &`, in one run with
// the tools interleaved (each round runs every tool once, in a rotating order), so that
// machine noise hits them alike. Prints Markdown tables of medians (min–max) and ratios.
//
//   npm run bench                  full run (~8 minutes on 2 cores)
//   npm run bench -- --quick       fewer repetitions, 20 instead of 200 programs (~80 s)
//   npm run bench -- --write       also write BENCHMARKS.md (--write=FILE: another file)
//   npm run bench -- --only start,list   only some sections (start, list, stop, tree, log, monit, rotation, thousand)
//   (thousand: 1,000 programs, bench/thousand.mjs; left out of --quick unless named, where it runs with 50)
//
// This file is the runner: each section lives in bench/phases/<section>.mjs (rotation.mjs and
// thousand.mjs beside), what they share in bench/context.mjs, the tools in bgrun.mjs and peers.mjs
// (one wrapper class, tool.mjs). bench/soak.mjs is the long soak run, not part of this.
//
// Everything it starts runs with private state folders under one temporary folder and
// with BENCH_RUN_ID=<id> in its environment; on exit or Ctrl-C it stops all of it through
// each tool, then kills whatever is left by pid (never by name) and removes the folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bgrun, Shell } from './bgrun.mjs';
import { Forever, Pm2, installPeers } from './peers.mjs';
import { allProcesses, machine, now, run, sleep } from './proc.mjs';
import { renderReport } from './report.mjs';
import { benchRotation } from './rotation.mjs';
import { benchThousand } from './thousand.mjs';
import { BASE_ENV, bgruns, cleanup, CONFIG, FIXTURES, log, NODE, ONLY, PLAIN, QUICK, REPO, RUN_ID, section, STARTUP_VARS, build, TMP, WRITE, writeArg } from './context.mjs';
import { benchStart } from './phases/start.mjs';
import { benchList } from './phases/list.mjs';
import { benchStop } from './phases/stop.mjs';
import { benchLog } from './phases/log.mjs';
import { benchMonit } from './phases/monit.mjs';

/**
 * Copies the build aside and checks that the copy runs (a rebuild may have been under
 * way while copying: then it tries again).
 * @param {string} into
 */
async function snapshotBuild(into) {
  for (let attempt = 1; ; attempt++) {
    fs.rmSync(into, { recursive: true, force: true });
    fs.mkdirSync(into, { recursive: true });
    for (const part of ['bin', 'dist']) fs.cpSync(path.join(REPO, part), path.join(into, part), { recursive: true });
    fs.copyFileSync(path.join(REPO, 'package.json'), path.join(into, 'package.json'));
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(into, 'node_modules'));
    const home = path.join(TMP, 'probe');
    const ok = await Promise.all(
      [['--version'], ['list', '--json'], ['start', '--help']].map((args) => run([NODE, path.join(into, 'bin', 'bgrun.js'), ...args], { env: { ...BASE_ENV, BGRUN_HOME: home } })),
    );
    if (ok.every((r) => r.code === 0)) return;
    if (attempt === 5) throw new Error(`the build does not run: ${ok.find((r) => r.code !== 0)?.stderr.trim()}`);
    log('the build in the working tree is changing; copying it again in 3 s');
    await sleep(3000);
  }
}

/**
 * The commit the measured build came from, taken when it is copied aside; "-dirty" when
 * the working tree differs from it in anything but the reports this benchmark writes.
 */
async function commitOfBuild() {
  const head = await run(['git', '-C', REPO, 'rev-parse', '--short=10', 'HEAD']).catch(() => null);
  if (head?.code !== 0) return 'unknown';
  const status = await run(['git', '-C', REPO, 'status', '--porcelain', '--', '.', ':!BENCHMARKS.md', ':!docs/benchmarks']).catch(() => null);
  return `${head.stdout.trim()}${status?.code === 0 && status.stdout.trim() === '' ? '' : '-dirty'}`;
}

/**
 * The other build of the CLI, measured beside the one bin/bgrun.js loads: the esbuild
 * bundle (dist/bundle/cli.cjs) when bin/ loads the unbundled dist/bin.js, and the other
 * way round. Null when there is no bundle.
 * @returns {{ entry: string, what: string } | null}
 */
function alternativeCli() {
  const bundle = path.join(build.cliRoot, 'dist', 'bundle', 'cli.cjs');
  if (!fs.existsSync(bundle)) return null;
  const bin = fs.readFileSync(path.join(build.cliRoot, 'bin', 'bgrun.js'), 'utf8');
  return bin.includes('cli.cjs')
    ? { entry: path.join(build.cliRoot, 'dist', 'bin.js'), what: 'unbundled `dist/bin.js`' }
    : { entry: bundle, what: 'esbuild bundle `dist/bundle/cli.cjs`' };
}
/** @type {{ entry: string, what: string } | null} */

/** The 1, 5 and 15 minute load averages. */
function loadAverage() {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main() {
  const began = now();
  const loadBefore = loadAverage();
  log(`run ${RUN_ID}, temporary folder ${TMP}${QUICK ? ', quick mode' : ''}`);
  const peers = await installPeers(path.join(REPO, '.bench-cache'), log);
  build.cliRoot = path.join(TMP, 'bgrun-build');
  await snapshotBuild(build.cliRoot);
  const commit = await commitOfBuild();
  build.alt = alternativeCli();
  const probe = new Bgrun(build.cliRoot, path.join(TMP, 'probe'), BASE_ENV);
  const supervised = await probe.hasSupervisor();
  const versions = {
    bgrun: await probe.version(),
    pm2: new Pm2(peers.pm2, path.join(TMP, 'probe-pm2'), BASE_ENV).version(),
    forever: new Forever(peers.forever, path.join(TMP, 'probe-forever'), BASE_ENV).version(),
    setsid: await new Shell(BASE_ENV).version(),
  };
  if (!supervised) log('supervised mode not built yet (`bgrun start --help` has no --restart): its memory shows n/a');

  /** @type {Record<string, unknown>} */
  const results = {};
  if (ONLY.includes('start')) results.start = await benchStart(peers);
  if (ONLY.includes('list')) results.list = await benchList(peers, supervised);
  if (ONLY.includes('stop') || ONLY.includes('tree')) results.stop = await benchStop(peers, ONLY.includes('stop'), ONLY.includes('tree'));
  if (ONLY.includes('log')) results.log = await benchLog(peers);
  if (ONLY.includes('monit')) results.monit = await benchMonit();
  if (ONLY.includes('rotation')) {
    results.rotation = await benchRotation({
      cliRoot: build.cliRoot,
      dir: section('rotation'),
      env: BASE_ENV,
      quick: QUICK,
      log,
      track: (b) => bgruns.push(b),
      fixture: path.join(FIXTURES, 'paced.mjs'),
    });
  }

  if (ONLY.includes('thousand')) {
    results.thousand = await benchThousand({ cliRoot: build.cliRoot, dir: section('thousand'), env: BASE_ENV, quick: QUICK, log, track: (b) => bgruns.push(b) });
  }

  const meta = {
    date: new Date().toISOString(),
    commit,
    load: { before: loadBefore, after: loadAverage() },
    nice: os.getPriority(),
    alt: build.alt?.what ?? null,
    plain: PLAIN,
    startupVars: STARTUP_VARS,
    machine: machine(),
    versions,
    quick: QUICK,
    config: CONFIG,
    sections: ONLY,
    seconds: (now() - began) / 1000,
    command: `${os.getPriority() ? `nice -n ${os.getPriority()} ` : ''}npm run bench${QUICK || WRITE ? ' --' : ''}${QUICK ? ' --quick' : ''}${WRITE ? ` ${writeArg}` : ''}`,
  };
  const rendered = renderReport(meta, results);
  // The many-programs phase renders its own table (bench/thousand.mjs).
  const many = /** @type {{ markdown: string } | undefined} */ (results.thousand);
  const body = many ? `${rendered.body}\n${many.markdown}` : rendered.body;
  const full = many ? `${rendered.full.trimEnd()}\n\n${many.markdown}` : rendered.full;
  process.stdout.write(`${body}\n`);
  if (WRITE) {
    fs.mkdirSync(path.dirname(WRITE), { recursive: true });
    fs.writeFileSync(WRITE, withKeptBlocks(full, WRITE));
    log(`wrote ${path.relative(REPO, WRITE)}`);
  }
  log(`done in ${meta.seconds.toFixed(0)} s`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  if (!(error instanceof Error && error.message === 'interrupted')) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  exitCode = 1;
} finally {
  await cleanup();
  const left = allProcesses().filter((p) => p.environ.includes(`\0BENCH_RUN_ID=${RUN_ID}\0`));
  if (left.length > 0) log(`warning: ${left.length} process(es) of this run survived: ${left.map((p) => p.pid).join(' ')}`);
}
process.exit(exitCode);

/** Blocks of the file marked as measured by hand (`<!-- kept ... -->` to `<!-- /kept -->`) survive a rewrite, before "How to read this". */
function withKeptBlocks(next, file) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const blocks = old.match(/<!-- kept\b[^>]*-->[\s\S]*?<!-- \/kept -->/g);
  if (!blocks) return next;
  const at = next.indexOf('\n## How to read this');
  const kept = blocks.join('\n\n');
  return at < 0 ? `${next.trimEnd()}\n\n${kept}\n` : `${next.slice(0, at)}\n${kept}\n${next.slice(at)}`;
}
