import { RootCommand, type Command as TabCommand, type Complete } from '@bomb.sh/tab';
import type { Argument, Command, Option } from 'commander';
import type { CliIo } from '../io.js';
import { completionNames, yamlFiles } from '../completion-names.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/**
 * `berth completion bash|zsh|fish`: the shell's completion script (from @bomb.sh/tab). The
 * script asks `berth complete -- WORDS...` for each completion, so what it offers always
 * matches the installed berth.
 */
export function completionCommand(io: CliIo, shell: Shell): number {
  const tab = new RootCommand();
  const script = printed(() => tab.setup('berth', 'berth', shell));
  io.stdout.write(shell === 'bash' ? bashScript(script) : script);
  return 0;
}

/**
 * `berth complete -- WORDS...` (hidden; the scripts call it): one completion per line as
 * `value<TAB>description`, then `:DIRECTIVE`. Commands and options come from berth's own
 * command tree; environment and service names from ports.yaml (the one -f names, else
 * $BERTH_FILE, else the one berth would find), read but not validated.
 */
export function completeCommand(io: CliIo, program: Command, words: string[]): number {
  const names = completionNames(io, words);
  const tab = completionTree(program, { ...names, files: () => yamlFiles(io.cwd) });
  io.stdout.write(printed(() => tab.parse(words)));
  return 0;
}

interface Candidates {
  envs: string[];
  services: string[];
  files: () => string[];
}

/** tab's tree of berth's visible commands, their options and positional arguments. */
function completionTree(program: Command, candidates: Candidates): RootCommand {
  const tab = new RootCommand();
  addOptions(tab, program, candidates);
  for (const command of program.createHelp().visibleCommands(program)) {
    const node = tab.command(command.name(), command.description());
    addOptions(node, command, candidates);
    for (const argument of command.registeredArguments) addArgument(node, argument, candidates);
  }
  return tab;
}

function addOptions(node: TabCommand, command: Command, candidates: Candidates): void {
  for (const option of command.createHelp().visibleOptions(command)) {
    const long = option.long?.replace(/^--/, '');
    if (!long) continue;
    const short = option.short?.replace(/^-/, '');
    const values = optionValues(long, option, candidates);
    if (values) node.option(long, option.description, (complete) => offer(complete, values()), short);
    else node.option(long, option.description, short);
  }
}

/** What may follow an option that takes a value (a list, maybe empty), or null for a flag. */
function optionValues(long: string, option: Option, candidates: Candidates): (() => string[]) | null {
  if (!option.required && !option.optional) return null;
  if (option.argChoices?.length) return () => option.argChoices ?? [];
  if (long === 'file') return candidates.files;
  if (long === 'only') return () => candidates.services;
  if (long === 'port') return () => candidates.services.map((name) => `${name}=`);
  return () => [];
}

function addArgument(node: TabCommand, argument: Argument, candidates: Candidates): void {
  const name = argument.name();
  const values = argument.argChoices?.length
    ? argument.argChoices
    : /SERVICE/.test(name)
      ? candidates.services
      : /ENV/.test(name)
        ? candidates.envs
        : null;
  node.argument(name, values ? (complete) => offer(complete, values) : undefined, argument.variadic);
}

function offer(complete: Complete, values: readonly string[]): void {
  for (const value of values) complete(value, '');
}

/** What tab prints (it writes with console.log), as one string. */
function printed(print: () => void): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(' '));
  try {
    print();
  } finally {
    console.log = log;
  }
  return `${lines.join('\n')}\n`;
}

/**
 * tab's bash script, made to work without the bash-completion package (the script calls
 * `_get_comp_words_by_ref`, which only that package defines; stock bash on many systems has
 * none) and to be sourced more than once (its directive constants are `readonly`).
 */
function bashScript(script: string): string {
  const fallback = [
    '# The words as bash gives them, when the bash-completion package is not loaded.',
    '__berth_words() {',
    '    cur=${COMP_WORDS[COMP_CWORD]}',
    '    prev=${COMP_WORDS[COMP_CWORD-1]}',
    '    words=("${COMP_WORDS[@]}")',
    '    cword=$COMP_CWORD',
    '}',
    '',
  ].join('\n');
  return script
    .replace(/^readonly (ShellCompDirective\w+=\d+)$/gm, '$1')
    .replace(/^( *)_get_comp_words_by_ref -n "=:" cur prev words cword$/m, '$1if declare -F _get_comp_words_by_ref >/dev/null; then _get_comp_words_by_ref -n "=:" cur prev words cword; else __berth_words; fi')
    .replace(/^(# Function to handle completions)$/m, `${fallback}$1`);
}
