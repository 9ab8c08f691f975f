#!/usr/bin/env node
// Issue 16: a config of N supervised apps (`sleep 100000`, restart always) started by one
// `bgrun start --config … --wait 0`, beside pm2 starting the same apps from an ecosystem
// file, beside the floor: the same N programs spawned by a bare Node loop (what any tool
// pays for process creation on this machine), and `node -e 0`. Interleaved rounds, medians.
//
//   node bench/config-beside.mjs               100 apps, 3 rounds
//   node bench/config-beside.mjs --apps 20 --rounds 1
//
// bgrun starts cold (no supervisor yet: it is started by the command, and timed); pm2's
// daemon is started before its timing (warm), which favours pm2. Each round has fresh
// BGRUN_HOME and PM2_HOME folders under a temporary folder; everything is stopped (pm2
// kill, bgrun stop all) and then killed by pid (never by name).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bgrun } from './bgrun.mjs';
import { Pm2, installPeers } from './peers.mjs';
import { killPids, now, run, runOk, withEnv } from './proc.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** N detached `sleep`s spawned by this process, timed until the last is spawned; then killed. */
async function spawnFloor(/** @type {number} */ count) {
  const began = now();
  /** @type {import('node:child_process').ChildProcess[]} */
  const kids = [];
  for (let i = 0; i < count; i++) {
    const child = spawn('sleep', ['100000'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    kids.push(child);
  }
  const ms = now() - began;
  for (const child of kids) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  return ms;
}

/**
 * @param {{ cliRoot?: string, pm2Dir: string, dir: string, env: NodeJS.ProcessEnv, apps?: number, rounds?: number, log: (line: string) => void }} options
 */
export async function benchConfigBeside(options) {
  const apps = options.apps ?? 100;
  const rounds = options.rounds ?? 3;
  const cliRoot = options.cliRoot ?? REPO;
  const list = Array.from({ length: apps }, (_, i) => ({ name: `s${i}`, script: 'sleep', args: ['100000'] }));
  const samples = { node: /** @type {number[]} */ ([]), floor: /** @type {number[]} */ ([]), bgrun: /** @type {number[]} */ ([]), pm2: /** @type {number[]} */ ([]) };
  const loads = [];
  for (let round = 0; round < rounds; round++) {
    const dir = path.join(options.dir, `round-${round}`);
    fs.mkdirSync(dir, { recursive: true });
    options.log(`config-beside: round ${round + 1} of ${rounds}, ${apps} apps`);
    samples.node.push((await run([process.execPath, '-e', '0'], { env: options.env })).ms);
    samples.floor.push(await spawnFloor(apps));

    const bgrun = new Bgrun(cliRoot, path.join(dir, 'bgrun-home'), options.env);
    const config = path.join(dir, 'supervised.config.json');
    fs.writeFileSync(config, JSON.stringify({ apps: list.map((a) => ({ ...a, restart: 'always' })) }));
    try {
      samples.bgrun.push((await runOk(bgrun.argv('start', '--config', config, '--wait', '0'), { env: bgrun.env, timeoutMs: 600_000 })).ms);
    } finally {
      await bgrun.run('stop', 'all');
      killPids(withEnv('BGRUN_HOME', bgrun.home).map((p) => p.pid));
    }

    const pm2 = new Pm2(options.pm2Dir, path.join(dir, 'pm2-home'), options.env);
    const ecosystem = path.join(dir, 'ecosystem.config.json');
    fs.writeFileSync(ecosystem, JSON.stringify({ apps: list.map((a) => ({ ...a, autorestart: true })) }));
    try {
      await pm2.ensureDaemon();
      samples.pm2.push((await runOk(pm2.argv('start', ecosystem), { env: pm2.env, timeoutMs: 600_000 })).ms);
    } finally {
      await pm2.kill();
      killPids(withEnv('PM2_HOME', pm2.home).map((p) => p.pid));
    }
    loads.push(os.loadavg()[0]);
  }
  const base = median(samples.node);
  const row = (/** @type {string} */ what, /** @type {number[]} */ xs) =>
    `| ${what} | ${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}) | ${(median(xs) / base).toFixed(2)} | ${(median(xs) / median(samples.pm2)).toFixed(2)} |`;
  const markdown = [
    `### ${apps} supervised apps from one config file (medians of ${rounds} interleaved rounds; load average ${loads.map((l) => l.toFixed(1)).join(', ')})`,
    '',
    '| what | ms (min–max) | × `node -e 0` | × pm2 |',
    '|---|---:|---:|---:|',
    row('`node -e 0`', samples.node),
    row(`${apps} \`sleep\`s spawned by a bare Node loop (the floor)`, samples.floor),
    row(`bgrun \`start --config\`, cold (starts its supervisor)`, samples.bgrun),
    row('pm2 `start ecosystem.config.json`, daemon already running', samples.pm2),
    '',
  ].join('\n');
  return { apps, rounds, samples, markdown };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const value = (/** @type {string} */ flag) => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : undefined);
  const log = (/** @type {string} */ line) => process.stderr.write(`[config-beside] ${line}\n`);
  const peers = await installPeers(path.join(REPO, '.bench-cache'), log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-config-beside-'));
  try {
    const result = await benchConfigBeside({ pm2Dir: peers.pm2, dir, env: { ...process.env }, apps: value('--apps'), rounds: value('--rounds'), log });
    process.stdout.write(`${result.markdown}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
