import type { CompletionCommand, CompletionSpec, ValueCompletion } from './spec.js';

/** A single-quoted zsh word. */
function q(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** An entry for _describe: the word, a colon, the description (colons in the word escaped). */
function described(word: string, description: string): string {
  return q(`${word.replace(/:/g, '\\:')}:${description}`);
}

function valueAction(value: ValueCompletion): string {
  switch (value.kind) {
    case 'dirs':
      return '_files -/';
    case 'files':
      return '_files';
    case 'words':
      return `compadd -- ${value.words.map(q).join(' ')}`;
    default:
      return ':';
  }
}

function argumentsArm(c: CompletionCommand): string[] {
  const names =
    c.names === 'none' ? null : `compadd -- ${c.names === 'names-and-all' ? 'all ' : ''}\${(f)"$(_bgrun_names)"}`;
  const offset = c.firstWords ? 1 : 0;
  const parts: string[] = [];
  if (c.firstWords) parts.push(`if (( npos == 0 )); then compadd -- ${c.firstWords.map(q).join(' ')}; return; fi`);
  if (names && c.takesProgram) parts.push(`if (( npos == ${offset} )); then ${names}; _files; return; fi`);
  else if (names) parts.push(`${names}; return`);
  else if (c.takesProgram) parts.push('_files; return');
  if (parts.length === 0) return [];
  return [`    ${c.name})`, ...parts.map((p) => `      ${p}`), '      ;;'];
}

export function zshScript(spec: CompletionSpec): string {
  const commandEntries = spec.commands.flatMap((c) => [
    described(c.name, c.summary),
    ...c.aliases.map((a) => described(a, `alias of ${c.name}`)),
  ]);
  const aliasArms = spec.commands.filter((c) => c.aliases.length > 0).map((c) => `    ${c.aliases.join('|')}) cmd=${c.name} ;;`);
  const valueOptionArms = spec.commands
    .map((c) => {
      const withValue = c.options.filter((o) => o.takesValue).flatMap((o) => [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])]);
      return withValue.length > 0 ? `    ${c.name}) [[ ' ${withValue.join(' ')} ' == *" $2 "* ]] ;;` : null;
    })
    .filter((l) => l !== null);
  const valueArms = spec.commands.flatMap((c) =>
    c.options
      .filter((o) => o.takesValue)
      .map((o) => `    ${q(`${c.name} --${o.long}`)}${o.short ? `|${q(`${c.name} -${o.short}`)}` : ''}) ${valueAction(o.value)}; return ;;`),
  );
  const optionArms = spec.commands.map((c) => {
    const entries = c.options.flatMap((o) => [
      described(`--${o.long}`, o.description),
      ...(o.short ? [described(`-${o.short}`, o.description)] : []),
    ]);
    return `    ${c.name}) opts=(${entries.join(' ')}) ;;`;
  });
  const programCommands = spec.commands.filter((c) => c.takesProgram).map((c) => c.name);

  return `#compdef bgrun
# zsh completion for bgrun, written by 'bgrun completion zsh'.
# Load it in this shell:  source <(bgrun completion zsh)     (after compinit)
# Or for every shell:     bgrun completion zsh > "\${fpath[1]}/_bgrun"

# Names of the programs bgrun manages, one per line (fast: reads the state folder only).
_bgrun_names() {
  command bgrun __names 2>/dev/null
}

# Succeeds when option $2 of command $1 takes a value.
_bgrun_takes_value() {
  case $1 in
${valueOptionArms.join('\n')}
    *) return 1 ;;
  esac
}

_bgrun() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local cmd= word i npos=0 dashdash=0 skip=0
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ -z $cmd ]]; then
      [[ $word == -* ]] || cmd=$word
      continue
    fi
    if (( skip )); then skip=0; continue; fi
    if (( dashdash )); then npos=$((npos + 1)); continue; fi
    case $word in
      --) dashdash=1 ;;
      --*=*) ;;
      -*) _bgrun_takes_value $cmd $word && skip=1 ;;
      *) npos=$((npos + 1)) ;;
    esac
  done

  if [[ -z $cmd ]]; then
    local -a commands
    commands=(${commandEntries.join(' ')})
    _describe -t commands 'bgrun command' commands
    return
  fi
  case $cmd in
${aliasArms.join('\n')}
  esac

  # Everything after the program (or after --) belongs to it.
  case $cmd in
    ${programCommands.length > 0 ? programCommands.join('|') : '__none__'})
      if (( dashdash )); then
        if (( npos == 0 )); then _command_names -e; else _files; fi
        return
      fi
      if (( npos > 0 )); then _files; return; fi
      ;;
  esac

  if (( ! dashdash )); then
    # --opt=value
    if [[ $cur == --*=* ]]; then
      prev=\${cur%%=*}
      compset -P '*='
    fi
    case "$cmd $prev" in
${valueArms.join('\n')}
    esac
  fi

  if [[ $cur == -* ]] && (( ! dashdash )); then
    local -a opts
    case $cmd in
${optionArms.join('\n')}
    esac
    _describe -t options 'option' opts
    return
  fi

  case $cmd in
${spec.commands.flatMap(argumentsArm).join('\n')}
  esac
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _bgrun "$@"
else
  compdef _bgrun bgrun
fi
`;
}
