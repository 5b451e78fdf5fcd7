/**
 * Dotenv text as docker compose reads it (`env_file:`) and as berth writes it (`write_env:`).
 *
 * Read: `KEY=VALUE` lines; blank lines and `#` comments are skipped; `export KEY=...` is
 * allowed; spaces around `=` and around an unquoted value are dropped, and an unquoted value
 * ends at ` #` (a comment). `'single quotes'` keep their text as it is, across lines too;
 * `"double quotes"` span lines and know `\n \r \t \" \\ \$`. In unquoted and double-quoted
 * values `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` are replaced, as compose
 * does, from the keys read before (in this file and the files before it), else from berth's
 * environment, else by nothing; `$$` is a literal `$`. A line `KEY` alone takes KEY from
 * berth's environment (skipped when it has none).
 *
 * Node's `util.parseEnv` reads the quotes and `export`, but it has no interpolation, cannot
 * tell a single-quoted value from another (which compose keeps literal), joins a line without
 * `=` to the next key, and needs Node 20.12; this reader is small and says where a line is wrong.
 */

export interface EnvFileProblem {
  line: number;
  col: number;
  message: string;
}

export interface ParsedEnvFile {
  vars: Record<string, string>;
  problems: EnvFileProblem[];
}

/** `# Written by berth` (berth 0.1, when env_file was written) or `# written by berth` (write_env). */
export const BERTH_HEADER = /^# [Ww]ritten by berth\b/;

/** Whether dotenv text starts with berth's header line. */
export function hasBerthHeader(text: string): boolean {
  return BERTH_HEADER.test(text.replace(/^\uFEFF/, ''));
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*/;

/**
 * Parses one env file. `defined` holds what earlier files set (for `${VAR}`) and is not
 * changed; `lookup` gives berth's own environment.
 */
export function parseEnvFile(text: string, lookup: (name: string) => string | undefined, defined: Readonly<Record<string, string>> = {}): ParsedEnvFile {
  const vars: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  const resolve = (name: string): string | undefined => vars[name] ?? defined[name] ?? lookup(name);
  const source = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const problem = (at: number, message: string) => problems.push({ line, col: at - lineStart + 1, message });
  const skipToNextLine = () => {
    const end = source.indexOf('\n', pos);
    pos = end === -1 ? source.length : end + 1;
    line += 1;
    lineStart = pos;
  };

  while (pos < source.length) {
    while (source[pos] === ' ' || source[pos] === '\t') pos += 1;
    const first = source[pos];
    if (first === undefined) break;
    if (first === '\n' || first === '#') {
      skipToNextLine();
      continue;
    }
    if (source.startsWith('export', pos) && /[ \t]/.test(source[pos + 6] ?? '')) {
      pos += 6;
      while (source[pos] === ' ' || source[pos] === '\t') pos += 1;
    }
    const key = KEY.exec(source.slice(pos, pos + 256))?.[0];
    if (!key) {
      problem(pos, 'expected KEY=VALUE');
      skipToNextLine();
      continue;
    }
    pos += key.length;
    while (source[pos] === ' ' || source[pos] === '\t') pos += 1;
    const after = source[pos];
    if (after === undefined || after === '\n' || after === '#') {
      const value = lookup(key);
      if (value !== undefined) vars[key] = value;
      skipToNextLine();
      continue;
    }
    if (after !== '=') {
      problem(pos, `expected "=" after ${key}`);
      skipToNextLine();
      continue;
    }
    pos += 1;
    while (source[pos] === ' ' || source[pos] === '\t') pos += 1;

    const quote = source[pos];
    if (quote === "'" || quote === '"') {
      const open = pos;
      const openLine = line;
      const openLineStart = lineStart;
      let value = '';
      pos += 1;
      let closed = false;
      while (pos < source.length) {
        const char = source[pos] as string;
        if (char === quote) {
          closed = true;
          pos += 1;
          break;
        }
        if (char === '\n') {
          line += 1;
          lineStart = pos + 1;
        }
        if (quote === '"' && char === '\\' && pos + 1 < source.length) {
          const next = source[pos + 1] as string;
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '\u0000' };
          value += escapes[next] ?? `\\${next}`;
          pos += 2;
          continue;
        }
        value += char;
        pos += 1;
      }
      if (!closed) {
        problems.push({ line: openLine, col: open - openLineStart + 1, message: `${key}: the ${quote === '"' ? 'double' : 'single'} quote is never closed` });
        break;
      }
      vars[key] = quote === '"' ? expand(value, resolve).replace(/\u0000/g, '$') : value;
      while (source[pos] === ' ' || source[pos] === '\t') pos += 1;
      if (pos < source.length && source[pos] !== '\n' && source[pos] !== '#') problem(pos, `${key}: unexpected text after the closing quote`);
      skipToNextLine();
      continue;
    }

    const end = source.indexOf('\n', pos);
    let raw = source.slice(pos, end === -1 ? source.length : end);
    const comment = /[ \t]#/.exec(raw);
    if (comment) raw = raw.slice(0, comment.index);
    vars[key] = expand(raw.trim(), resolve);
    skipToNextLine();
  }
  return { vars, problems };
}

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` and `$$`, as compose reads them in env files. */
function expand(value: string, resolve: (name: string) => string | undefined): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, op?: string, fallback?: string, bare?: string) => {
    if (match === '$$') return '$';
    const found = resolve((braced ?? bare) as string);
    if (op === ':-') return found === undefined || found === '' ? (fallback ?? '') : found;
    if (op === '-') return found ?? fallback ?? '';
    return found ?? '';
  });
}

/**
 * One `KEY=VALUE` line that every dotenv reader (compose, dotenv, Vite, Node's --env-file)
 * reads back as the same value: plain when it can be, else in quotes.
 */
export function formatEnvLine(key: string, value: string): string {
  if (/^[A-Za-z0-9_./:@%+,=-]*$/.test(value)) return `${key}=${value}`;
  // Single quotes are literal everywhere; a value holding one (or a newline) needs double quotes.
  if (!/['\n\r]/.test(value)) return `${key}='${value}'`;
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\$/g, '\\$');
  return `${key}="${escaped}"`;
}
