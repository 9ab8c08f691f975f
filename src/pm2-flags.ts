/**
 * pm2's command-line flags that mean something bgrun does another way (or not at
 * all): an unknown option that is one of these gets one line saying what to use.
 */
const NO_MEANING = 'pm2 monitoring and versioning have no equivalent here: leave it out';
const FORK_MODE = "bgrun runs every program as a process of its own (pm2's fork mode) unless --cluster: leave it out";

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
  // --log-time is a flag, this takes a format: not an alias, or the format would be read as the program.
  'log-date-format': "use --log-time (or --time); 'bgrun logs -t' prints each line's time, always as ISO 8601 (the log itself is left as the program wrote it)",
  'execute-command': FORK_MODE,
};

/**
 * pm2's one-letter flags of `pm2 start` that bgrun has no letter for. Its long spellings of
 * these settings are bgrun's aliases (start-options.ts), but a letter is kept for bgrun's own
 * options. Each is about one of bgrun's options (`about`): a command without it (`list -x`)
 * gets no pm2 hint. `-e` is bgrun's --env; pm2EnvFileHint covers pm2's `-e <file>`.
 */
const SHORT_HINTS: Record<string, { about: string; hint: string }> = {
  o: { about: 'out-log', hint: "use --out-log <file> (or pm2's --output <file>)" },
  l: { about: 'log', hint: 'use --log <file>' },
  c: { about: 'cron-restart', hint: "use --cron-restart <expr> (or pm2's --cron <expr>)" },
  x: { about: 'cluster', hint: FORK_MODE },
  f: { about: 'name', hint: HINTS.force! },
};

/** One line for an unknown option that is pm2's, else null. */
export function pm2FlagHint(option: string): string | null {
  const hint = HINTS[option];
  return hint === undefined ? null : `pm2's --${option}: ${hint}`;
}

/** The same for an unknown one-letter option (`o` for `-o`) of a command that has the option it is about. */
export function pm2ShortFlagHint(letter: string, hasOption: (name: string) => boolean): string | null {
  const short = SHORT_HINTS[letter];
  return short === undefined || !hasOption(short.about) ? null : `pm2's -${letter}: ${short.hint}`;
}

/**
 * pm2's `-e <file>` is its error log; bgrun's `-e` is --env. A value with no `=` that ends in
 * `.log` is that mistake: what to say instead of "expected KEY=VALUE" alone. Null otherwise.
 */
export function pm2EnvFileHint(value: string): string | null {
  if (value.includes('=') || !/\.log$/i.test(value)) return null;
  return "the argument looks like a log file: pm2's -e <file> is --err-log <file> here (or pm2's --error <file>)";
}
