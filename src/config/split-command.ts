/**
 * Splits a `cmd:` string into argv the way a POSIX shell splits words — single quotes,
 * double quotes, backslashes — without running one. `${...}` references are kept whole, to be
 * interpolated per argument; `$VAR` and globs stay literal (no shell expands them). Syntax only
 * a shell can run (pipes, `&&`, `;`, redirects, `$(...)`, backticks, comments) is an error that
 * says to use `shell: true`.
 */
const SHELL_ONLY = new Set(['|', '&', ';', '<', '>', '(', ')', '`']);

export function splitCommand(command: string): string[] {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const shellSyntax = (what: string) =>
    new Error(`cmd uses shell syntax (${what}): add \`shell: true\` to run it through /bin/sh, or write it without`);
  const copyReference = () => {
    const end = command.indexOf('}', i);
    if (end === -1) throw new Error('cmd has an unclosed "${"');
    word += command.slice(i, end + 1);
    i = end + 1;
  };

  while (i < command.length) {
    const char = command[i] as string;
    if (char === ' ' || char === '\t' || char === '\n') {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i += 1;
      continue;
    }
    inWord = true;
    if (char === "'") {
      const end = command.indexOf("'", i + 1);
      if (end === -1) throw new Error('cmd has an unclosed single quote');
      word += command.slice(i + 1, end);
      i = end + 1;
    } else if (char === '"') {
      i += 1;
      for (;;) {
        if (i >= command.length) throw new Error('cmd has an unclosed double quote');
        const inner = command[i] as string;
        if (inner === '"') break;
        if (inner === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1] as string)) {
          word += command[i + 1];
          i += 2;
        } else if (command.startsWith('${', i) || command.startsWith('$${', i)) {
          copyReference();
        } else if (command.startsWith('$(', i) || inner === '`') {
          throw shellSyntax(inner === '`' ? '`' : '$(');
        } else {
          word += inner;
          i += 1;
        }
      }
      i += 1;
    } else if (char === '\\') {
      if (i + 1 < command.length) word += command[i + 1];
      i += 2;
    } else if (command.startsWith('${', i) || command.startsWith('$${', i)) {
      copyReference();
    } else if (command.startsWith('$(', i)) {
      throw shellSyntax('$(');
    } else if (SHELL_ONLY.has(char)) {
      const two = command.slice(i, i + 2);
      throw shellSyntax(['&&', '||', '>>', '<<', '2>'].includes(two) ? two : char);
    } else if (char === '#' && word === '') {
      throw shellSyntax('#');
    } else {
      word += char;
      i += 1;
    }
  }
  if (inWord) argv.push(word);
  return argv;
}
