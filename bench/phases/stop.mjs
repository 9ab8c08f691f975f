import fs from 'node:fs';
import path from 'node:path';
import { Bgrun, Shell } from '../bgrun.mjs';
import { Forever, Pm2 } from '../peers.mjs';
import { isAlive, killPids, run, sleep, waitFor, withEnv } from '../proc.mjs';
import { APP, BASE_ENV, bgruns, check, CONFIG, ensureGone, forevers, freshName, interleave, NODE, pm2s, RUN_ID, section, build, TREE, waitMarker } from '../context.mjs';

// 3. Stop latency, for one program that exits on SIGTERM and for a tree of 20 descendants.

/**
 * @param {{ pm2: string, forever: string }} peers
 * @param {boolean} withSimple
 * @param {boolean} withTree
 */
export async function benchStop(peers, withSimple, withTree) {
  const dir = section('stop');
  const bgrun = new Bgrun(build.cliRoot, path.join(dir, 'bgrun'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  const shell = new Shell(BASE_ENV);
  bgruns.push(bgrun);
  pm2s.push(pm2);
  forevers.push(forever);
  await pm2.ensureDaemon();

  /**
   * @typedef {object} StopSubject
   * @property {string} id
   * @property {string} label
   * @property {string} stopLabel
   * @property {(name: string, command: string[]) => Promise<unknown>} start  untimed
   * @property {(name: string, pid: number) => Promise<import('./proc.mjs').RunResult>} stop  timed
   * @property {(name: string) => Promise<unknown>} forget  untimed
   */
  /** @type {StopSubject[]} */
  const subjects = [
    {
      id: 'shell',
      label: 'sh baseline',
      stopLabel: '`kill -s TERM -- -<pgid>`, then wait',
      start: (name, command) => shell.start(command, path.join(dir, `${name}.out`), path.join(dir, `${name}.err`)),
      stop: (_name, pid) => shell.stop(pid),
      forget: async () => {},
    },
    {
      id: 'bgrun',
      label: 'bgrun',
      stopLabel: '`bgrun stop <name>`',
      start: async (name, command) => check(await run(bgrun.startArgv(name, command[1], command.slice(2), { wait: '0' }), { env: bgrun.env }), 'bgrun start'),
      stop: (name) => bgrun.run('stop', name),
      forget: (name) => bgrun.run('rm', name),
    },
    {
      id: 'pm2',
      label: 'pm2',
      stopLabel: '`pm2 stop <name>`',
      start: async (name, command) => check(await run(pm2.startArgv(name, command[1], command.slice(2)), { env: pm2.env }), 'pm2 start'),
      stop: (name) => pm2.run('stop', name),
      forget: (name) => pm2.run('delete', name),
    },
    {
      id: 'forever',
      label: 'forever',
      stopLabel: '`forever stop <uid>`',
      start: async (name, command) => check(await run(forever.startArgv(name, command[1], command.slice(2)), { env: forever.env }), 'forever start'),
      stop: (name) => forever.run('stop', name),
      forget: async () => {},
    },
  ];

  const simple = Object.fromEntries(subjects.map((s) => [s.id, { ms: [], goneAtReturn: 0, trials: 0, signals: {} }]));
  if (withSimple) {
    await interleave(
      subjects,
      CONFIG.stopReps,
      async (s) => {
        const name = freshName(`t${s.id}`);
        const marker = path.join(dir, `${name}.marker`);
        await s.start(name, [NODE, APP, marker]);
        const seen = await waitMarker(marker);
        if (!seen) throw new Error(`${s.label}: the program did not start`);
        const r = check(await s.stop(name, seen.pid), `${s.label} stop`);
        const gone = !isAlive(seen.pid);
        const o = simple[s.id];
        o.ms.push(r.ms);
        o.trials++;
        if (gone) o.goneAtReturn++;
        await ensureGone(seen.pid);
        let signal = 'none (killed)';
        try {
          signal = fs.readFileSync(`${marker}.sig`, 'utf8');
        } catch {
          // no handler ran: SIGKILL
        }
        o.signals[signal] = (o.signals[signal] ?? 0) + 1;
        await s.forget(name);
      },
      'stop latency',
    );
  }

  // forever leaves the tree alone unless started with --killTree: measured both ways.
  /** @type {StopSubject[]} */
  const treeSubjects = [
    ...subjects,
    {
      id: 'forever-t',
      label: 'forever --killTree',
      stopLabel: '`forever stop <uid>` (started with `--killTree`)',
      start: async (name, command) =>
        check(await run(forever.startArgv(name, command[1], command.slice(2), { killTree: true }), { env: forever.env }), 'forever start'),
      stop: (name) => forever.run('stop', name),
      forget: async () => {},
    },
  ];
  const tree = Object.fromEntries(treeSubjects.map((s) => [s.id, { ms: [], orphans: [], descendants: [] }]));
  if (withTree) {
    await interleave(
      treeSubjects,
      CONFIG.treeReps,
      async (s) => {
        const name = freshName(`r${s.id}`);
        const tag = `${RUN_ID}-${name}`;
        const ready = path.join(dir, `${name}.ready`);
        await s.start(name, [NODE, TREE, tag, ready]);
        const rootPid = Number(await waitFor(() => (fs.existsSync(ready) ? fs.readFileSync(ready, 'utf8') : ''), 30_000));
        if (!rootPid) throw new Error(`${s.label}: the tree did not come up`);
        const tagged = () => withEnv('BENCH_TREE', tag).map((p) => p.pid);
        const before = await waitFor(() => {
          const pids = tagged();
          return pids.length >= 20 ? pids : undefined;
        }, 10_000);
        if (!before) throw new Error(`${s.label}: the tree has ${tagged().length} descendants, expected 20`);
        const r = check(await s.stop(name, rootPid), `${s.label} stop (tree)`);
        // A tool may finish its work after its command returned; give it half a second.
        await sleep(500);
        const left = tagged();
        tree[s.id].ms.push(r.ms);
        tree[s.id].descendants.push(before.length);
        tree[s.id].orphans.push(left.length);
        killPids(left);
        await ensureGone(rootPid);
        await s.forget(name);
      },
      'tree stop',
    );
  }
  await pm2.kill();
  await forever.stopAll();
  return {
    subjects: treeSubjects.map((s) => ({
      id: s.id,
      label: s.label,
      stopLabel: s.stopLabel,
      simple: withSimple && simple[s.id] ? simple[s.id] : null,
      tree: withTree ? tree[s.id] : null,
    })),
  };
}
