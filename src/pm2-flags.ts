/**
 * pm2's command-line flags that mean something bgrun does another way (or not at
 * all): an unknown option that is one of these gets one line saying what to use.
 */
const NO_MEANING = 'pm2 monitoring and versioning have no equivalent here: leave it out';

const HINTS: Record<string, string> = {
  'no-autorestart': "no restart is bgrun's default for a program started on the command line: leave it out (--restart always restarts it)",
  'max-memory-restart': 'use --max-memory <size> (with --restart on-failure or always)',
  'no-daemon': "use 'bgrun run <script>' to run it in the foreground",
  attach: "start it, then 'bgrun logs <name> --follow'",
  'wait-ready': 'use --ready tcp:PORT (or --ready http://127.0.0.1:PORT/health, --ready log:/listening/)',
  'listen-timeout': 'use --ready-timeout <duration> with --ready',
  'shutdown-with-message': "bgrun stops with a signal: 'bgrun stop <name> --signal <SIG>'",
  force: 'bgrun never starts a second copy under one name: give --name <other> for another',
  'update-env': "restart takes it: 'bgrun restart <name> --update-env'",
  'no-treekill': 'bgrun always stops the whole process tree',
  user: 'bgrun runs programs as the user who runs it: run bgrun as that user',
  uid: 'bgrun runs programs as the user who runs it: run bgrun as that user',
  gid: 'bgrun runs programs as the user who runs it: run bgrun as that user',
  'no-vizion': NO_MEANING,
  'no-pmx': NO_MEANING,
  'no-automation': NO_MEANING,
  'deep-monitoring': NO_MEANING,
  trace: NO_MEANING,
  'disable-trace': NO_MEANING,
  'source-map-support': 'for source maps in Node, use --interpreter-args --enable-source-maps',
  'disable-source-map-support': 'bgrun adds nothing to the program, source maps included: leave it out',
  silent: 'bgrun prints one line per program; leave it out (or use --json)',
  'no-autostart': 'leave the program out of the command, or --only the apps to start',
};

/** One line for an unknown option that is pm2's, else null. */
export function pm2FlagHint(option: string): string | null {
  const hint = HINTS[option];
  return hint === undefined ? null : `pm2's --${option}: ${hint}`;
}
