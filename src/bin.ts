/**
 * The entry of the CLI bundle (bin/bgrun.js loads it): the only module that runs a
 * command when it is loaded. Everything else only defines.
 */
import { main, report } from './cli.js';
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

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, io, false) || EXIT_USAGE;
  },
);
