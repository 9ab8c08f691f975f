import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sandbox, sweepAll } from '../helpers/bgrun.js';

test.after.always(sweepAll);

test("pm2's verbs that bgrun answers (jlist, prettylist) are completed by bash, zsh and fish, with list's options", async (t) => {
  const box = sandbox(t);
  const bash = await box.run(['completion', 'bash']);
  t.is(bash.exitCode, 0, bash.stderr);
  const file = path.join(box.dir, 'bgrun.bash');
  fs.writeFileSync(file, bash.stdout);
  const complete = (words: string[]) => {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const body = `source '${file}'\nCOMP_WORDS=(${quoted}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _bgrun; printf '%s\\n' "\${COMPREPLY[*]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', body], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...box.env, PATH: process.env.PATH ?? '' } });
    t.is(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  t.is(complete(['bgrun', 'jl']), 'jlist');
  t.is(complete(['bgrun', 'pretty']), 'prettylist');
  t.true(complete(['bgrun', '']).split(' ').includes('jlist'));
  // list's options, but not --json: the verb is list --json already.
  const options = complete(['bgrun', 'jlist', '--']).split(' ');
  t.true(options.includes('--help'), options.join(' '));
  t.false(options.includes('--json'), options.join(' '));
  const zsh = await box.run(['completion', 'zsh']);
  t.regex(zsh.stdout, /'jlist:pm2.*s jlist: bgrun list --json'/);
  const fish = await box.run(['completion', 'fish']);
  t.regex(fish.stdout, /-a prettylist -d .*bgrun list --json/);
});
