import { type CompletionCommand, type CompletionSpec, type ValueCompletion, commandNames } from './spec.js';

/** Words in a bash script: names and option flags are plain; anything else single-quoted. */
function sh(word: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function flags(c: CompletionCommand): string[] {
  return c.options.flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
}

function valueReply(value: ValueCompletion): string {
  switch (value.kind) {
    case 'dirs':
      return 'compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur")';
    case 'files':
      return 'compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur")';
    case 'words':
      return `COMPREPLY=($(compgen -W ${sh(value.words.join(' '))} -- "$cur"))`;
    default:
      return 'COMPREPLY=()';
  }
}

/** `case` arms of one command, by its canonical name: its value options, then its arguments. */
function argumentsArm(c: CompletionCommand): string[] {
  const lines: string[] = [];
  const names = c.names === 'none' ? null : c.names === 'names-and-all' ? '"all $(_bgrun_names)"' : '"$(_bgrun_names)"';
  const offset = c.firstWords ? 1 : 0;
  const parts: string[] = [];
  if (c.firstWords) parts.push(`if ((npos == 0)); then COMPREPLY=($(compgen -W ${sh(c.firstWords.join(' '))} -- "$cur")); return 0; fi`);
  if (names && c.takesProgram) {
    // `start web` starts a known program again; `start server.js` a script.
    parts.push(
      `if ((npos == ${offset})); then compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -W ${names} -- "$cur"; compgen -f -- "$cur"); return 0; fi`,
    );
  } else if (names) {
    parts.push(`COMPREPLY=($(compgen -W ${names} -- "$cur")); return 0`);
  } else if (c.takesProgram) {
    parts.push('compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0');
  }
  if (parts.length === 0) return lines;
  lines.push(`    ${c.name})`, ...parts.map((p) => `      ${p}`), '      ;;');
  return lines;
}

export function bashScript(spec: CompletionSpec): string {
  const all = spec.commands.flatMap(commandNames);
  const aliasArms = spec.commands
    .filter((c) => c.aliases.length > 0)
    .map((c) => `    ${c.aliases.join('|')}) cmd=${c.name} ;;`);
  const valueOptionArms = spec.commands
    .map((c) => {
      const withValue = c.options.filter((o) => o.takesValue).flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
      return withValue.length > 0 ? `    ${c.name}) [[ ' ${withValue.join(' ')} ' == *" $2 "* ]] ;;` : null;
    })
    .filter((l) => l !== null);
  const valueArms = spec.commands.flatMap((c) =>
    c.options
      .filter((o) => o.takesValue)
      .map((o) => `    '${c.name} --${o.long}'${o.short ? `|'${c.name} -${o.short}'` : ''}) ${valueReply(o.value)}; return 0 ;;`),
  );
  const optionArms = spec.commands.map((c) => `    ${c.name}) COMPREPLY=($(compgen -W ${sh(flags(c).join(' '))} -- "$cur")) ;;`);
  const programCommands = spec.commands.filter((c) => c.takesProgram).map((c) => c.name);

  return `# bash completion for bgrun, written by 'bgrun completion bash'.
# Load it in this shell:  source <(bgrun completion bash)
# Or for every shell:     bgrun completion bash > ~/.local/share/bash-completion/completions/bgrun

# Names of the programs bgrun manages, one per line (fast: reads the state folder only).
_bgrun_names() {
  command bgrun __names 2>/dev/null
}

# The canonical name of a command or alias.
_bgrun_canonical() {
  local cmd=$1
  case $cmd in
${aliasArms.join('\n')}
  esac
  printf '%s' "$cmd"
}

# Succeeds when option $2 of command $1 takes a value.
_bgrun_takes_value() {
  case $1 in
${valueOptionArms.join('\n')}
    *) return 1 ;;
  esac
}

_bgrun() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=
  ((COMP_CWORD > 0)) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  # --opt=value arrives as three words: --opt, =, value.
  if [[ $cur == = ]]; then
    cur=
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    prev=\${COMP_WORDS[COMP_CWORD-2]}
  fi
  local cmd= word i npos=0 dashdash=0 skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -z $cmd ]]; then
      [[ $word == -* ]] || cmd=$(_bgrun_canonical "$word")
      continue
    fi
    if ((skip)); then
      [[ $word == = ]] || skip=0
      continue
    fi
    if ((dashdash)); then
      npos=$((npos + 1))
      continue
    fi
    case $word in
      --) dashdash=1 ;;
      =) ;;
      -*) _bgrun_takes_value "$cmd" "$word" && skip=1 ;;
      *) npos=$((npos + 1)) ;;
    esac
  done

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W ${sh([...all, '--help', '--version'].join(' '))} -- "$cur"))
    return 0
  fi

  # Everything after the program (or after --) belongs to it.
  case $cmd in
    ${programCommands.length > 0 ? programCommands.join('|') : '__none__'})
      if ((dashdash)); then
        if ((npos == 0)); then mapfile -t COMPREPLY < <(compgen -c -- "$cur"); else compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); fi
        return 0
      fi
      if ((npos > 0)); then
        compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0
      fi
      ;;
  esac

  if ((!dashdash)); then
    case "$cmd $prev" in
${valueArms.join('\n')}
    esac
  fi

  if [[ $cur == -* ]] && ((!dashdash)); then
    case $cmd in
${optionArms.join('\n')}
    esac
    return 0
  fi

  case $cmd in
${spec.commands.flatMap(argumentsArm).join('\n')}
  esac
  return 0
}

complete -F _bgrun bgrun
`;
}
