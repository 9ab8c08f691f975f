/** pm2's app keys as bgrun reads them: the ones with a bgrun meaning, and the ones refused with a reason. */

/**
 * pm2 keys accepted only with the value that says what bgrun does anyway (the pm2 keys
 * with a bgrun meaning are in the option table, options/start-options.ts). An option that
 * gives one of these a meaning removes it from here.
 */
export const PM2_FIXED: Record<string, { values: readonly unknown[]; expected: string }> = {};

/** pm2 keys that bgrun does not support, and why: refused rather than silently ignored. */
export const PM2_UNSUPPORTED: Record<string, string> = {
  pid_file: 'bgrun keeps pidfiles in its state folder',
  node_args: 'in a bgrun.config file, use interpreterArgs (pm2 files read it as pm2 does)',
  interpreter_args: 'in a bgrun.config file, use interpreterArgs (pm2 files read it as pm2 does)',
  exec_interpreter: 'in a bgrun.config file, use interpreter (pm2 files read it as pm2 does)',
  wait_ready: 'use ready, e.g. ready: "tcp:3000" or ready: "log:/listening/"',
  listen_timeout: 'use readyTimeout together with ready',
  shutdown_with_message: 'bgrun stops with a signal',
  source_map_support: 'pass interpreter: "node --enable-source-maps"',
  vizion: 'bgrun does not track versions',
  force: 'bgrun never starts a second instance of a running app',
  env_file: 'for a .env file use envFile (env_<name> is a pm2 environment)',
};
