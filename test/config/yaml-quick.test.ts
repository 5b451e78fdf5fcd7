import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate-config.js';
import { readQuickYaml } from '../../src/config/yaml-events.js';
import { parseYamlSource, type Path } from '../../src/config/yaml-source.js';
import { random } from '../helpers/random.js';

// The quick path and the full parser must agree on every file: the same data, and the same
// LINE:COL for every key and value a message can point at.

const root = path.resolve(import.meta.dirname, '../..');

function every(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((item, index) => every(item, [...at, index], out));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) every(item, [...at, key], out);
  return out;
}

function agree(text: string): void {
  const quick = parseYamlSource(text, 'ports.yaml');
  const full = parseYamlSource(text, 'ports.yaml', { quick: false });
  expect(quick.syntaxIssues).toEqual(full.syntaxIssues);
  expect(quick.data).toEqual(full.data);
  for (const at of every(full.data)) {
    for (const key of [false, true]) expect(quick.locate(at, { key }), `${JSON.stringify(at)} key=${key}\n${text}`).toEqual(full.locate(at, { key }));
  }
  // Paths that are not there point at their nearest parent on both.
  for (const at of [['nope'], ['environments', 'nope', 'services'], [0, 1], ['environments', 3]]) expect(quick.locate(at)).toEqual(full.locate(at));
}


const SCALARS = ['plain', 'two words', '"double"', "'single'", '"with \\"escape\\""', '42', '-7', '0x1F', '0o17', '1.5', '1e3', '.inf', 'true', 'False', 'null', '~', '', '"${api.port}"', 'node server.js --port ${self.port}', '"{ json: true }"', '# not a comment? no', "'it''s'"];

function scalar(next: () => number): string {
  return SCALARS[Math.floor(next() * SCALARS.length)] as string;
}

function block(next: () => number, indent: number, depth: number): string {
  const pad = ' '.repeat(indent);
  const pick = next();
  if (depth > 3 || pick < 0.3) return ` ${scalar(next)}`.trimEnd();
  if (pick < 0.4) return ` ${next() < 0.5 ? '|' : '>-'}\n${pad}  line one\n${pad}  line two`;
  if (pick < 0.5) return ` { a: ${scalar(next) || '1'}, "b c": [1, ${scalar(next) || 'x'}] }`;
  if (pick < 0.7) {
    const items = 1 + Math.floor(next() * 3);
    return `\n${Array.from({ length: items }, () => `${pad}-${block(next, indent + 2, depth + 1).replace(/^\n\s*/, ' ')}`).join('\n')}`;
  }
  const keys = 1 + Math.floor(next() * 4);
  return `\n${Array.from({ length: keys }, (_, k) => `${pad}${next() < 0.2 ? `"k ${k}"` : `k${k}`}:${block(next, indent + 2, depth + 1)}`).join('\n')}`;
}

describe('the quick YAML path', () => {
  it('agrees with the full parser on the examples and the project file', () => {
    const files = [path.join(root, 'ports.yaml'), ...readdirSync(path.join(root, 'examples')).map((name) => path.join(root, 'examples', name, 'ports.yaml'))].filter((file) => existsSync(file));
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) agree(readFileSync(file, 'utf8'));
  });

  it('agrees with the full parser on 300 generated documents (block, flow, quoted, empty, nested)', () => {
    const next = random(14);
    let quick = 0;
    for (let n = 0; n < 300; n++) {
      const text = `version: 1\nroot:${block(next, 2, 0)}\nlast: end\n`;
      if (readQuickYaml(text)) quick += 1;
      agree(text);
    }
    expect(quick).toBeGreaterThan(250); // the documents are plain YAML: the quick path read them
  });

  it('leaves anchors, aliases, tags, directives, repeated keys and syntax errors to the full parser, with its messages', () => {
    const cases = [
      'x-base: &b { cmd: a }\nservices:\n  api: *b\n',
      'a: !!str 5\n',
      '%YAML 1.1\n---\na: yes\n',
      'a: 1\na: 2\n',
      'a: [1, 2\n',
      'a: 1\n---\nb: 2\n',
      '',
    ];
    for (const text of cases) agree(text);
    expect(parseYamlSource('a: 1\na: 2\n', 'f').syntaxIssues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`)).toEqual(['2:1: Map keys must be unique']);
  });

  it('reads a 5 MB ports.yaml and places a message in it (the time is measured in bench/, not here)', () => {
    let text = 'version: 1\nproject: big\nenvironments:\n';
    let e = 0;
    while (text.length < 5 * 1024 * 1024) {
      text += `  env${e}:\n    ranges: [20000-20099]\n    services:\n`;
      for (let s = 0; s < 20; s++) text += `      svc${s}:\n        cmd: "node server.js --port \${svc${s}.port}"\n        ports: 1\n`;
      e += 1;
    }
    const broken = `${text}  last:\n    ranges: [20000-20099]\n    services:\n      api: { cmd: "node x.js", ports: "two" }\n`;
    const lines = broken.split('\n').length;
    const { issues } = validateConfig(parseYamlSource(broken, 'ports.yaml'), { root, vars: {}, ephemeral: null, readFile: (name) => readFileSync(name, 'utf8') });
    expect(issues.map((issue) => `${issue.line}:${issue.col}`)).toEqual([`${lines - 1}:39`]);
  });
});
