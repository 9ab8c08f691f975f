import { type ChildProcess, spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { BIN, type Sandbox } from './bgrun.js';

export interface Live {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `bgrun run ...` as a live foreground process; killed by pid at teardown. */
export function runLive(t: ExecutionContext, box: Sandbox, args: string[], command = [process.execPath, BIN]): Live {
  const [file, ...pre] = command;
  const child = spawn(file!, [...pre, 'run', ...args], { cwd: box.dir, env: { ...process.env, ...box.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => text, exited };
}

