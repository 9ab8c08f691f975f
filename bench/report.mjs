// Turns the benchmark's samples into Markdown: tables of medians (min–max), ratios
// bgrun / peer, the targets of issue 5, and (for BENCHMARKS.md) the machine and how to read it.
import { renderRotation } from './rotation.mjs';
import { cell, fmtRatio, mb, num, pairedRatio, ratio, summarize, table } from './stats.mjs';

/**
 * @param {{ id: string }[] | undefined} list
 * @param {string} id
 */
const find = (list, id) => list?.find((x) => x.id === id);

/** @param {boolean | null} ok */
const verdict = (ok) => (ok === null ? 'n/a' : ok ? '✅ met' : '❌ missed');

/**
 * @param {Record<string, any>} meta
 * @param {Record<string, any>} results
 * @returns {{ body: string, full: string, targets: { name: string, measured: string, ok: boolean | null }[] }}
 */
export function renderReport(meta, results) {
  const parts = [];
  const targets = [];
  const { start, list, stop, log } = results;
  const top = list ? Math.max(...list.levels) : null;

  // Targets first: the headline.
  if (list) {
    const json = find(list.commands, 'bgrun-json')?.byLevel[top];
    const floor = find(list.commands, 'node')?.byLevel[top];
    const jlist = find(list.commands, 'pm2-jlist')?.byLevel[top];
    const r1 = ratio(json, floor);
    const r2 = ratio(json, jlist);
    targets.push({ name: `\`bgrun list --json\`, ${top} programs ≤ 1.5 × \`node -e 0\``, measured: fmtRatio(r1), paired: pairedRatio(json, floor), ok: r1 <= 1.5 });
    const jsonPlain = find(list.commands, 'bgrun-json-plain')?.byLevel[top];
    const floorPlain = find(list.commands, 'node-plain')?.byLevel[top];
    if (jsonPlain && floorPlain) {
      const r = ratio(jsonPlain, floorPlain);
      targets.push({ name: `…the same, both ${meta.plain}`, measured: fmtRatio(r), paired: pairedRatio(jsonPlain, floorPlain), ok: r <= 1.5 });
    }
    targets.push({
      name: `\`bgrun list --json\` ≥ 2 × faster than \`pm2 jlist\` (${top} programs; ratio ≤ 0.50)`,
      measured: `${fmtRatio(r2)} (${num(1 / r2)} × faster)`,
      paired: pairedRatio(json, jlist),
      ok: r2 <= 0.5,
    });
  }
  if (start) {
    const b0 = find(start.subjects, 'bgrun0');
    const floor = find(start.subjects, 'node');
    const warm = find(start.subjects, 'pm2warm');
    const r1 = ratio(b0.ret, floor.ret);
    const r2 = ratio(b0.first, warm.first);
    targets.push({ name: '`bgrun start --wait 0` ≤ 2 × `node -e 0`', measured: fmtRatio(r1), paired: pairedRatio(b0.ret, floor.ret), ok: r1 <= 2 });
    const plain = find(start.subjects, 'bgrun0-plain');
    const floorPlain = find(start.subjects, 'node-plain');
    if (plain && floorPlain) {
      const r = ratio(plain.ret, floorPlain.ret);
      targets.push({ name: `…the same, both ${meta.plain}`, measured: fmtRatio(r), paired: pairedRatio(plain.ret, floorPlain.ret), ok: r <= 2 });
    }
    targets.push({
      name: 'time to first line ≥ 1.5 × shorter than warm pm2 (ratio ≤ 0.67)',
      measured: `${fmtRatio(r2)} (${num(1 / r2)} × shorter)`,
      paired: pairedRatio(b0.first, warm.first),
      ok: r2 <= 1 / 1.5,
    });
  }
  if (log) {
    const b = find(log.subjects, 'bgrun');
    const sh = find(log.subjects, 'shell');
    const worst = Math.min(...b.kept);
    const r = ratio(b.ms, sh.ms);
    targets.push({ name: 'log throughput: 100 % of bytes kept', measured: `${((100 * worst) / log.bytes).toFixed(2)} % (worst run)`, ok: worst === log.bytes });
    targets.push({ name: 'log throughput: time ≤ 1.1 × the shell redirect', measured: fmtRatio(r), paired: pairedRatio(b.ms, sh.ms), ok: r <= 1.1 });
  }
  if (stop?.subjects[0].tree) {
    const worst = Math.max(...find(stop.subjects, 'bgrun').tree.orphans);
    targets.push({ name: 'orphans after `bgrun stop` of a tree of 20: 0', measured: `${worst} (worst run)`, ok: worst === 0 });
  }
  parts.push('### Targets (issue 5)\n');
  /** @param {import('./stats.mjs').Summary | undefined} p */
  const paired = (p) => (p && p.n > 0 ? `${fmtRatio(p.median)} (${fmtRatio(p.min)}–${fmtRatio(p.max)})` : '–');
  parts.push(
    table(
      ['target', 'measured (ratio of medians)', 'per-round ratios: median (min–max)', ''],
      targets.map((t) => [t.name, t.measured, paired(t.paired), verdict(t.ok)]),
    ),
  );
  parts.push(
    '\nThe verdict uses the ratio of the medians, as the targets are worded; the per-round ratios pair the samples of one round (the tools ran back to back), which cancels most of a load that drifts during the run.',
  );

  // Ratios bgrun / peer.
  const rows = [];
  /** @param {string} what @param {number[]} mine @param {Record<string, number[] | undefined>} peers */
  const ratioRow = (what, mine, peers) =>
    rows.push([what, ...['node', 'shell', 'pm2warm', 'pm2cold', 'forever'].map((k) => (peers[k] ? fmtRatio(ratio(mine, peers[k])) : '–'))]);
  if (start) {
    const s = (id) => find(start.subjects, id);
    const peersOf = (key) => ({ node: key === 'ret' ? s('node').ret : undefined, shell: s('shell')[key], pm2warm: s('pm2warm')[key], pm2cold: s('pm2cold')[key], forever: s('forever')[key] });
    ratioRow('start returns, `--wait 0`', s('bgrun0').ret, peersOf('ret'));
    if (s('bgrun0-alt')) ratioRow(`start returns, \`--wait 0\`, ${meta.alt}`, s('bgrun0-alt').ret, peersOf('ret'));
    if (s('bgrun0-plain')) ratioRow(`start returns, \`--wait 0\`, both ${meta.plain}`, s('bgrun0-plain').ret, { node: s('node-plain').ret });
    ratioRow('start returns, default 500 ms watch', s('bgrun').ret, peersOf('ret'));
    ratioRow('program runs its first line (`--wait 0`)', s('bgrun0').first, peersOf('first'));
  }
  if (list) {
    const c = (id, level) => find(list.commands, id)?.byLevel[level] ?? undefined;
    for (const level of list.levels) {
      ratioRow(`\`list --json\`, ${level} programs (pm2: \`jlist\`)`, c('bgrun-json', level), { node: c('node', level), pm2warm: c('pm2-jlist', level), forever: c('forever-list', level) });
      if (c('bgrun-json-alt', level)) {
        ratioRow(`\`list --json\`, ${level} programs, ${meta.alt}`, c('bgrun-json-alt', level), {
          node: c('node', level),
          pm2warm: c('pm2-jlist', level),
          forever: c('forever-list', level),
        });
      }
      if (c('bgrun-json-plain', level)) ratioRow(`\`list --json\`, ${level} programs, both ${meta.plain}`, c('bgrun-json-plain', level), { node: c('node-plain', level) });
      ratioRow(`\`list\`, ${level} programs (pm2: \`ls\`)`, c('bgrun-list', level), { node: c('node', level), pm2warm: c('pm2-ls', level), forever: c('forever-list', level) });
    }
  }
  if (stop) {
    const s = (id) => find(stop.subjects, id);
    if (s('bgrun').simple) ratioRow('stop one program', s('bgrun').simple.ms, { shell: s('shell').simple.ms, pm2warm: s('pm2').simple.ms, forever: s('forever').simple.ms });
    if (s('bgrun').tree) ratioRow('stop a tree of 20', s('bgrun').tree.ms, { shell: s('shell').tree.ms, pm2warm: s('pm2').tree.ms, forever: s('forever').tree.ms });
  }
  if (log) {
    const s = (id) => find(log.subjects, id).ms;
    ratioRow(`${log.bytes / 1024 / 1024} MB through the log`, s('bgrun'), { shell: s('shell'), pm2warm: s('pm2'), forever: s('forever') });
    const w = (id) => find(log.subjects, id).writing;
    ratioRow('…of which the writer busy writing (the data path alone)', w('bgrun'), { shell: w('shell'), pm2warm: w('pm2'), forever: w('forever') });
  }
  if (rows.length) {
    parts.push('\n### Ratios bgrun ÷ peer (medians; below 1 means bgrun takes less time)\n');
    parts.push(table(['measure', '÷ `node -e 0`', '÷ sh baseline', '÷ pm2 (warm)', '÷ pm2 (cold)', '÷ forever'], rows));
    if (list && Math.max(...list.levels) > list.foreverCap) {
      parts.push(`\nforever is capped at ${list.foreverCap} programs; its ratios above that level are not measured (–).`);
    }
  }

  if (start) {
    parts.push('\n### 1. Start latency (ms)\n');
    parts.push(
      'From the start command being spawned to (a) the command returning and (b) the program writing its first line (a timestamp taken first thing in the program).\n',
    );
    const floor = find(start.subjects, 'node').ret;
    const floorPlain = find(start.subjects, 'node-plain')?.ret;
    // A plain-Node row is compared with the plain-Node floor.
    const floorOf = (/** @type {{ id: string }} */ s) => (s.id.endsWith('-plain') && floorPlain ? floorPlain : floor);
    parts.push(
      table(
        ['command', 'returns', 'first line runs', 'returns ÷ `node -e 0`'],
        start.subjects.map((s) => [s.label, cell(s.ret), s.first.length ? cell(s.first) : '–', fmtRatio(ratio(s.ret, floorOf(s)))]),
      ),
    );
  }

  if (list) {
    parts.push('\n### 2. `list` latency (ms) by number of managed programs\n');
    const head = ['command', ...list.levels.map((l) => `${l} program${l === 1 ? '' : 's'}`)];
    parts.push(
      table(
        head,
        list.commands.map((c) => [
          c.label,
          ...list.levels.map((l) => {
            const v = c.byLevel[l];
            if (v === null || v === undefined) return `n/a (capped at ${list.foreverCap})`;
            const capped = c.id === 'forever-list' && l > list.foreverCap ? ` [${list.foreverCap} programs]` : '';
            return cell(v) + capped;
          }),
        ]),
      ),
    );
    parts.push(`\nforever is capped at ${list.foreverCap} programs (each costs a ~40–60 MB monitor process).`);
    if (list.settle) {
      const pct = (/** @type {number} */ x) => `${(100 * x).toFixed(0)} %`;
      const levels = list.levels.filter((/** @type {number} */ l) => list.settle[l]);
      parts.push(
        `\nBefore each level was timed, the run waited for the machine to settle after starting the programs (two 1-second windows in a row at most 15 % busy, or a steady load: three at most 40 % busy and on average no less busy than the three before; at most 60 s): ${levels
          .map((/** @type {number} */ l) => `${l} program${l === 1 ? '' : 's'}: ${(list.settle[l].ms / 1000).toFixed(1)} s, then ${pct(list.settle[l].busy)} busy`)
          .join('; ')}. During the timed rounds the machine was ${levels.map((/** @type {number} */ l) => pct(list.settle[l].during ?? 0)).join(' / ')} busy (the commands being timed run one at a time: about half of 2 cores).`,
      );
    }
  }

  if (stop) {
    parts.push('\n### 3. Stop latency (ms)\n');
    const rowsStop = stop.subjects.map((s) => {
      const out = [s.label, s.stopLabel];
      if (s.simple) {
        const signals = Object.entries(s.simple.signals)
          .map(([k, v]) => `${k}${v === s.simple.trials ? '' : ` ×${v}`}`)
          .join(', ');
        out.push(cell(s.simple.ms), `${s.simple.goneAtReturn}/${s.simple.trials}`, signals);
      } else out.push('–', '–', '–');
      if (s.tree) {
        const o = summarize(s.tree.orphans);
        out.push(cell(s.tree.ms), o.n === 1 || o.min === o.max ? String(o.median) : `${o.median} (${o.min}–${o.max})`);
      } else out.push('–', '–');
      return out;
    });
    parts.push(
      table(['tool', 'stop command', 'stop one program', 'gone when it returns', 'signal the program got', 'stop a tree of 20', 'orphans left of 20'], rowsStop),
    );
    parts.push(
      '\nThe tree: 4 node branches × 4 `sleep`s; branches 3 and 4 start their own session (as daemons and `setsid` children do), so a process-group kill alone misses 10 of the 20. Orphans are counted 0.5 s after the stop command returned.',
    );
  }

  if (list) {
    parts.push("\n### 4. Memory the tool keeps resident for its programs (VmRSS of the tool's own processes)\n");
    const memRows = [];
    const tools = [
      ['bgrun (plain)', 'bgrun', 'no daemon'],
      ['bgrun (supervised)', 'bgrunSup', 'the supervisor'],
      ['pm2', 'pm2', 'the God daemon'],
      ['forever', 'forever', 'one monitor per program'],
    ];
    for (const [label, key, what] of tools) {
      for (const level of list.levels) {
        const m = list.memory[key][level];
        if (key === 'bgrunSup' && !list.supervised) {
          if (level === list.levels[0]) memRows.push([label, '–', what, 'n/a (supervised mode not built yet)', '', '', '', '', '']);
          continue;
        }
        if (!m) continue;
        memRows.push([
          label,
          String(m.programs),
          `${m.count} (${what})`,
          mb(m.rss),
          m.programs ? mb(m.rss / m.programs) : '–',
          mb(m.anon),
          mb(m.programRss),
          `${m.idleCpu.toFixed(1)} %`,
          m.programsIdleCpu === undefined ? '–' : `${m.programsIdleCpu.toFixed(1)} %`,
        ]);
      }
    }
    parts.push(
      table(
        ['tool', 'programs', 'own resident processes', 'their RSS', 'RSS per program', 'of which private (RssAnon)', "a program's own RSS (median)", 'their CPU while idle', "the programs' CPU while idle"],
        memRows,
      ),
    );
    parts.push(
      "\nRSS counts shared pages (the node binary) once per process; the private column is what a process adds on its own. \"A program's own RSS\" is the managed program itself: pm2 runs its wrapper inside the program's process. \"CPU while idle\" is what the tool's processes used (% of one core) over a quiet window with nothing asked of them; \"the programs' CPU\" is what all the managed programs used in that window: the same idle program under every tool, so a difference is the tool's own work done inside them.",
    );
  }

  if (log) {
    parts.push(`\n### 5. Log throughput: ${log.bytes / 1024 / 1024} MB (${log.bytes.toLocaleString('en')} bytes) written to stdout as fast as possible\n`);
    parts.push(
      table(
        ['tool', 'until every byte is in the log (ms)', 'throughput', 'bytes kept (worst run)', "writer's first line (ms)", 'writer busy writing (ms)', '÷ sh'],
        log.subjects.map((s) => {
          const t = summarize(s.ms).median;
          const worst = Math.min(...s.kept);
          return [
            s.label,
            cell(s.ms),
            `${num(log.bytes / 1024 / 1024 / (t / 1000))} MB/s`,
            `${((100 * worst) / log.bytes).toFixed(2)} %`,
            cell(s.firstLine),
            cell(s.writing),
            fmtRatio(ratio(s.ms, find(log.subjects, 'shell').ms)),
          ];
        }),
      ),
    );
    parts.push(
      '\nTimed from the start command being spawned until the log holds every byte (or stopped growing after the writer ended); the writer\'s first line shows what of that is start-up, "busy writing" how long its writes took (pipes to a daemon push back). With bgrun and the shell the kernel appends to the file; pm2 and forever pipe the output through their daemon/monitor.',
    );
  }

  const monit = results.monit;
  if (monit) {
    parts.push(`\n### 6. \`bgrun monit\` with ${monit.programs} programs\n`);
    parts.push(
      table(
        ['what', 'measured'],
        [
          ['drawing the screen, 80 x 24 (ms)', cell(monit.small)],
          ['drawing the screen, 200 x 50 (ms)', cell(monit.large)],
          ["one refresh's data: every record and its /proc figures (ms)", cell(monit.refresh)],
          [`its own CPU, refreshing every second (% of one core, over ${(monit.windowMs / 1000).toFixed(0)} s)`, `${num(monit.cpu)} %`],
          ['its resident memory (VmRSS)', monit.rss === null ? 'n/a' : mb(monit.rss)],
        ],
      ),
    );
    parts.push(
      "\nThe screen is drawn from rows with full 2-minute histories, in the benchmark's own process from the build under test; the CPU and memory are those of the real `bgrun monit` running under a pseudo-terminal of 120 x 40 while the programs idle.",
    );
  }

  if (results.rotation) parts.push(renderRotation(results.rotation));
  const body = parts.join('\n');
  const m = meta.machine;
  const full = [
    '# Benchmarks',
    '',
    `bgrun ${meta.versions.bgrun} against pm2 ${meta.versions.pm2}, forever ${meta.versions.forever} and a plain \`setsid nohup … &\`, measured in one run with the tools interleaved (each round runs every tool once, in a rotating order) so that noise hits them alike. Figures are medians with (min–max) over the repetitions.`,
    '',
    '## Machine and run',
    '',
    table(
      ['', ''],
      [
        ['date', meta.date],
        ['cpu', `${m.cpu}, ${m.cores} cores`],
        ['memory', m.memory],
        ['system', `${m.os}, Linux ${m.kernel}`],
        ['Node', m.node],
        [
          'bgrun build',
          `commit ${meta.commit} (\`npm run build\`, copied aside at the start of the run); the CLI as \`bin/bgrun.js\` loads it${meta.alt ? `, and the ${meta.alt} where marked` : ''}`,
        ],
        [
          'load average',
          `${meta.load.before} before, ${meta.load.after} after (1, 5, 15 min)${meta.nice ? `; the benchmark ran at nice ${meta.nice} (every tool alike)` : ''}`,
        ],
        ['versions', `bgrun ${meta.versions.bgrun}, pm2 ${meta.versions.pm2}, forever ${meta.versions.forever}, ${meta.versions.setsid}`],
        [
          'repetitions',
          `start ${meta.config.startReps}, list ${meta.config.listReps} per level, stop ${meta.config.stopReps}, tree ${meta.config.treeReps}, log ${meta.config.logReps}${meta.config.warmUp ? ' (after one untimed warm-up round for start and list)' : ''}`,
        ],
        [
          'reproduce',
          `\`npm run bench\` (\`-- --write\` rewrites this file, \`-- --quick\` is a short check); this run: \`${meta.command}\`, ${Math.round(meta.seconds)} s`,
        ],
      ],
    ),
    '',
    body,
    '',
    '## How to read this',
    '',
    '- Every Node CLI pays for starting Node: `node -e 0` is that floor on this machine. A ratio to it says how much a command costs beyond starting Node.',
    ...(meta.plain
      ? [
          `- This run's environment sets ${meta.startupVars.map((/** @type {string} */ k) => `\`${k}\``).join(', ')}, which every Node process pays for at start-up (NODE_EXTRA_CA_CERTS: a certificate bundle read and parsed before the first line). The tools ran with the environment as it was, like a user's commands; since a cost added to both sides of a ratio flatters it, the floor and bgrun were also measured ${meta.plain} (rows and targets marked so), each compared with the floor measured the same way.`,
        ]
      : []),
    '- This machine may be shared: the load average row says how busy it was. Noise widens the (min–max) and the per-round ratio ranges; a verdict close to its threshold with a wide per-round range is not settled by one run.',
    '- With 200 programs per tool (about 650 processes) the machine stays busy for many seconds after every process exists (their start-up, the tools\' own work after a burst of starts); the run waits for it to settle before timing, and still compares every `list` figure with the floor measured in the same phase, never across phases.',
    '- Ratios are bgrun ÷ peer of the medians: 0.50× means bgrun took half the time of the peer. (min–max) shows the spread; on a 2-core machine a single run can be disturbed, the median much less.',
    "- pm2 cold is its first command when its daemon is not running (it starts the daemon); warm is every later command. bgrun has no daemon, so it is always 'cold'.",
    '- "first line runs" is when the program itself is running, which is what a user waits for: some tools return before (forever starts a monitor that starts the program), some after.',
    '- Memory is what each tool keeps resident besides the programs: bgrun in plain mode keeps nothing; pm2 keeps one daemon; forever one monitor per program (so it is capped at 50 programs here).',
    "- Stop latency is until the stop command returns; \"gone when it returns\" tells whether the program was really gone then. pm2 sends SIGINT by default, forever SIGKILL (no graceful shutdown); the program's own record of the signal shows it.",
    '- Log throughput: bytes kept counts only the writer\'s own lines (forever adds lines of its own to its log).',
    '- Each tool ran with private state folders (BGRUN_HOME, PM2_HOME, FOREVER_ROOT) in a temporary folder and the caller\'s environment minus the npm_* variables of `npm run`.',
    '',
  ].join('\n');
  return { body, full, targets };
}
