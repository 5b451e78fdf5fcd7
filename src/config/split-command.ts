import { parse } from 'shell-quote';

/**
 * Splits a `cmd:` string into argv the way a shell would (quotes, backslashes), without running
 * one. `${...}` references survive untouched so they can be interpolated per argument. Shell
 * syntax that needs a real shell (pipes, &&, redirects, comments) is an error that says to use
 * `shell: true`.
 */
export function splitCommand(command: string): string[] {
  const unclosed = unclosedQuote(command);
  if (unclosed) throw new Error(`cmd has an unclosed ${unclosed} quote`);

  const refs: string[] = [];
  const masked = command.replace(/\$\$\{|\$\{[^}]*\}/g, (ref) => {
    refs.push(ref);
    return `\u0001${refs.length - 1}\u0002`;
  });
  const words = parse(masked, (name) => `$${name}`);
  const argv: string[] = [];
  for (const word of words) {
    if (typeof word === 'string') {
      argv.push(word.replace(/\u0001(\d+)\u0002/g, (_, index: string) => refs[Number(index)] ?? ''));
      continue;
    }
    // A glob stays a literal argument, as it would in a program that expands it itself.
    if ('op' in word && word.op === 'glob') {
      argv.push((word as { pattern: string }).pattern);
      continue;
    }
    const syntax = 'op' in word ? word.op : '#';
    throw new Error(`cmd uses shell syntax (${syntax}): add \`shell: true\` to run it through /bin/sh, or write it without`);
  }
  return argv;
}

function unclosedQuote(text: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote === "'") {
      if (char === "'") quote = undefined;
    } else if (char === '\\') {
      i += 1;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    }
  }
  return quote === "'" ? 'single' : quote === '"' ? 'double' : undefined;
}
