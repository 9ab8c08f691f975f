import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { COMMAND_TABLE, findCommand, listedSummary } from '../../../src/commands/table.js';
import { ROOT } from '../../helpers/bgrun.js';

test('every entry loads its command, of the same name; names and aliases are unique', async (t) => {
  const names = new Set<string>();
  for (const entry of COMMAND_TABLE) {
    const command = await entry.load();
    t.is(command.name, entry.name);
    t.true(command.usage.startsWith(`bgrun ${entry.name}`), entry.name);
    for (const name of [entry.name, ...entry.aliases]) {
      t.false(names.has(name), name);
      names.add(name);
      t.is(findCommand(name), entry);
    }
  }
  t.is(findCommand('nope'), undefined);
});

test("the README's command table lists every command, its aliases and its summary", (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rows = COMMAND_TABLE.filter((c) => !c.hidden).map((c) => `| \`${c.name}\` | ${listedSummary(c).replace(/\|/g, '\\|')} |`);
  const block = ['| command | what it does |', '|---|---|', ...rows].join('\n');
  t.true(readme.includes(block), `README.md should hold this table (paste it under "## Commands"):\n\n${block}\n`);
});
