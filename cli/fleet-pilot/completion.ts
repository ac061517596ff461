/**
 * Shell completion for bash and zsh, generated from the same commander definitions that parse the
 * command line: subcommands, each one's flags, and the values of flags that take a fixed choice.
 */
import type { Command, Option } from 'commander';

interface Spec {
  name: string;
  description: string;
  flags: { flag: string; short?: string; description: string; choices: string[]; takesValue: boolean }[];
}

function specs(program: Command): { global: Spec['flags']; commands: Spec[] } {
  const flagsOf = (options: readonly Option[]) =>
    options
      .filter((o) => o.long !== undefined && !o.hidden)
      .map((o) => ({
        flag: o.long ?? '',
        ...(o.short === undefined ? {} : { short: o.short }),
        description: o.description,
        choices: [...(o.argChoices ?? [])],
        takesValue: o.required || o.optional,
      }));
  return {
    global: [
      ...flagsOf(program.options),
      { flag: '--help', description: 'show help', choices: [], takesValue: false },
    ],
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description(),
      flags: flagsOf(c.options),
    })),
  };
}

/** A bash completion script: `source <(fleet-pilot completion bash)`. */
export function bashCompletion(program: Command): string {
  const { global, commands } = specs(program);
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const choiceCases = [...global, ...commands.flatMap((c) => c.flags)]
    .filter((f) => f.choices.length > 0)
    .map(
      (f) =>
        `    ${f.short === undefined ? '' : `${f.short}|`}${f.flag}) mapfile -t COMPREPLY < <(compgen -W "${f.choices.join(' ')}" -- "$cur"); return ;;`,
    );
  const uniqueCases = [...new Set(choiceCases)];
  const commandCases = commands.map(
    (c) => `    ${c.name}) flags="${[...c.flags, ...global].map((f) => f.flag).join(' ')}" ;;`,
  );
  return `# bash completion for ${name}: source <(${name} completion bash)
${fn}() {
  local cur prev cmd word flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${uniqueCases.join('\n')}
  esac
  cmd=""
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in
      -*) ;;
      *) cmd="$word"; break ;;
    esac
  done
  if [[ -z "$cmd" && "$cur" != -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${commands.map((c) => c.name).join(' ')}" -- "$cur")
    return
  fi
  case "$cmd" in
${commandCases.join('\n')}
    *) flags="${global.map((f) => f.flag).join(' ')}" ;;
  esac
  mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
}
complete -F ${fn} ${name}
`;
}

/** A zsh completion script: `source <(fleet-pilot completion zsh)`, or save it as `_fleet-pilot` on $fpath. */
export function zshCompletion(program: Command): string {
  const { global, commands } = specs(program);
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const quote = (text: string) =>
    text
      .replace(/[[\]:'\\]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  const argSpec = (f: Spec['flags'][number]) => {
    const value = f.choices.length > 0 ? `:value:(${f.choices.join(' ')})` : f.takesValue ? ':value:' : '';
    return `'${f.flag}[${quote(f.description)}]${value}'`;
  };
  const commandCases = commands.map(
    (c) =>
      `        ${c.name})\n          _arguments ${[...c.flags, ...global].map(argSpec).join(' ')} '*:argument:' ;;`,
  );
  return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh)
${fn}() {
  local -a commands
  commands=(
${commands.map((c) => `    '${c.name}:${quote(c.description)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case "$cmd" in
${commandCases.join('\n')}
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}
