import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { ConfigIssue } from '../errors.js';
import { readQuickYaml } from './yaml-events.js';

export type Path = ReadonlyArray<string | number>;

/** A parsed ports.yaml that can say where any path of it is written. */
export interface YamlSource {
  /** How the file is named in messages (relative to the cwd when inside it). */
  displayName: string;
  data: unknown;
  syntaxIssues: ConfigIssue[];
  /** Position of the node at `path`; with `key: true`, of its key. Falls back to the nearest parent. */
  locate(path: Path, options?: { key?: boolean }): { line: number; col: number };
  issue(path: Path, message: string, options?: { key?: boolean; severity?: 'error' | 'warning' }): ConfigIssue;
}

/** Alias expansions allowed while building the data: a few anchors are normal, a billion laughs is not. */
const MAX_ALIAS_COUNT = 1000;

/**
 * Plain files (most) are read on a quick, linear path; one with tags, anchors, aliases,
 * directives or any error by the full parser, which every message comes from. `quick: false`
 * takes the full parser for every file (the two agree on data and places).
 */
export function parseYamlSource(text: string, displayName: string, options: { quick?: boolean } = {}): YamlSource {
  const quick = options.quick === false ? null : readQuickYaml(text);
  const full = quick ? null : readFullYaml(text, displayName);
  let lazy: FullYaml | null = full;
  const fullDoc = () => (lazy ??= readFullYaml(text, displayName));
  const lines = quick ? lineStarts(text) : null;

  const locate = (path: Path, options: { key?: boolean } = {}) => {
    const wantKey = options.key ?? false;
    const offset = quick?.offsetOf(path, wantKey) ?? null;
    if (offset === null || !lines) {
      const { doc, lineCounter } = fullDoc();
      const pos = lineCounter.linePos(offsetOf(doc, path, wantKey));
      return { line: pos.line, col: pos.col };
    }
    return linePos(lines, offset);
  };
  const issue = (path: Path, message: string, options: { key?: boolean; severity?: 'error' | 'warning' } = {}): ConfigIssue => ({
    file: displayName,
    ...locate(path, options),
    message,
    severity: options.severity ?? 'error',
  });
  return { displayName, data: quick ? quick.data : full?.data, syntaxIssues: full?.syntaxIssues ?? [], locate, issue };
}

interface FullYaml {
  doc: Document;
  lineCounter: LineCounter;
  data: unknown;
  syntaxIssues: ConfigIssue[];
}

/** The full parser: every syntax error and warning at its place, aliases expanded within a bound. */
function readFullYaml(text: string, displayName: string): FullYaml {
  const lineCounter = new LineCounter();
  // Unique keys are checked below in linear time; the library's own check compares every key
  // with every other in a map, which makes a large file take minutes.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const lines = text.split('\n');
  const hinted = new Set<number>();
  const syntaxIssues: ConfigIssue[] = firstOfCascade([...doc.errors, ...doc.warnings], lineCounter).map((error) => {
    const pos = lineCounter.linePos(error.pos[0]);
    let message = error.message.split('\n')[0] ?? error.message;
    if (/Maximum call stack size exceeded/.test(message)) message = 'nested too deeply: berth reads at most a few hundred levels of [ ] or { }';
    // `{ cmd: node x.js ${api.port} }`: inside { }, an unquoted ${ starts a nested mapping.
    const source = lines[pos.line - 1] ?? '';
    if (/\{[^}]*\$\{/.test(source) && !hinted.has(pos.line)) {
      hinted.add(pos.line);
      message += ' (inside { ... }, quote a value that holds ${...}: cmd: "node x.js ${api.port}")';
    } else if (/:\s*\{\s*\w+:/.test(source) && !hinted.has(pos.line)) {
      // `api: { cmd: node -e "f(() => {})" }`: a bare { } [ ] or comma in a value ends it early.
      hinted.add(pos.line);
      message += ' (inside { ... }, quote a value that holds { } [ ] or a comma, or write the service as a block)';
    }
    return {
      file: displayName,
      line: pos.line,
      col: pos.col,
      message,
      severity: doc.errors.includes(error as never) ? 'error' : 'warning',
    };
  });
  if (doc.errors.length === 0) {
    for (const offset of duplicateKeys(doc)) {
      const pos = lineCounter.linePos(offset);
      syntaxIssues.push({ file: displayName, line: pos.line, col: pos.col, message: 'Map keys must be unique', severity: 'error' });
    }
  }
  let data: unknown;
  if (syntaxIssues.every((issue) => issue.severity !== 'error')) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      if (!(error instanceof ReferenceError)) throw error;
      // The library's guard against alias bombs (and aliases to anchors not yet defined).
      const pos = lineCounter.linePos(firstAlias(doc));
      const message = /Excessive alias count/.test(error.message)
        ? `aliases expand to more than ${MAX_ALIAS_COUNT} nodes; berth refuses a file that grows this much when read`
        : (error.message.split('\n')[0] ?? error.message);
      syntaxIssues.push({ file: displayName, line: pos.line, col: pos.col, message, severity: 'error' });
    }
  }
  return { doc, lineCounter, data, syntaxIssues };
}

/** Syntax errors shown: after the first, the parser's follow-ups are mostly noise from the same mistake. */
const MAX_SYNTAX_LINES = 3;

/**
 * One mistake (an unquoted `{` in a value, say) makes the parser report every token after it:
 * keep the first problem of each line, on the first few lines that have one.
 */
function firstOfCascade<T extends { pos: [number, number] }>(errors: readonly T[], lineCounter: LineCounter): T[] {
  const lines = new Set<number>();
  return errors.filter((error) => {
    const { line } = lineCounter.linePos(error.pos[0]);
    if (lines.has(line) || lines.size >= MAX_SYNTAX_LINES) return false;
    lines.add(line);
    return true;
  });
}

/** Offset of the first character of every line. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  return starts;
}

/** 1-based line and column of `offset`, as the full parser's LineCounter gives them. */
function linePos(starts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((starts[middle] as number) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, col: offset - (starts[low] as number) + 1 };
}

/** Offsets of the keys that repeat an earlier key of the same map (merge keys `<<` may repeat). */
function duplicateKeys(doc: Document): number[] {
  const found: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const item of map.items) {
        const key = isScalar(item.key) ? item.key : null;
        if (key === null || key.value === '<<') continue;
        const text = `${typeof key.value}:${String(key.value)}`;
        if (seen.has(text)) found.push(rangeStart(key) ?? 0);
        else seen.add(text);
      }
    },
  });
  return found;
}

function firstAlias(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = rangeStart(node) ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function offsetOf(doc: Document, path: Path, wantKey: boolean): number {
  let node: unknown = doc.contents;
  let best = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) return best;
      const keyStart = rangeStart(pair.key);
      if (last && wantKey && keyStart !== undefined) return keyStart;
      const valueStart = rangeStart(pair.value);
      // A key with no value (`cmd:`) points at the key itself.
      best = valueStart ?? keyStart ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      const start = rangeStart(item);
      if (start === undefined) return best;
      best = start;
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range;
    if (range) return range[0];
  }
  return undefined;
}
