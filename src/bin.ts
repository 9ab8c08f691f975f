/**
 * The entry of the CLI bundle (bin/bgrun.js loads it): the only module that runs a
 * command when it is loaded. Everything else only defines.
 */
import { main, report, type RunRare } from './cli.js';
import type { Io } from './commands/command.js';
import { EXIT_USAGE } from './errors.js';
import { isTerminal, writeErr, writeOut } from './stdio.js';

let color: boolean | undefined;
const io: Io = {
  out: writeOut,
  err: writeErr,
  // Asked only by commands that print tables or names: the others never look at the terminal.
  get color() {
    // FORCE_COLOR as Node reads it wins (0 or false: never); else NO_COLOR or TERM=dumb turn colours off; else only on a terminal.
    const force = process.env.FORCE_COLOR;
    color ??= force !== undefined ? !['0', 'false'].includes(force.toLowerCase()) : !process.env.NO_COLOR && process.env.TERM !== 'dumb' && isTerminal(1);
    return color;
  },
};

/**
 * In the CLI bundle, the rarely run commands are in a bundle of their own, which the build
 * gives this one as `__bgrunRare` (scripts/bundle-cli.mjs). Run from tsc's output (dist/bin.js),
 * there is none: every command is imported from there.
 */
declare const __bgrunRare: (() => { main: RunRare }) | undefined;
const runRare: RunRare | undefined = typeof __bgrunRare === 'function' ? (given, out) => __bgrunRare().main(given, out) : undefined;

main(process.argv.slice(2), io, runRare).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, io, false) || EXIT_USAGE;
  },
);
