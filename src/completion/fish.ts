import type { CompletionCommand, CompletionOption, CompletionSpec } from './spec.js';

/** A single-quoted fish string. */
function q(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function optionLine(c: CompletionCommand, o: CompletionOption): string {
  const condition = c.takesProgram ? `__bgrun_using ${c.name} -eq 0` : `__bgrun_using ${c.name}`;
  const parts = ['complete -c bgrun', `-n ${q(condition)}`, `-l ${o.long}`];
  if (o.short) parts.push(`-s ${o.short}`);
  if (o.takesValue) {
    switch (o.value.kind) {
      case 'files':
        parts.push('-r -F');
        break;
      case 'dirs':
        parts.push(`-x -a ${q('(__fish_complete_directories)')}`);
        break;
      case 'words':
        parts.push(`-x -a ${q(o.value.words.join(' '))}`);
        break;
      default:
        parts.push('-x');
    }
  }
  parts.push(`-d ${q(o.description)}`);
  return parts.join(' ');
}

function argumentLines(c: CompletionCommand): string[] {
  const lines: string[] = [];
  const names = c.names === 'none' ? null : c.names === 'names-and-all' ? 'all (__bgrun_names)' : '(__bgrun_names)';
  const at = (test: string) => q(`__bgrun_using ${c.name}${test}`);
  if (c.firstWords) lines.push(`complete -c bgrun -n ${at(' -eq 0')} -a ${q(c.firstWords.join(' '))}`);
  const from = c.firstWords ? 1 : 0;
  if (c.takesProgram) {
    if (names) lines.push(`complete -c bgrun -n ${at(` -eq ${from}`)} -F -a ${q(names)}`);
    else lines.push(`complete -c bgrun -n ${at(` -eq ${from}`)} -F`);
    lines.push(`complete -c bgrun -n ${at(` -gt ${from}`)} -F`);
  } else if (names) {
    lines.push(`complete -c bgrun -n ${at(from > 0 ? ` -ge ${from}` : '')} -a ${q(names)}`);
  }
  return lines;
}

export function fishScript(spec: CompletionSpec): string {
  const valueOptionArms = spec.commands
    .map((c) => {
      const withValue = c.options.filter((o) => o.takesValue).flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
      return withValue.length > 0 ? `        case ${c.name}\n            contains -- $argv[2] ${withValue.join(' ')}` : null;
    })
    .filter((l) => l !== null);
  const aliasArms = spec.commands
    .filter((c) => c.aliases.length > 0)
    .map((c) => `        case ${c.aliases.join(' ')}\n            echo ${c.name}`);
  const commandLines = spec.commands.flatMap((c) => [
    `complete -c bgrun -n __bgrun_needs_command -a ${c.name} -d ${q(c.summary)}`,
    ...c.aliases.map((a) => `complete -c bgrun -n __bgrun_needs_command -a ${a} -d ${q(`alias of ${c.name}`)}`),
  ]);

  return `# fish completion for bgrun, written by 'bgrun completion fish'.
# Load it in this shell:  bgrun completion fish | source
# Or for every shell:     bgrun completion fish > ~/.config/fish/completions/bgrun.fish

# Names of the programs bgrun manages, one per line (fast: reads the state folder only).
function __bgrun_names
    command bgrun __names 2>/dev/null
end

# Succeeds when option $argv[2] of command $argv[1] takes a value.
function __bgrun_takes_value
    switch $argv[1]
${valueOptionArms.join('\n')}
        case '*'
            return 1
    end
end

function __bgrun_canonical
    switch $argv[1]
${aliasArms.join('\n')}
        case '*'
            echo $argv[1]
    end
end

# Prints the command on the line and how many arguments it has so far ('start 1');
# fails before a command. '--' counts as an argument: what follows is the program.
function __bgrun_state
    set -l tokens (commandline -opc)
    set -l cmd
    set -l npos 0
    set -l skip 0
    for t in $tokens[2..-1]
        if test -z "$cmd"
            string match -q -- '-*' $t; or set cmd (__bgrun_canonical $t)
            continue
        end
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*'
            case '--'
                set npos (math $npos + 1)
            case '-*'
                __bgrun_takes_value $cmd $t; and set skip 1
            case '*'
                set npos (math $npos + 1)
        end
    end
    test -n "$cmd"; or return 1
    echo $cmd $npos
end

function __bgrun_needs_command
    not __bgrun_state >/dev/null
end

# __bgrun_using <command> [<test> <n>]: completing for that command, at an argument position that passes 'test npos <test> n'.
function __bgrun_using
    set -l state (string split ' ' -- (__bgrun_state)); or return 1
    test "$state[1]" = "$argv[1]"; or return 1
    set -q argv[3]; or return 0
    test "$state[2]" $argv[2] $argv[3]
end

complete -c bgrun -f
complete -c bgrun -n __bgrun_needs_command -l help -s h -d 'show help'
complete -c bgrun -n __bgrun_needs_command -l version -s V -d 'print the version'
${commandLines.join('\n')}
${spec.commands.flatMap((c) => c.options.map((o) => optionLine(c, o))).join('\n')}
${spec.commands.flatMap(argumentLines).join('\n')}
`;
}
