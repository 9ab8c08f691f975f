import type { LaunchItem, LaunchResult } from './lifecycle/launch.js';
import type { ProcessRecord } from './records/record.js';
import { type StatePaths, resolveHome, statePaths } from './paths.js';

/**
 * How the core hands work to the supervisor without knowing it (the core imports no
 * supervisor code): the caller passes these in (src/context.ts builds them).
 */
export interface SupervisorHooks {
  /** Starts a supervised record through the supervisor (supervisor/delegate.ts). */
  launch(ctx: Context, record: ProcessRecord, waitMs: number): Promise<LaunchResult>;
  /** Several supervised records at once: the supervisor checked and woken once, each settled as `launch` settles it. */
  launchMany?(ctx: Context, items: LaunchItem[]): Promise<PromiseSettledResult<LaunchResult>[]>;
  /** Makes sure a supervisor runs, for the log keeper of plain programs (supervisor/ensure.ts). */
  ensure(ctx: Context): Promise<void>;
}

/** Which state folder and environment an operation works with; the CLI and the library build one alike. */
export interface Context {
  paths: StatePaths;
  env: NodeJS.ProcessEnv;
  /** Absent: supervised starts are refused (a context built by the core alone, as in unit tests). */
  supervisor?: SupervisorHooks;
}

export interface ContextOptions {
  /** The state folder; defaults to BGRUN_HOME, then XDG_STATE_HOME/bgrun, then ~/.local/state/bgrun. */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export function createContext(options: ContextOptions = {}): Context {
  const env = options.env ?? process.env;
  return { paths: statePaths(options.home ?? resolveHome(env)), env };
}
