import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { BIN, type Sandbox, fixture, sandbox, sweepAll } from '../helpers/bgrun.js';
import { which } from '../helpers/systemd.js';

test.after.always(sweepAll);

/** A `bgrun` on PATH, as the completion scripts call it, for this sandbox. */
function shim(box: Sandbox): Record<string, string> {
  const bin = path.join(box.dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'bgrun'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  return { ...process.env, ...box.env, PATH: `${bin}:${process.env.PATH}` } as Record<string, string>;
}

async function script(box: Sandbox, shell: string, t: ExecutionContext): Promise<string> {
  const r = await box.run(['completion', shell]);
  t.is(r.exitCode, 0, r.stderr);
  const file = path.join(box.dir, `bgrun.${shell}`);
  fs.writeFileSync(file, r.stdout);
  return file;
}

async function startTwo(box: Sandbox, t: ExecutionContext): Promise<void> {
  for (const name of ['web', 'worker']) {
    const r = await box.run(['start', '--name', name, '--wait', '0', fixture('ready.js')]);
    t.is(r.exitCode, 0, r.stderr);
  }
}

/** Runs the bash script's completion function on each line (the word being completed last) and returns the replies. */
function completeInBash(file: string, env: Record<string, string>, lines: string[][]): string[] {
  const body = lines
    .map((words) => {
      const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
      return `COMP_WORDS=(${quoted}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _bgrun; printf '%s\\n' "\${COMPREPLY[*]}"`;
    })
    .join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${file}'\n${body}`], { env, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`bash failed: ${result.stderr}`);
  return result.stdout.split('\n').slice(0, lines.length);
}

test('bash: completes commands, options, option values and the names of current programs', async (t) => {
  const box = sandbox(t);
  await startTwo(box, t);
  const file = await script(box, 'bash', t);
  const env = shim(box);
  const syntax = spawnSync('bash', ['-n', file]);
  t.is(syntax.status, 0, String(syntax.stderr));
  const replies = completeInBash(file, env, [
    ['bgrun', ''],
    ['bgrun', 'st'],
    ['bgrun', 'stop', ''],
    ['bgrun', 'logs', 'w'],
    ['bgrun', 'restart', 'web', ''],
    ['bgrun', 'start', '--res'],
    ['bgrun', 'start', '--restart', ''],
    ['bgrun', 'stop', '--signal', 'K'],
    ['bgrun', 'export', ''],
    ['bgrun', 'export', 'systemd', ''],
    ['bgrun', 'export', 'systemd', '--output', path.join(box.dir, 'bi')],
    ['bgrun', 'completion', ''],
    ['bgrun', 'ls', '--'],
    ['bgrun', 'start', '--name', 'x', fixture('ready.js'), '--'],
    ['bgrun', 'startup', '--init', ''],
    // Another spelling of an option (pm2's) is completed as well.
    ['bgrun', 'start', '--cro'],
    ['bgrun', 'start', '--outp'],
  ]);
  const commands = replies[0]!.split(' ');
  for (const c of ['start', 'list', 'stop', 'restart', 'logs', 'show', 'rm', 'export', 'save', 'resurrect', 'startup', 'unstartup', 'completion', 'ls', 'ps', '--help']) {
    t.true(commands.includes(c), `${c} is offered`);
  }
  t.false(commands.includes('__names'), 'hidden helpers are not offered');
  const sorted = (reply: string) => reply.split(' ').sort().join(' ');
  t.deepEqual(replies.slice(1).map(sorted), [
    'start startOrReload startOrRestart startup status stop',
    'all web worker',
    'web worker',
    'all web worker',
    '--restart --restart-delay',
    'always no on-failure',
    'KILL',
    'kubernetes systemd',
    'all web worker',
    path.join(box.dir, 'bin'),
    'bash fish zsh',
    '--help --json',
    // After the program: its own arguments, so files (none start with --), never bgrun's options.
    '',
    'cron systemd',
    '--cron --cron-restart',
    '--output',
  ]);
  await box.run(['stop', 'all']);
});

test('__names prints the names one per line without creating or locking anything', async (t) => {
  const box = sandbox(t);
  const empty = await box.run(['__names']);
  t.is(empty.exitCode, 0);
  t.is(empty.stdout, '');
  t.false(fs.existsSync(box.home), 'no state folder made by completion');
  await startTwo(box, t);
  const r = await box.run(['__names']);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, 'web\nworker');
  await box.run(['stop', 'all']);
});

test('zsh: the script parses and its function completes commands, names and values', async (t) => {
  if (!which('zsh')) {
    t.pass('zsh is not installed: not checked');
    return;
  }
  const box = sandbox(t);
  await startTwo(box, t);
  const file = await script(box, 'zsh', t);
  t.is(spawnSync('zsh', ['-n', file]).status, 0);
  // The completion system's builtins replaced by stand-ins that print what they were given.
  const driver = `
compdef() { :; }
_describe() { local arr=$4; print -r -- "describe \${(P)arr}"; }
compadd() { [[ $1 == -- ]] && shift; print -r -- "compadd $*"; }
_files() { print -r -- "files $*"; }
_command_names() { print -r -- "commands"; }
compset() { :; }
source '${file}'
t() { words=("$@"); CURRENT=\${#words}; _bgrun; }
t bgrun stop ''
t bgrun export systemd ''
t bgrun start --restart ''
t bgrun export systemd -o ''
t bgrun start -- ''
t bgrun start app.js ''
t bgrun ls -
`;
  const r = spawnSync('zsh', ['-f', '-c', driver], { env: shim(box), encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n').map((l) => l.trimEnd()), [
    'compadd all web worker',
    'compadd all web worker',
    'compadd no on-failure always',
    'files -/',
    'commands',
    'files',
    'describe --json:print JSON --help:show help -h:show help',
  ]);
  await box.run(['stop', 'all']);
});

test('fish: the script parses and fish completes commands, options and names with it', async (t) => {
  if (!which('fish')) {
    t.pass('fish is not installed: not checked');
    return;
  }
  const box = sandbox(t);
  await startTwo(box, t);
  const file = await script(box, 'fish', t);
  t.is(spawnSync('fish', ['--no-execute', file]).status, 0);
  const ask = (line: string) => {
    const r = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], { env: shim(box), encoding: 'utf8', timeout: 60_000 });
    return r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]);
  };
  t.deepEqual(ask('bgrun st'), ['start', 'startup', 'status', 'stop']);
  t.deepEqual(ask('bgrun stop '), ['all', 'web', 'worker']);
  t.deepEqual(ask('bgrun export '), ['systemd']);
  t.deepEqual(ask('bgrun export systemd w'), ['web', 'worker']);
  t.deepEqual(ask('bgrun start --restart '), ['always', 'no', 'on-failure']);
  t.deepEqual(ask('bgrun completion '), ['bash', 'fish', 'zsh']);
  await box.run(['stop', 'all']);
});

test('completion: an unknown or missing shell is a usage error', async (t) => {
  const box = sandbox(t);
  const bad = await box.run(['completion', 'tcsh']);
  t.is(bad.exitCode, 2);
  t.is(bad.stderr.split('\n')[0], "bgrun: unknown shell 'tcsh': use bash, zsh or fish");
  const none = await box.run(['completion']);
  t.is(none.exitCode, 2);
  t.is(none.stderr.split('\n')[0], 'bgrun: missing shell: bgrun completion bash|zsh|fish');
});
