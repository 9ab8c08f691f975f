import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { BIN, fixture, isAlive, readText, sandbox, sweepAll, waitFor } from '../helpers/bgrun.js';
import { LONG, procStat } from '../helpers/proc.js';

test.after.always(sweepAll);

/** The highest tick number the ticker has logged so far. */
function lastTick(outLog: string): number {
  const ticks = [...readText(outLog).matchAll(/^tick \d+ (\d+)$/gm)];
  return ticks.length === 0 ? 0 : Number(ticks[ticks.length - 1]![1]);
}

/** The command typed into the terminal: start the ticker, then keep the terminal's shell busy. */
function terminalCommand(pidFile: string): string {
  return `echo $$ > ${pidFile}; ${process.execPath} ${BIN} start --name hup ${fixture('ticker.js')} && exec sleep 300`;
}

async function assertSurvived(t: ExecutionContext, box: ReturnType<typeof sandbox>, shellPid: number): Promise<void> {
  // The shell of the terminal, a session leader on it, is gone: the hang-up happened.
  await waitFor(() => !isAlive(shellPid), { timeout: LONG, what: 'the terminal shell to die of the hang-up' });
  const record = box.record('hup');
  const pid = record.pid!;
  t.true(isAlive(pid), 'the program survived the hang-up');
  const stat = procStat(pid)!;
  t.is(stat.sid, pid, 'in its own session, not the terminal one');
  t.is(stat.ttyNr, 0, 'no controlling terminal');
  // Still logging: new lines after the hang-up.
  const after = lastTick(record.outLog as string);
  await waitFor(() => lastTick(record.outLog as string) > after + 2, { timeout: LONG, what: 'new ticks after the hang-up' });
  const listed = await box.run(['list', '--json']);
  t.is(JSON.parse(listed.stdout)[0].status, 'running');
}

test('a program started in a terminal (script) survives the terminal going away', async (t) => {
  const box = sandbox(t);
  const shellPidFile = path.join(box.dir, 'shell.pid');
  // script(1) gives the command a real pseudo-terminal; it carries BGRUN_HOME, so teardown kills it.
  const term = execa('script', ['-qec', terminalCommand(shellPidFile), '/dev/null'], {
    env: box.env,
    stdin: 'ignore',
    reject: false,
  });
  t.teardown(() => {
    term.kill('SIGKILL');
  });
  const shellPid = await waitFor(() => Number(readText(shellPidFile).trim()) || null, { timeout: LONG, what: 'terminal shell pid' });
  t.not(procStat(shellPid)!.ttyNr, 0, 'the shell runs on a terminal');
  await waitFor(() => fs.existsSync(path.join(box.home, 'records', 'hup.json')) && box.record('hup').status === 'running', {
    timeout: LONG,
    what: 'hup running',
  });
  const record = box.record('hup');
  await waitFor(() => lastTick(record.outLog as string) > 0, { timeout: LONG, what: 'first tick' });
  await waitFor(() => procStat(shellPid)?.state === 'S' && readText(`/proc/${shellPid}/cmdline`).startsWith('sleep'), {
    timeout: LONG,
    what: 'bgrun start to return in the terminal',
  });
  // Kill the terminal emulator: the kernel hangs up the terminal and sends SIGHUP to its session.
  term.kill('SIGKILL');
  await term;
  await assertSurvived(t, box, shellPid);
});

const tmuxAvailable = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

(tmuxAvailable ? test : test.skip)('a program started in a tmux session survives the tmux server being killed', async (t) => {
  const box = sandbox(t);
  const socket = `bgrun-test-${process.pid}-${path.basename(box.dir)}`;
  const tmux = (...args: string[]) => execa('tmux', ['-L', socket, ...args], { env: box.env, reject: false, stdin: 'ignore' });
  t.teardown(async () => {
    await tmux('kill-server');
    // A killed server can leave its socket file behind.
    fs.rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  });
  const shellPidFile = path.join(box.dir, 'shell.pid');
  const created = await tmux('new-session', '-d', '-x', '80', '-y', '24', terminalCommand(shellPidFile));
  t.is(created.exitCode, 0, created.stderr);
  const shellPid = await waitFor(() => Number(readText(shellPidFile).trim()) || null, { timeout: LONG, what: 'pane shell pid' });
  t.not(procStat(shellPid)!.ttyNr, 0, 'the pane runs on a terminal');
  await waitFor(() => fs.existsSync(path.join(box.home, 'records', 'hup.json')) && box.record('hup').status === 'running', {
    timeout: LONG,
    what: 'hup running',
  });
  await waitFor(() => readText(`/proc/${shellPid}/cmdline`).startsWith('sleep'), { timeout: LONG, what: 'bgrun start to return in the pane' });
  // Our own server only (private socket): it hangs up its panes with SIGHUP.
  const killed = await tmux('kill-server');
  t.is(killed.exitCode, 0, killed.stderr);
  await assertSurvived(t, box, shellPid);
});
