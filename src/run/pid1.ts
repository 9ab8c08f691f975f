/**
 * `bgrun run` as PID 1 (a container's main process). PID 1 must reap every orphan
 * re-parented to it, and Node cannot: libuv waits only for the children it spawned, so
 * orphans of a Node PID 1 stay zombies. bin/bgrun-init is a tiny POSIX-shell init (its
 * `wait` reaps any child, its traps forward signals) that runs bgrun as its child.
 * Where Node can replace itself (process.execve, Node 22.15+), bgrun run started as
 * PID 1 becomes that init, which starts it again as its child; elsewhere it says how to
 * put an init in front of it.
 */
import { installFile } from '../install-root.js';

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

export type Pid1Plan = { kind: 'not-pid1' } | { kind: 'exec'; file: string; args: string[] } | { kind: 'warn'; message: string };

/** What `bgrun run` does about being PID 1 (pure, for tests). */
export function planPid1(pid: number, canExec: boolean, init: string | null, argv: string[], execPath: string, execArgv: string[]): Pid1Plan {
  if (pid !== 1) return { kind: 'not-pid1' };
  if (canExec && init !== null) {
    return { kind: 'exec', file: '/bin/sh', args: ['/bin/sh', init, execPath, ...execArgv, ...argv.slice(1)] };
  }
  return {
    kind: 'warn',
    message:
      "warning: bgrun run is PID 1 and this Node cannot reap orphaned processes (zombies would pile up): start it as 'bgrun-init bgrun run', under tini, or with 'docker run --init'",
  };
}

/**
 * Called first by `bgrun run`: as PID 1 with an execve, never returns (this process
 * becomes bin/bgrun-init, which runs the same command again as its child). Otherwise
 * returns a warning to print, or null.
 */
export function ensureReaper(): string | null {
  const execve = (process as unknown as { execve?: Execve }).execve;
  const plan = planPid1(process.pid, typeof execve === 'function', installFile('bin/bgrun-init'), process.argv, process.execPath, process.execArgv);
  if (plan.kind === 'not-pid1') return null;
  if (plan.kind === 'warn') return plan.message;
  try {
    execve!(plan.file, plan.args, process.env);
  } catch (error) {
    return `warning: bgrun run is PID 1 and could not put bin/bgrun-init in front of itself (${error instanceof Error ? error.message : String(error)}); orphaned processes will not be reaped`;
  }
  return null;
}
