/**
 * Every key of the dashboard, in one table: it binds the keys, writes the key hints of the
 * status line and the `?` help, and the README's key list is checked against it.
 */

export type KeyAction =
  | 'quit'
  | 'help'
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'top'
  | 'bottom'
  | 'nextPane'
  | 'previousPane'
  | 'open'
  | 'allLogs'
  | 'restart'
  | 'stopStart'
  | 'details'
  | 'sort'
  | 'sortReverse'
  | 'project'
  | 'follow'
  | 'wrap'
  | 'timestamps'
  | 'fullScreen'
  | 'search'
  | 'nextMatch'
  | 'previousMatch'
  | 'escape'
  | 'mouse'
  | 'saveLog';

export interface KeyBinding {
  action: KeyAction;
  /** Key names as blessed reports them (`key.full`): `q`, `C-c`, `S-n` for N, `pageup`. */
  keys: string[];
  /** The key as the help, the hints and the README show it. */
  label: string;
  help: string;
  /** Short text for the status line; bindings without one are in `?` help only. */
  hint?: string;
  /** Only where it applies: `top` (every instance of the machine) or `up` (one instance). */
  only?: 'top' | 'up';
}

export const KEY_TABLE: readonly KeyBinding[] = [
  { action: 'help', keys: ['?'], label: '?', help: 'show or hide this help', hint: 'help' },
  { action: 'quit', keys: ['q', 'C-c'], label: 'q/C-c', help: 'quit (berth up: stop the stack; a second q kills it)', hint: 'quit' },
  { action: 'up', keys: ['up', 'k'], label: '↑/k', help: 'select the previous row (in the log: scroll up)' },
  { action: 'down', keys: ['down', 'j'], label: '↓/j', help: 'select the next row (in the log: scroll down)' },
  { action: 'pageUp', keys: ['pageup', 'C-b'], label: 'PgUp/C-b', help: 'scroll the log a page up (pauses following)' },
  { action: 'pageDown', keys: ['pagedown', 'C-f'], label: 'PgDn/C-f', help: 'scroll the log a page down' },
  { action: 'top', keys: ['g', 'home'], label: 'g/Home', help: 'go to the first line of the log' },
  { action: 'bottom', keys: ['S-g', 'end'], label: 'G/End', help: 'go to the last line of the log and follow it' },
  { action: 'nextPane', keys: ['tab'], label: 'tab', help: 'next pane (instances, services, log)', hint: 'pane' },
  { action: 'previousPane', keys: ['S-tab'], label: 'S-tab', help: 'previous pane' },
  { action: 'open', keys: ['enter', 'l'], label: 'enter/l', help: 'open: the instance\'s services, the service\'s log' },
  { action: 'restart', keys: ['r'], label: 'r', help: 'restart the selected service', hint: 'restart' },
  { action: 'stopStart', keys: ['s'], label: 's', help: 'stop the selected service, or start it when it is not running', hint: 'stop/start' },
  { action: 'details', keys: ['i'], label: 'i', help: 'details of the selected service: command, cwd, user, ports, env keys, dependencies, last exit', hint: 'info' },
  { action: 'allLogs', keys: ['a'], label: 'a', help: 'log of every service of the instance, or of the selected one again', hint: 'all logs' },
  { action: 'search', keys: ['/'], label: '/', help: 'search the log: matches are highlighted (enter to search, esc to cancel)', hint: 'search' },
  { action: 'nextMatch', keys: ['n'], label: 'n', help: 'next match of the search' },
  { action: 'previousMatch', keys: ['S-n'], label: 'N', help: 'previous match of the search' },
  { action: 'follow', keys: ['f'], label: 'f', help: 'follow the log, or pause it (new lines are kept)', hint: 'follow' },
  { action: 'wrap', keys: ['w'], label: 'w', help: 'wrap long log lines, or cut them at the edge', hint: 'wrap' },
  { action: 'timestamps', keys: ['t'], label: 't', help: 'show or hide the time each log line arrived' },
  { action: 'fullScreen', keys: ['z'], label: 'z', help: 'log full screen, or back', hint: 'zoom' },
  { action: 'sort', keys: ['o'], label: 'o', help: 'sort the services by the next column', hint: 'sort' },
  { action: 'sortReverse', keys: ['S-o'], label: 'O', help: 'reverse the order of the sort' },
  { action: 'project', keys: ['p'], label: 'p', help: 'show one project\'s instances only, the next one, then all', hint: 'project', only: 'top' },
  { action: 'mouse', keys: ['m'], label: 'm', help: 'mouse capture off (the terminal\'s own selection and copy work) or on', hint: 'mouse' },
  { action: 'saveLog', keys: ['e'], label: 'e', help: 'write the log shown to a file, and say where', hint: 'save log' },
  { action: 'escape', keys: ['escape'], label: 'esc', help: 'close the help or details, clear the search' },
];

/** The bindings that apply in `mode`. */
export function bindingsFor(mode: 'top' | 'up'): KeyBinding[] {
  return KEY_TABLE.filter((binding) => !binding.only || binding.only === mode);
}

/** The binding of a key as blessed reports it, if any. */
export function bindingOf(mode: 'top' | 'up', name: string): KeyBinding | undefined {
  return bindingsFor(mode).find((binding) => binding.keys.includes(name));
}

/** The key hints that fit in `width` columns, in table order, never one cut in half. */
export function keyHints(mode: 'top' | 'up', width: number, quitHint = 'quit'): string {
  let line = '';
  for (const binding of bindingsFor(mode)) {
    if (!binding.hint) continue;
    const key = binding.label === '/' ? '/' : (binding.label.split('/')[0] as string);
    const hint = `${key} ${binding.action === 'quit' ? quitHint : binding.hint}`;
    const next = line ? `${line}  ${hint}` : hint;
    if (next.length > width) break;
    line = next;
  }
  return line;
}

/** The `?` help: one line per binding. */
export function helpLines(mode: 'top' | 'up'): string[] {
  const bindings = bindingsFor(mode);
  const width = Math.max(...bindings.map((binding) => binding.label.length));
  return bindings.map((binding) => `${binding.label.padEnd(width)}  ${binding.help}`);
}

/** The README's key list: a Markdown table made from the same bindings. */
export function keysMarkdown(): string {
  const rows = KEY_TABLE.map((binding) => `| \`${binding.label}\` | ${binding.help}${binding.only ? ` (berth ${binding.only} only)` : ''} |`);
  return ['| key | does |', '|---|---|', ...rows].join('\n');
}
