import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatEnvLine, hasBerthHeader, parseEnvFile } from '../../src/config/env-file.js';
import { checkConfigFile } from '../../src/config/load-config.js';
import { projectWith } from '../helpers/temp.js';

const none = () => undefined;

describe('parseEnvFile: dotenv as docker compose reads it', () => {
  it('reads KEY=VALUE lines, skipping comments and blank lines, with export and spaces around =', () => {
    const text = '# a comment\n\nexport A=1\n  B = two  \nC=three # a comment\nD=four#not a comment\nE=\n';
    expect(parseEnvFile(text, none)).toEqual({ vars: { A: '1', B: 'two', C: 'three', D: 'four#not a comment', E: '' }, problems: [] });
  });

  it('keeps single-quoted text as it is, across lines; double quotes know escapes and span lines', () => {
    const text = `S='it is $HOME # not a comment'\nM='one\ntwo'\nD="a\\tb\\n\\"c\\" \\$HOME \\\\"\nL="first\nsecond" # comment\n`;
    expect(parseEnvFile(text, () => '/home/me').vars).toEqual({
      S: 'it is $HOME # not a comment',
      M: 'one\ntwo',
      D: 'a\tb\n"c" $HOME \\',
      L: 'first\nsecond',
    });
  });

  it('interpolates ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR and $$ in unquoted and double-quoted values', () => {
    const env: Record<string, string> = { HOME: '/home/me', EMPTY: '' };
    const text = 'A=${HOME}/x\nB="$HOME/y"\nC=${NOPE:-dflt}\nD=${EMPTY:-dflt}\nE=${EMPTY-dflt}\nF=${A}-again\nG=$$HOME\nH=${NOPE}\n';
    expect(parseEnvFile(text, (key) => env[key]).vars).toEqual({ A: '/home/me/x', B: '/home/me/y', C: 'dflt', D: 'dflt', E: '', F: '/home/me/x-again', G: '$HOME', H: '' });
  });

  it('a KEY alone takes berth\'s own value; earlier files are seen by later ones', () => {
    expect(parseEnvFile('SHELL_VAR\nMISSING\n', (key) => (key === 'SHELL_VAR' ? 'from-shell' : undefined)).vars).toEqual({ SHELL_VAR: 'from-shell' });
    expect(parseEnvFile('B=${A}+', none, { A: 'first' }).vars).toEqual({ B: 'first+' });
  });

  it('says where a line is wrong', () => {
    expect(parseEnvFile('A=1\n  not a line\nB="open\n', none).problems).toEqual([
      { line: 2, col: 7, message: 'expected "=" after not' },
      { line: 3, col: 3, message: 'B: the double quote is never closed' },
    ]);
    expect(parseEnvFile("-A=1\nA='x' y\n", none).problems).toEqual([
      { line: 1, col: 1, message: 'expected KEY=VALUE' },
      { line: 2, col: 7, message: 'A: unexpected text after the closing quote' },
    ]);
  });

  it('CRLF files and a BOM read the same', () => {
    expect(parseEnvFile('\uFEFFA=1\r\nB="x"\r\n', none).vars).toEqual({ A: '1', B: 'x' });
  });
});

describe('formatEnvLine', () => {
  const values = ['5001', 'http://localhost:5001/api?x=1', 'two words', "it's", 'a "quoted" $HOME \\ line', 'multi\nline', ''];
  it.each(values)('%j reads back as itself, by berth and by Node', (value) => {
    const line = formatEnvLine('K', value);
    expect(parseEnvFile(`${line}\n`, () => 'EXPANDED').vars.K).toBe(value);
    if (!/[\\$]/.test(value)) expect(parseEnv(`${line}\n`).K).toBe(value);
  });
});

describe('hasBerthHeader', () => {
  it('knows the header of berth 0.1 and today\'s', () => {
    expect(hasBerthHeader('# Written by berth for a/dev#1; rewritten at every start.\nA=1\n')).toBe(true);
    expect(hasBerthHeader('# written by berth for a/dev#1 — removed when the instance stops; do not edit\n')).toBe(true);
    expect(hasBerthHeader('A=1\n# written by berth\n')).toBe(false);
  });
});

describe('ports.yaml: the files services name', () => {
  const yaml = (service: string) => `version: 1
ranges: { dev: 30000-30009 }
environments:
  dev:
    services:
      api:
        cmd: node api.js
${service}`;
  const errors = (root: string) => checkConfigFile({ cwd: root, vars: {} }).issues.filter((issue) => issue.severity === 'error').map((issue) => `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`);

  it('a missing env_file is an error at its entry that explains the new meaning and names write_env', () => {
    const root = projectWith(yaml('        cwd: web\n        env_file: [.env, web/.env.local]\n'));
    writeFileSync(path.join(root, '.env'), 'A=1\n');
    expect(errors(root)).toEqual([
      'ports.yaml:9:26: env_file "web/.env.local" does not exist — env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env: .env.local',
    ]);
  });

  it('an env_file that berth wrote (the old meaning) is an error that names write_env', () => {
    const root = projectWith(yaml('        env_file: .env.local\n'));
    writeFileSync(path.join(root, '.env.local'), '# Written by berth for proj/dev#1; rewritten at every start.\nAPI_PORT=30000\n');
    expect(errors(root)).toEqual([
      'ports.yaml:8:19: env_file ".env.local" was written by berth (its first line says so) — env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env: .env.local',
    ]);
  });

  it('a bad line in an env_file is reported at its line and column in that file', () => {
    const root = projectWith(yaml('        env_file: .env\n'));
    writeFileSync(path.join(root, '.env'), 'A=1\nB="open\n');
    expect(errors(root)).toEqual(['.env:2:3: B: the double quote is never closed']);
  });

  it('a template: a missing from is an error at the entry; an unknown reference in its content at its line and column', () => {
    const root = projectWith(yaml('        templates:\n          - { from: missing.in, to: out.json }\n          - { from: conf.in, to: "conf.${instance}.json" }\n'));
    writeFileSync(path.join(root, 'conf.in'), '{\n  "api": ${api.port},\n  "x": "${nope.port}", "lit": "$${kept}"\n}\n');
    expect(errors(root)).toEqual([
      'ports.yaml:9:21: template "missing.in" does not exist',
      'conf.in:3:9: unknown reference ${nope.port}: there is no service "nope" in environment dev',
    ]);
  });

  it('existing files and good templates pass', () => {
    const root = projectWith(yaml('        env_file: .env\n        write_env: .env.dev${instance}.local\n        templates: [{ from: conf.in, to: "conf.${instance}.json" }]\n'));
    writeFileSync(path.join(root, '.env'), 'A=1\n');
    writeFileSync(path.join(root, 'conf.in'), '{"api": ${api.port}}\n');
    expect(errors(root)).toEqual([]);
  });
});
