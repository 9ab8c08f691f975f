import { type ChildProcess, spawn } from 'node:child_process';
import test, { type ExecutionContext } from 'ava';
import { BIN, type Sandbox, fixture, sandbox, waitFor } from '../helpers/bgrun.js';

interface Screen {
  child: ChildProcess;
  output: () => string;
  keys: (text: string) => void;
  exited: Promise<number | null>;
}

const LEAVE = '\x1b[?25h\x1b[?1049l';

/** `bgrun monit` under a real pseudo-terminal of 80 x 24 (util-linux script), keys written to it. */
function monitInPty(t: ExecutionContext, box: Sandbox, env: Record<string, string> = {}): Screen {
  const command = `stty cols 80 rows 24; exec '${process.execPath}' '${BIN}' monit`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...box.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => text, keys: (k) => child.stdin!.write(k), exited };
}

/** The last frame drawn (the screen is redrawn from its top-left corner each time). */
function lastFrame(output: string): string[] {
  const frame = output.slice(output.lastIndexOf('\x1b[H') + 3);
  return frame
    .replace(/\x1b\[\?25h\x1b\[\?1049l[\s\S]*$/, '')
    .replace(/\x1b\[[KJ]/g, '')
    .split(/\r*\n/);
}

test('without a terminal it says so in one line and exits 2', async (t) => {
  const box = sandbox(t);
  const result = await box.run(['monit']);
  t.is(result.exitCode, 2);
  t.is(result.stderr, "bgrun: monit needs a terminal and stdout is not one; use 'bgrun list' (or list --json)");
  t.is((await box.run(['top'])).exitCode, 2);
});

test('draws every program with its figures in 80 x 24, r restarts the selected one, q restores the terminal and exits 0', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'alpha', fixture('ready.js')])).exitCode, 0);
  t.is((await box.run(['start', '--name', 'beta', fixture('ticker.js')])).exitCode, 0);
  const before = box.record('alpha').pid;
  const screen = monitInPty(t, box);
  await waitFor(() => /beta +running/.test(screen.output()) && /alpha +running/.test(screen.output()), { timeout: 60_000, what: 'both rows' });
  const frame = lastFrame(screen.output());
  t.is(frame.length, 24, frame.join('\n'));
  for (const line of frame) t.true([...line].length <= 80, `wider than 80: ${line}`);
  t.regex(frame[0]!, /^bgrun monit {2}2 programs, 2 running/);
  t.regex(frame.join('\n'), new RegExp(`>alpha +running +${before} +[\\d.]+% +[\\d.]+ [KMG]?B +0`));
  t.false(screen.output().includes('\x1b[3'), 'no colour with NO_COLOR');

  screen.keys('r');
  await waitFor(() => box.record('alpha').pid !== before && box.record('alpha').status === 'running', { timeout: 60_000, what: 'the restart' });
  await waitFor(() => screen.output().includes('restarted alpha'), { timeout: 30_000, what: 'the message' });
  screen.keys('q');
  t.is(await screen.exited, 0);
  t.true(screen.output().endsWith(LEAVE) || screen.output().trimEnd().endsWith(LEAVE), JSON.stringify(screen.output().slice(-60)));
});

test('SIGTERM restores the terminal too', async (t) => {
  const box = sandbox(t);
  const screen = monitInPty(t, box);
  await waitFor(() => screen.output().includes('no programs yet'), { timeout: 60_000, what: 'the empty view' });
  // The monit process: script's child.
  const { readFileSync } = await import('node:fs');
  const pid = Number(readFileSync(`/proc/${screen.child.pid}/task/${screen.child.pid}/children`, 'utf8').trim().split(' ')[0]);
  process.kill(pid, 'SIGTERM');
  await screen.exited;
  t.true(screen.output().includes(LEAVE));
});

