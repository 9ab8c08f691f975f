import { type StatePaths, resolveHome, statePaths } from './paths.js';

/** Which state folder and environment an operation works with; the CLI and the library build one alike. */
export interface Context {
  paths: StatePaths;
  env: NodeJS.ProcessEnv;
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
