import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../src/config/yaml-source.js';

const where = (yaml: string) => parseYamlSource(yaml, 'ports.yaml').syntaxIssues.map((issue) => `${issue.line}:${issue.col}: ${issue.message}`);

describe('YAML that reads badly', () => {
  it('an alias bomb (billion laughs) in an x- key is one error with its line, not a crash', () => {
    let yaml = 'version: 1\nx-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 9; i++) {
      const name = String.fromCharCode(97 + i);
      const previous = String.fromCharCode(96 + i);
      yaml += `x-${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]\n`;
    }
    yaml += 'environments: {}\n';
    const source = parseYamlSource(yaml, 'ports.yaml');
    expect(source.data).toBeUndefined();
    expect(where(yaml)).toEqual(['3:10: aliases expand to more than 1000 nodes; berth refuses a file that grows this much when read']);
  });

  it('a few aliases and merge keys are fine', () => {
    const source = parseYamlSource('x-base: &base { ports: 1 }\nsvc:\n  <<: *base\n  cmd: x\nother: *base\n', 'ports.yaml');
    expect(source.syntaxIssues).toEqual([]);
    expect(source.data).toEqual({ 'x-base': { ports: 1 }, svc: { ports: 1, cmd: 'x' }, other: { ports: 1 } });
  });

  it('every repeated key is reported where it repeats, in maps of any size', () => {
    const services = Array.from({ length: 3000 }, (_, i) => `  s${i}: ${i}`);
    services.splice(1500, 0, '  s7: again');
    const yaml = `version: 1\nversion: 2\nmap:\n${services.join('\n')}\nnested: { a: 1, b: 2, a: 3 }\n`;
    expect(where(yaml)).toEqual(['2:1: Map keys must be unique', '1504:3: Map keys must be unique', '3005:23: Map keys must be unique']);
  });

  it('keys that only look alike are distinct (1 and "1")', () => {
    expect(where('a:\n  1: x\n  "1": y\n')).toEqual([]);
  });

  it('one unquoted brace in a flow map is the first error of its line with a hint, not a screen of follow-ups', () => {
    const yaml = 'version: 1\nservices:\n  api: { cmd: node -e "setInterval(() => {}, 1000)", ports: 1 }\n  web: { cmd: node -e "x({a, b})", ports: 1 }\n  db: { cmd: "x", ports: [a, b }\n  more: [1, 2\n';
    const issues = where(yaml);
    expect(issues.length).toBeLessThanOrEqual(3);
    expect(new Set(issues.map((issue) => issue.split(':')[0])).size).toBe(issues.length); // one per line
    expect(issues[0]).toMatch(/^3:\d+: .* \(inside \{ \.\.\. \}, quote a value that holds \{ \} \[ \] or a comma, or write the service as a block\)$/);
  });

  it('nesting deeper than the parser can follow is one error saying so, not a crash', () => {
    const issues = where(`version: 1\nx-deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^2:\d+: nested too deeply: berth reads at most a few hundred levels of \[ \] or \{ \}$/);
  });
});