test('follows a resize of its terminal', async (t) => {
  const box = sandbox(t);
  const screen = monitInPty(t, box);
  await waitFor(() => screen.output().includes('no programs yet'), { timeout: 60_000, what: 'the first view' });
  const { readFileSync, readlinkSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const pid = Number(readFileSync(`/proc/${screen.child.pid}/task/${screen.child.pid}/children`, 'utf8').trim().split(' ')[0]);
  // The kernel sends SIGWINCH to the terminal's foreground group when its size changes.
  execFileSync('stty', ['-F', readlinkSync(`/proc/${pid}/fd/1`), 'cols', '100', 'rows', '30']);
  await waitFor(() => lastFrame(screen.output()).length === 30 && lastFrame(screen.output())[0]!.length === 100, { timeout: 30_000, what: 'a 100 x 30 frame' });
  screen.keys('q');
  t.is(await screen.exited, 0);
});

test('j moves the selection, x stops and s starts the selected program, / filters by name, l follows its logs and Ctrl-C comes back, Ctrl-C quits', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'alpha', fixture('ready.js')])).exitCode, 0);
  t.is((await box.run(['start', '--name', 'beta', fixture('ticker.js')])).exitCode, 0);
  t.teardown(() => box.run(['stop', 'all']));
  const screen = monitInPty(t, box);
  const frame = () => lastFrame(screen.output()).join('\n');
  await waitFor(() => />alpha +running/.test(frame()) && /beta +running/.test(frame()), { timeout: 60_000, what: 'both rows' });
  screen.keys('j');
  await waitFor(() => />beta +running/.test(frame()), { timeout: 30_000, what: 'beta selected' });
  screen.keys('x');
  await waitFor(() => box.record('beta').status === 'stopped' && /stopped beta/.test(frame()), { timeout: 60_000, what: 'beta stopped' });
  t.is(box.record('alpha').status, 'running', 'only the selected program');
  screen.keys('s');
  await waitFor(() => box.record('beta').status === 'running' && /started beta \(pid \d+\)/.test(frame()), { timeout: 60_000, what: 'beta started' });
  screen.keys('/');
  screen.keys('alp');
  screen.keys('\r');
  await waitFor(() => /filter 'alp': 1/.test(frame()) && !/beta +running/.test(frame()), { timeout: 30_000, what: 'the filtered view' });
  t.regex(frame(), />alpha +running/);
  const entered = screen.output().split('\x1b[?1049h').length;
  screen.keys('l');
  await waitFor(() => /following alpha's logs; Ctrl-C goes back[\s\S]*ready \d+/.test(screen.output()), { timeout: 60_000, what: 'the logs' });
  screen.keys('\x03');
  await waitFor(() => screen.output().split('\x1b[?1049h').length > entered && /alpha +running/.test(frame()), { timeout: 60_000, what: 'the view again' });
  screen.keys('\x03');
  t.is(await screen.exited, 0);
  t.true(screen.output().trimEnd().endsWith(LEAVE), JSON.stringify(screen.output().slice(-60)));
});

/** The distinct uptimes of `name`'s row in the frames drawn since the view was entered for the `entered`-th time. */
function uptimesSince(output: string, entered: number, name: string): Set<string> {
  const since = output.split('\x1b[?1049h').slice(entered).join('');
  return new Set([...since.matchAll(new RegExp(`${name} +running +\\d+ +[\\d.]+% +[\\d.]+ [KMG]?B +\\d+ +(\\S+)`, 'g'))].map((m) => m[1]!));
}

test('back from l (the logs) with Ctrl-C, the view is refreshed every second again, not drawn once', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'ticker', fixture('ticker.js')])).exitCode, 0);
  t.teardown(() => box.run(['stop', 'all']));
  const screen = monitInPty(t, box);
  await waitFor(() => /ticker +running/.test(lastFrame(screen.output()).join('\n')), { timeout: 60_000, what: 'the row' });
  const entered = screen.output().split('\x1b[?1049h').length;
  screen.keys('l');
  const header = "following ticker's logs; Ctrl-C goes back";
  const ticks = () => [...screen.output().slice(screen.output().indexOf(header)).matchAll(/tick \d+ (\d+)/g)].map((m) => Number(m[1]));
  await waitFor(() => screen.output().includes(header) && ticks().length > 0, { timeout: 60_000, what: 'the logs' });
  // Stay in the logs past the refresh due meanwhile (60 more ticks of 50 ms: 3 s): a quick return hid the bug.
  const first = Math.max(...ticks());
  await waitFor(() => Math.max(...ticks()) >= first + 60, { timeout: 60_000, what: '3 s of logs' });
  screen.keys('\x03');
  await waitFor(() => uptimesSince(screen.output(), entered, 'ticker').size >= 3, { timeout: 30_000, what: "the first frame back and two refreshes (ticker's uptime advancing)" });
  screen.keys('q');
  t.is(await screen.exited, 0);
});

test('on a terminal without NO_COLOR it draws in colour', async (t) => {
  const box = sandbox(t);
  t.is((await box.run(['start', '--name', 'alpha', fixture('ready.js')])).exitCode, 0);
  t.teardown(() => box.run(['stop', 'all']));
  // An undefined value removes the variable from the child's environment.
  const screen = monitInPty(t, box, { NO_COLOR: undefined } as unknown as Record<string, string>);
  await waitFor(() => /alpha/.test(screen.output()) && screen.output().includes('running'), { timeout: 60_000, what: 'the row' });
  t.regex(screen.output(), /\x1b\[1m(\x1b\[[0-9;]*[A-Za-z])*bgrun monit/, 'a bold title');
  t.regex(screen.output(), /\x1b\[90m/, 'grey headings');
  screen.keys('q');
  t.is(await screen.exited, 0);
});
