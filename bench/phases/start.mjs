import path from 'node:path';
import { Bgrun, Shell } from '../bgrun.mjs';
import { Forever, Pm2 } from '../peers.mjs';
import { killPids, run } from '../proc.mjs';
import { APP, BASE_ENV, bgruns, check, CONFIG, ensureGone, forevers, freshName, interleave, log, NODE, PLAIN, plainEnv, pm2s, section, build, waitMarker } from '../context.mjs';

// 1. Start latency, and time until the program runs its first line.

/**
 * @param {{ pm2: string, forever: string }} peers
 */
export async function benchStart(peers) {
  const dir = section('start');
  const bgrun = new Bgrun(build.cliRoot, path.join(dir, 'bgrun'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  const shell = new Shell(BASE_ENV);
  const bgrunAlt = new Bgrun(build.cliRoot, bgrun.home, BASE_ENV, build.alt?.entry);
  bgruns.push(bgrun);
  pm2s.push(pm2);
  forevers.push(forever);

  /**
   * @typedef {object} StartSubject
   * @property {string} id
   * @property {string} label
   * @property {boolean} [floor]   `node -e 0`: no program to wait for
   * @property {() => Promise<void>} [before]   untimed preparation
   * @property {(name: string, marker: string) => Promise<import('./proc.mjs').RunResult>} start
   */
  /** @type {StartSubject[]} */
  const subjects = [
    { id: 'node', label: '`node -e 0` (floor of any Node CLI)', floor: true, start: () => run([NODE, '-e', '0'], { env: BASE_ENV }) },
    ...(PLAIN
      ? [
          { id: 'node-plain', label: `\`node -e 0\`, ${PLAIN}`, floor: true, start: () => run([NODE, '-e', '0'], { env: plainEnv(BASE_ENV) }) },
          {
            id: 'bgrun0-plain',
            label: `\`bgrun start --wait 0\`, ${PLAIN}`,
            start: (name, marker) => run(bgrun.startArgv(name, APP, [marker], { wait: '0' }), { env: plainEnv(bgrun.env) }),
          },
        ]
      : []),
    {
      id: 'shell',
      label: '`setsid nohup node app.mjs >>log 2>&1 &` (sh)',
      start: (name, marker) => shell.start([NODE, APP, marker], path.join(dir, `${name}.out`), path.join(dir, `${name}.err`)),
    },
    {
      id: 'bgrun0',
      label: '`bgrun start --wait 0`',
      start: (name, marker) => run(bgrun.startArgv(name, APP, [marker], { wait: '0' }), { env: bgrun.env }),
    },
    ...(build.alt
      ? [
          {
            id: 'bgrun0-alt',
            label: `\`bgrun start --wait 0\`, ${build.alt.what}`,
            start: (name, marker) => run(bgrunAlt.startArgv(name, APP, [marker], { wait: '0' }), { env: bgrunAlt.env }),
          },
        ]
      : []),
    {
      id: 'bgrun',
      label: '`bgrun start` (default 500 ms crash watch)',
      start: (name, marker) => run(bgrun.startArgv(name, APP, [marker]), { env: bgrun.env }),
    },
    {
      id: 'pm2cold',
      label: '`pm2 start`, cold (daemon not running)',
      before: () => pm2.kill(),
      start: (name, marker) => run(pm2.startArgv(name, APP, [marker]), { env: pm2.env }),
    },
    {
      id: 'pm2warm',
      label: '`pm2 start`, warm (daemon running)',
      before: () => pm2.ensureDaemon(),
      start: (name, marker) => run(pm2.startArgv(name, APP, [marker]), { env: pm2.env }),
    },
    {
      id: 'forever',
      label: '`forever start`',
      start: (name, marker) => run(forever.startArgv(name, APP, [marker]), { env: forever.env }),
    },
  ];
  /** @type {Record<string, { ret: number[], first: number[] }>} */
  const samples = Object.fromEntries(subjects.map((s) => [s.id, { ret: [], first: [] }]));

  /** Pids of the programs of this round, removed together once the round is over. */
  const started = [];
  /** @param {StartSubject} s @param {boolean} record */
  const trial = async (s, record) => {
    await s.before?.();
    const name = freshName(`s${s.id}`);
    const marker = path.join(dir, `${name}.marker`);
    const r = check(await s.start(name, marker), s.label);
    if (s.floor) {
      if (record) samples[s.id].ret.push(r.ms);
      return;
    }
    const seen = await waitMarker(marker);
    if (!seen) throw new Error(`${s.label}: the program never ran its first line`);
    if (record) {
      samples[s.id].ret.push(r.ms);
      samples[s.id].first.push(seen.time - r.t0);
    }
    started.push(seen.pid);
    if (s.id === 'shell') killPids([seen.pid], 'SIGTERM');
  };
  // Each tool removes its programs of the round in one command: cheaper than one by one.
  const afterRound = async () => {
    await Promise.all([bgrun.run('rm', 'all'), pm2.daemonPid() ? pm2.run('delete', 'all') : null, forever.run('stopall')]);
    await Promise.all(started.splice(0).map((pid) => ensureGone(pid)));
  };
  if (CONFIG.warmUp) {
    log('start latency: warm-up round');
    for (const s of subjects) await trial(s, false);
    await afterRound();
  }
  await interleave(subjects, CONFIG.startReps, (s) => trial(s, true), 'start latency', afterRound);
  await pm2.kill();
  return { subjects: subjects.map((s) => ({ id: s.id, label: s.label, ...samples[s.id] })) };
}
