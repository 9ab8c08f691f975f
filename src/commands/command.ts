import type { OptionSpec, Parsed } from '../cli-args.js';
import type { Context } from '../core/context.js';

import type { Io } from '../stdio.js';

export type { Io };

export interface Command {
  /** As in the command table (table.ts), which holds its aliases and summary. */
  name: string;
  usage: string;
  options: OptionSpec[];
  /** Options end at the program: start's program keeps its own options. */
  stopAtPositional?: boolean;
  /** Never needs the supervisor, so the CLI does not bring one back first (completion, __names). */
  noSupervisor?: boolean;
  run(args: Parsed, ctx: Context, io: Io): Promise<number>;
}

export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'print JSON' };
