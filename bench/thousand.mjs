#!/usr/bin/env node
// Issue 16's phase: bgrun with many programs recorded. Runnable alone, and as the
// `thousand` section of bench/run.mjs. Each figure is a ratio to `node -e 0` measured in
// the same run, interleaved, so that a loaded machine slows both alike.
//
//   node bench/thousand.mjs                 1,000 programs (sleep), 100 supervised apps (~5-10 minutes loaded)
//   node bench/thousand.mjs --count 200     another size
//   node bench/thousand.mjs --quick         50 programs, 20 supervised apps, 3 repetitions
//
// Measures: `list --json` with N programs, `start --wait 0` of one more with N recorded
// (beside the same start with 10 recorded), `stop all` of N, and a config of supervised
// apps started with one `start --config`. Everything runs with a private BGRUN_HOME under
// a temporary folder; whatever is left is killed by pid at the end (never by name).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bgrun } from './bgrun.mjs';
import { killPids, now, run, runOk, withEnv } from './proc.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/**
 * @param {{ cliRoot?: string, dir: string, env: NodeJS.ProcessEnv, quick: boolean, count?: number, log: (line: string) => void, track?: (b: Bgrun) => void }} options
 */
export async function benchThousand(options) {
  const count = options.count ?? (options.quick ? 50 : 1000);
  const apps = options.quick ? 20 : 100;
  const reps = options.quick ? 3 : 11;
  const cliRoot = options.cliRoot ?? REPO;
  const { log } = options;
  /** @param {string} name */
  const make = (name) => {
    const b = new Bgrun(cliRoot, path.join(options.dir, name), options.env);
    options.track?.(b);
    return b;
  };
  const many = make('many');
  const few = make('few');
  const timed = async (/** @type {Bgrun} */ b, /** @type {string[]} */ args) => (await runOk(b.argv(...args), { env: b.env, timeoutMs: 600_000 })).ms;

  log(`thousand: starting ${count} programs (\`start --config\`, 100 apps a file)`);
  const populate = now();
  // In files of 100: one command launching 1,000 at once waits on the lock past its timeout on a loaded machine.
  for (let at = 0; at < count; at += 100) {
    // A bgrun file: any other name is read as a pm2 file, whose default (autorestart) would supervise them all.
    const file = path.join(options.dir, `bgrun.many-${at}.config.json`);
    const names = Array.from({ length: Math.min(100, count - at) }, (_, i) => ({ name: `p${at + i}`, script: 'sleep', args: ['100000'] }));
    fs.writeFileSync(file, JSON.stringify({ apps: names }));
    await runOk(many.argv('start', '--config', file, '--wait', '0'), { env: many.env, timeoutMs: 1_800_000 });
  }
  const populateMs = now() - populate;
  await few.runOk('start', '--wait', '0', '--instances', '10', '--name', 'p', 'sleep', '100000');
  // Records are indexed once left alone for 2 s (core/records/record-index.ts); the first list writes the index.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await many.runOk('list', '--json');

  log(`thousand: list --json and start --wait 0, ${reps} interleaved rounds`);
  const samples = { node: /** @type {number[]} */ ([]), list: /** @type {number[]} */ ([]), startMany: /** @type {number[]} */ ([]), startFew: /** @type {number[]} */ ([]) };
  for (let i = 0; i < reps; i++) {
    samples.node.push((await run([process.execPath, '-e', '0'], { env: options.env })).ms);
    samples.list.push(await timed(many, ['list', '--json']));
    samples.startMany.push(await timed(many, ['start', '--wait', '0', '--name', `one-${i}`, 'sleep', '100000']));
    samples.startFew.push(await timed(few, ['start', '--wait', '0', '--name', `one-${i}`, 'sleep', '100000']));
  }

  log(`thousand: stop all of ${count + reps}`);
  const stopMs = await timed(many, ['stop', 'all']);
  await few.run('stop', 'all');

  log(`thousand: a config of ${apps} supervised apps`);
  const sup = make('supervised');
  const config = path.join(options.dir, 'supervised.config.json');
  fs.writeFileSync(config, JSON.stringify({ apps: Array.from({ length: apps }, (_, i) => ({ name: `s${i}`, script: 'sleep', args: ['100000'], restart: 'always' })) }));
  const supMs = await timed(sup, ['start', '--config', config, '--wait', '0']);
  await sup.run('stop', 'all');

  const base = median(samples.node);
  const ratio = (/** @type {number} */ ms) => (ms / base).toFixed(2);
  const rows = [
    ['`node -e 0`', median(samples.node), '1.00'],
    [`\`list --json\`, ${count} programs`, median(samples.list), ratio(median(samples.list))],
    [`\`start --wait 0\`, ${count} recorded`, median(samples.startMany), ratio(median(samples.startMany))],
    ['`start --wait 0`, 10 recorded', median(samples.startFew), ratio(median(samples.startFew))],
    [`\`stop all\`, ${count + reps} programs (once)`, stopMs, ratio(stopMs)],
    [`\`start --config\`, ${apps} supervised apps (once)`, supMs, ratio(supMs)],
    [`populating: \`start --config\` of ${count} in files of 100 (once)`, populateMs, ratio(populateMs)],
  ];
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const markdown = [
    `### Many programs (${count}; medians of ${reps} interleaved rounds; load average at the end ${load})`,
    '',
    '| what | ms | × `node -e 0` |',
    '|---|---:|---:|',
    ...rows.map(([what, ms, r]) => `| ${what} | ${Number(ms).toFixed(0)} | ${r} |`),
    '',
  ].join('\n');
  return { count, apps, reps, samples, stopMs, supMs, populateMs, markdown };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--count');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-thousand-'));
  const log = (/** @type {string} */ line) => process.stderr.write(`[thousand] ${line}\n`);
  /** @type {Bgrun[]} */
  const homes = [];
  try {
    const result = await benchThousand({ dir, env: { ...process.env }, quick: argv.includes('--quick'), count: at >= 0 ? Number(argv[at + 1]) : undefined, log, track: (b) => homes.push(b) });
    process.stdout.write(`${result.markdown}\n`);
  } finally {
    for (const b of homes) killPids(withEnv('BGRUN_HOME', b.home).map((p) => p.pid));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
