import fs from 'node:fs';
import type { CompletionSpec } from '../completion/spec.js';
import { UsageError } from '../errors.js';
import type { Command } from './command.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** The spec from the command table (table.ts), so every command and option is completed. */
async function buildSpec(): Promise<CompletionSpec> {
  const { COMMAND_TABLE, PM2_VERBS } = await import('./table.js');
  const { completionCommand, pm2VerbCommands } = await import('../completion/spec.js');
  const commands = [];
  for (const entry of COMMAND_TABLE) {
    if (entry.hidden) continue; // helpers such as __names
    commands.push(completionCommand(await entry.load(), entry));
  }
  return { commands: [...commands, ...pm2VerbCommands(commands, PM2_VERBS)] };
}

export const completion: Command = {
  name: 'completion',
  usage: 'bgrun completion bash|zsh|fish',
  options: [],
  noSupervisor: true,
  async run(args, _ctx, io) {
    const shell = args.positionals[0];
    if (!shell) throw new UsageError(`missing shell: ${this.usage}`);
    if (!SHELLS.includes(shell as Shell)) throw new UsageError(`unknown shell '${shell}': use bash, zsh or fish`);
    const spec = await buildSpec();
    let script: string;
    if (shell === 'bash') script = (await import('../completion/bash.js')).bashScript(spec);
    else if (shell === 'zsh') script = (await import('../completion/zsh.js')).zshScript(spec);
    else script = (await import('../completion/fish.js')).fishScript(spec);
    io.out(script.trimEnd());
    return 0;
  },
};

/** Hidden: the names of managed programs, one per line, for the completion scripts. Reads file names only. */
export const names: Command = {
  name: '__names',
  usage: 'bgrun __names',
  options: [],
  noSupervisor: true,
  async run(_args, ctx, io) {
    const { isValidName } = await import('../core/records/names.js');
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(ctx.paths.records);
    } catch {
      return 0; // no state folder yet: no names
    }
    const found = entries
      .filter((e) => e.endsWith('.json'))
      .map((e) => e.slice(0, -5))
      .filter(isValidName)
      .sort();
    if (found.length > 0) io.out(found.join('\n'));
    return 0;
  },
};
