import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { pm2FlagHint } from '../../src/pm2-flags.js';
import { ROOT, type Sandbox, sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

/**
 * `bgrun help`, each command's `--help` and the README name the same commands and
 * options, so that they cannot drift apart again.
 */

/** Flags the README names that belong to other programs: the examples' own, Node's, npm's, kubectl's. */
const OTHER_PROGRAMS = new Set(['port', 'queue', 'import', 'inspect', 'max-old-space-size', 'global', 'from-env-file']);

interface Section {
  heading: string;
  /** The commands its heading names (`bgrun stop`, `bgrun export systemd` → stop, export). */
  commands: string[];
  text: string;
}

function readmeSections(): { sections: Section[]; readme: string } {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('\n## Commands\n');
  const to = readme.indexOf('\n## ', from + 1);
  const sections = readme
    .slice(from, to)
    .split(/\n(?=### )/)
    .slice(1)
    .map((text) => {
      const heading = text.slice(0, text.indexOf('\n'));
      return { heading, commands: [...heading.matchAll(/`bgrun ([a-z][\w-]*)/g)].map((m) => m[1]!), text };
    });
  return { sections, readme };
}

const flagsIn = (text: string) => new Set([...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));

/** Each command's options as its --help lists them, and every option any help text names (`--node-args` in a description). */
async function helpOf(box: Sandbox): Promise<{ options: Map<string, string[]>; mentioned: Set<string> }> {
  const main = await box.run(['help']);
  if (main.exitCode !== 0) throw new Error(`bgrun help: ${main.stderr}`);
  const list = main.stdout.slice(main.stdout.indexOf('Commands:\n'), main.stdout.indexOf('\n\n', main.stdout.indexOf('Commands:\n')));
  const commands = [...list.matchAll(/^ {2}([a-z][\w-]*) {2,}/gm)].map((m) => m[1]!);
  const options = new Map<string, string[]>();
  const mentioned = flagsIn(main.stdout);
  for (let i = 0; i < commands.length; i += 4) {
    await Promise.all(
      commands.slice(i, i + 4).map(async (command) => {
        const result = await box.run([command, '--help']);
        if (result.exitCode !== 0) throw new Error(`bgrun ${command} --help: ${result.stderr}`);
        const names = [...result.stdout.matchAll(/^ {2,}(?:-\w, )? *--([a-z][a-z0-9-]*)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
        options.set(command, names);
        for (const flag of flagsIn(result.stdout)) mentioned.add(flag);
      }),
    );
  }
  return { options: new Map(commands.map((c) => [c, options.get(c)!])), mentioned };
}

test('help and the README name the same commands, and each command’s options in its README section', async (t) => {
  const box = sandbox(t);
  const { options: help, mentioned } = await helpOf(box);
  const { sections, readme } = readmeSections();
  t.true(help.size > 20, [...help.keys()].join(' '));

  // The same commands: each in help has a README section, each section names commands of help.
  const documented = new Set(sections.flatMap((s) => s.commands));
  t.deepEqual([...help.keys()].filter((c) => !documented.has(c)), [], 'commands of bgrun help with no "### `bgrun <command>`" section in the README');
  t.deepEqual([...documented].filter((c) => !help.has(c)), [], 'commands of README headings that bgrun help does not list');

  // Every option of a command's --help is in a README section about that command.
  const missing: string[] = [];
  for (const [command, options] of help) {
    const text = sections.filter((s) => s.commands.includes(command)).map((s) => s.text).join('\n');
    const named = flagsIn(text);
    for (const option of options) if (!named.has(option)) missing.push(`${command} --${option}`);
  }
  t.deepEqual(missing, [], 'options of --help missing from their command’s README section');

  // Every option in a README heading is an option of a command that heading names.
  const wrong: string[] = [];
  for (const section of sections) {
    const own = new Set(['help', 'version', ...section.commands.flatMap((c) => help.get(c) ?? [])]);
    for (const flag of flagsIn(section.heading)) if (!own.has(flag)) wrong.push(`${section.heading}: --${flag}`);
  }
  t.deepEqual(wrong, [], 'README headings naming options their commands do not have');

  // Every --flag anywhere in the README is one a help text names, a pm2 flag bgrun answers with a hint, or another program's.
  const ours = new Set(['help', 'version', ...mentioned]);
  const unknown = [...flagsIn(readme)].filter((f) => !ours.has(f) && pm2FlagHint(f) === null && !OTHER_PROGRAMS.has(f));
  t.deepEqual(unknown, [], 'README options that no command of bgrun has');
});
