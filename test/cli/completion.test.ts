import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 31540-31559 (named in ports.yaml only; nothing binds them).

const yaml = `version: 1
project: shop
ranges: { dev: 31540-31549, test: 31550-31559 }
environments:
  dev:
    services:
      api: { cmd: node api.js }
      web: { cmd: node web.js }
  test:
    services:
      runner: { cmd: node runner.js }
`;

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

async function script(shell: string): Promise<string> {
  const result = await runCli(['completion', shell]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout;
}

/**
 * What bash's completion offers for `line` (the cursor at its end), with berth's script sourced
 * as a user's .bashrc would, `berth` being the built CLI. Plain bash: no bash-completion package.
 */
function bashComplete(file: string, cwd: string, line: string): string[] {
  const words = line.split(' ');
  const program = [
    `berth() { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"; }`,
    'compopt() { :; }', // only works inside a completion bash itself started
    `source ${JSON.stringify(file)}`,
    `source ${JSON.stringify(file)}`, // a second time, as a re-read .bashrc does
    `COMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${JSON.stringify(line)}`,
    `COMP_POINT=${line.length}`,
    '__berth_complete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { cwd, encoding: 'utf8', env: { ...process.env, BERTH_FILE: '' } });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe('berth completion', () => {
  it('bash: a script that completes commands, options, environments and services', async () => {
    const file = path.join(tempDir(), 'berth.bash');
    writeFileSync(file, await script('bash'));
    execFileSync('bash', ['-n', file]);
    const cwd = projectWith(yaml);

    const commands = bashComplete(file, cwd, 'berth ');
    expect(commands).toEqual(expect.arrayContaining(['up', 'down', 'ps', 'env', 'restart', 'logs', 'validate', 'completion']));
    expect(commands).not.toContain('complete'); // the hidden entry the script itself calls
    expect(bashComplete(file, cwd, 'berth re')).toEqual(['restart', 'reserve', 'release']);
    expect(bashComplete(file, cwd, 'berth up ')).toEqual(['dev', 'test']);
    expect(bashComplete(file, cwd, 'berth env t')).toEqual(['test']);
    expect(bashComplete(file, cwd, 'berth up --o')).toEqual(['--only']);
    expect(bashComplete(file, cwd, 'berth up --only ')).toEqual(['api', 'web', 'runner']);
    expect(bashComplete(file, cwd, 'berth restart ')).toEqual(['api', 'web', 'runner']);
    expect(bashComplete(file, cwd, 'berth restart api ')).toEqual(['dev', 'test']);
    expect(bashComplete(file, cwd, 'berth up test --only ')).toEqual(['runner']); // services of the environment named
    expect(bashComplete(file, cwd, 'berth env --format ')).toEqual(['shell', 'dotenv', 'json']);
    expect(bashComplete(file, cwd, 'berth completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('reads the ports.yaml that -f names, and offers nothing from a file that does not parse', async () => {
    const cwd = projectWith(yaml);
    writeFileSync(path.join(cwd, 'other.yaml'), 'version: 1\nenvironments: { staging: { services: { db: { cmd: x } } } }\n');
    writeFileSync(path.join(cwd, 'broken.yaml'), 'environments: [\n');
    const complete = async (...words: string[]) => (await runCli(['complete', '--', ...words], { cwd })).stdout;
    expect(await complete('up', '-f', 'other.yaml', '')).toBe('staging\t\n:4\n');
    expect(await complete('up', '--file=other.yaml', '--only', '')).toBe('db\t\n:4\n');
    expect(await complete('up', '-f', 'broken.yaml', '')).toBe(':4\n');
    expect(await complete('up', '--file', '')).toBe('broken.yaml\t\nother.yaml\t\nports.yaml\t\n:4\n');
    expect((await runCli(['complete', '--', 'up', ''], { cwd: tempDir() })).stdout).toBe(':4\n'); // no ports.yaml anywhere
  });

  it.each([
    ['zsh', '#compdef berth'],
    ['fish', 'complete -c berth'],
  ])('%s: a script that asks berth complete', async (shell, marker) => {
    const text = await script(shell);
    expect(text).toContain(marker);
    expect(text).toContain('berth complete --');
    if (has(shell)) {
      const file = path.join(tempDir(), `berth.${shell}`);
      writeFileSync(file, text);
      execFileSync(shell, ['-n', file]);
    }
  });

  it('an unknown shell is a usage error', async () => {
    const result = await runCli(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/value 'powershell' is invalid for argument 'SHELL'\. Allowed choices are bash, zsh, fish/);
  });
});
