import fs from 'node:fs';
import path from 'node:path';
import { Bgrun, Shell } from '../bgrun.mjs';
import { Forever, Pm2 } from '../peers.mjs';
import { now, run, sleep, waitFor } from '../proc.mjs';
import { BASE_ENV, bgruns, check, CONFIG, forevers, freshName, interleave, NODE, pm2s, rmFile, section, build, WRITER } from '../context.mjs';

// 5. Log throughput: a program writing 200 MB to stdout as fast as it can.

/**
 * Bytes of the writer's own lines in a log (tools may add lines of their own).
 * @param {string} file
 * @param {number} expected
 */
async function writerBytes(file, expected) {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    return 0;
  }
  if (size === expected) return size;
  let kept = 0;
  let rest = '';
  for await (const chunk of fs.createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.length === 63 && line.startsWith('line ')) kept += 64;
  }
  return kept;
}

/**
 * @param {{ pm2: string, forever: string }} peers
 */
export async function benchLog(peers) {
  const dir = section('log');
  const bgrun = new Bgrun(build.cliRoot, path.join(dir, 'bgrun'), BASE_ENV);
  const pm2 = new Pm2(peers.pm2, path.join(dir, 'pm2'), BASE_ENV);
  const forever = new Forever(peers.forever, path.join(dir, 'forever'), BASE_ENV);
  const shell = new Shell(BASE_ENV);
  bgruns.push(bgrun);
  pm2s.push(pm2);
  forevers.push(forever);
  await pm2.ensureDaemon();
  const bytes = CONFIG.logBytes;

  const subjects = [
    {
      id: 'shell',
      label: '`setsid nohup node writer.mjs >>log &` (sh)',
      start: (name, args) => shell.start([NODE, WRITER, ...args], path.join(dir, `${name}.log`), path.join(dir, `${name}.err`)),
      logFile: (name) => path.join(dir, `${name}.log`),
      forget: async () => {},
    },
    {
      id: 'bgrun',
      label: '`bgrun start writer.mjs`',
      start: (name, args) => run(bgrun.startArgv(name, WRITER, args), { env: bgrun.env }),
      logFile: (name) => path.join(bgrun.home, 'logs', `${name}.out.log`),
      forget: (name) => bgrun.run('rm', name),
    },
    {
      id: 'pm2',
      label: '`pm2 start writer.mjs --no-autorestart`',
      start: (name, args) =>
        run(pm2.startArgv(name, WRITER, args, { once: true, out: path.join(dir, `${name}.log`), err: path.join(dir, `${name}.err`) }), { env: pm2.env }),
      logFile: (name) => path.join(dir, `${name}.log`),
      forget: (name) => pm2.run('delete', name),
    },
    {
      id: 'forever',
      label: '`forever start -m 1 -l <log> writer.mjs`',
      start: (name, args) => run(forever.startArgv(name, WRITER, args, { once: true, log: path.join(dir, `${name}.log`) }), { env: forever.env }),
      logFile: (name) => path.join(dir, `${name}.log`),
      forget: (name) => forever.run('stop', name),
    },
  ];
  const samples = Object.fromEntries(subjects.map((s) => [s.id, { ms: [], kept: [], firstLine: [], writing: [] }]));
  await interleave(
    subjects,
    CONFIG.logReps,
    async (s) => {
      const name = freshName(`w${s.id}`);
      const end = path.join(dir, `${name}.end`);
      const file = s.logFile(name);
      const t0 = now();
      const started = s.start(name, [String(bytes), end]);
      // Done: all bytes are in the log, or the writer has ended and the log stopped growing.
      // Polled while the start command still runs (bgrun's crash watch may outlast the writer).
      let size = 0;
      let grewAt = t0;
      for (;;) {
        let current = 0;
        try {
          current = fs.statSync(file).size;
        } catch {
          // not created yet
        }
        if (current !== size) {
          size = current;
          grewAt = now();
        }
        if (size >= bytes) break;
        if (fs.existsSync(end) && now() - grewAt > 3000) break;
        if (now() - t0 > 300_000) break;
        await sleep(2);
      }
      check(await started, s.label);
      const o = samples[s.id];
      o.ms.push(grewAt - t0);
      o.kept.push(await writerBytes(file, bytes));
      const times = await waitFor(() => {
        const [first, last] = (fs.existsSync(end) ? fs.readFileSync(end, 'utf8') : '').split(' ').map(Number);
        return last > 0 ? { first, last } : undefined;
      }, 30_000);
      o.firstLine.push(times ? times.first - t0 : Number.NaN);
      o.writing.push(times ? times.last - times.first : Number.NaN);
      await s.forget(name);
      rmFile(file);
    },
    'log throughput',
  );
  await pm2.kill();
  await forever.stopAll();
  return { bytes, subjects: subjects.map((s) => ({ id: s.id, label: s.label, ...samples[s.id] })) };
}
