// berth completion bash|zsh: a completion script generated from the command tree, so it always
// knows every command and option. One shell function does the work for both shells.
import type { Command, Option } from "commander";
import { first } from "@berth/client/common";

interface Node {
  path: string;
  subs: string[];
  opts: string[];
  valueOpts: string[];
  choices: [string, readonly string[]][];
}

const flagsOf = (o: Option) => [o.short, o.long].filter((f): f is string => Boolean(f));

function walk(cmd: Command, path: string, out: Node[]): void {
  const subs = cmd.commands.filter((c) => c.name() !== "help");
  const opts = cmd.options.filter((o) => !o.hidden);
  out.push({
    path,
    // An argument's choices (completion's shells) complete like subcommands.
    subs: [...subs.map((c) => c.name()), ...cmd.registeredArguments.flatMap((a) => a.argChoices ?? [])],
    opts: opts.flatMap(flagsOf),
    valueOpts: opts.filter((o) => o.required || o.optional).flatMap(flagsOf),
    choices: opts.filter((o) => o.argChoices?.length).flatMap((o) => flagsOf(o).map((f): [string, readonly string[]] => [f, o.argChoices!])),
  });
  for (const c of subs) walk(c, path ? `${path} ${c.name()}` : c.name(), out);
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** A function echoing, for a command path, its words; `globals` also for the paths of the client commands. */
function cases(fn: string, nodes: Node[], pick: (n: Node) => string[], globals: string[] = [], clientRoots: readonly string[] = []): string {
  const lines = nodes.filter((n) => pick(n).length).map((n) => `    ${q(n.path)}) echo ${q(pick(n).join(" "))} ;;`);
  const roots = clientRoots.flatMap((r) => [q(r), `${q(r)}' '*`]).join("|");
  const g = globals.length && roots ? `  case "$1" in\n    ${roots}) echo ${q(globals.join(" "))} ;;\n  esac\n` : "";
  return `${fn}() {\n${g}  case "$1" in\n${lines.join("\n")}\n  esac\n}\n`;
}

/** The shell functions shared by the bash and zsh scripts. */
function common(program: Command, clientRoots: readonly string[]): string {
  const nodes: Node[] = [];
  walk(program, "", nodes);
  const root = first(nodes);
  const leafNodes = nodes.slice(1);
  const choices = nodes.flatMap((n) => n.choices.map(([f, c]) => `    ${q(`${n.path}|${f}`)}) echo ${q(c.join(" "))} ;;`));
  const globalChoices = root.choices.map(([f, c]) => `    *${q(`|${f}`)}) echo ${q(c.join(" "))} ;;`);
  return [
    cases("_berth_subs", nodes, (n) => n.subs),
    // Global options (the program's) apply after any command too.
    cases("_berth_opts", leafNodes, (n) => [...n.opts, "--help"], root.opts, clientRoots),
    cases("_berth_value_opts", leafNodes, (n) => n.valueOpts, root.valueOpts, clientRoots),
    `_berth_root_opts() {\n  echo ${q([...root.opts, "--help"].join(" "))}\n}\n`,
    `_berth_choices() {\n  case "$1|$2" in\n${[...choices, ...globalChoices].join("\n")}\n  esac\n}\n`,
    `# The candidates for the last argument, given the words after "berth".
_berth_complete() {
  local p="" prev="" cur="" w o skip=0 i=0 n=$#
  for w in "$@"; do
    i=$((i + 1))
    if [ "$i" -eq "$n" ]; then cur="$w"; break; fi
    if [ "$skip" -eq 1 ]; then skip=0; prev="$w"; continue; fi
    case "$w" in
      -*) for o in $(_berth_value_opts "$p"); do [ "$o" = "$w" ] && skip=1; done ;;
      *) for o in $(_berth_subs "$p"); do [ "$o" = "$w" ] && { p="\${p:+$p }$w"; break; }; done ;;
    esac
    prev="$w"
  done
  if [ "$skip" -eq 1 ]; then _berth_choices "$p" "$prev"; return; fi
  case "$cur" in
    -*) if [ -z "$p" ]; then _berth_root_opts; else _berth_opts "$p"; fi ;;
    *) _berth_subs "$p" ;;
  esac
}
`,
  ].join("\n");
}

/** The script for `shell`; `clientRoots` are the top-level commands the global options apply to. */
export function completionScript(program: Command, shell: "bash" | "zsh", clientRoots: readonly string[]): string {
  const name = program.name();
  if (shell === "bash")
    return `# bash completion for ${name}: source <(${name} completion bash), or save it in /etc/bash_completion.d/${name}
${common(program, clientRoots)}
_berth() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=($(compgen -W "$(_berth_complete "\${COMP_WORDS[@]:1:$COMP_CWORD}")" -- "$cur"))
}
complete -F _berth ${name}
`;
  return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh) after compinit, or save it as _${name} in your $fpath
${common(program, clientRoots)}
_berth() {
  local -a candidates
  candidates=(\${=$(_berth_complete "\${(@)words[2,CURRENT]}")})
  compadd -- $candidates
}
if [ "$funcstack[1]" = "_berth" ]; then _berth "$@"; else compdef _berth ${name}; fi
`;
}
