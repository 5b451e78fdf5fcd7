import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { colorWanted } from '../../src/cli/color.js';
import { alive, startUp } from '../helpers/berth-up.js';
import { ROOT, runCli } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 31500-31519.

const FIX = path.join(ROOT, 'test', 'fixtures');

describe('colorWanted: Node\'s rule', () => {
  it.each([
    [{}, false, false],
    [{}, true, true],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true], // empty NO_COLOR does not count (no-color.org, Node)
    [{ NODE_DISABLE_COLORS: '1' }, true, false],
    [{ TERM: 'dumb' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '' }, false, true],
    [{ FORCE_COLOR: 'true' }, false, true],
    [{ FORCE_COLOR: '2' }, false, true],
    [{ FORCE_COLOR: '3' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ FORCE_COLOR: 'yes' }, true, false], // Node: any other value means no colour
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true], // FORCE_COLOR beats NO_COLOR
    [{ FORCE_COLOR: '1', TERM: 'dumb' }, false, true],
    [{ FORCE_COLOR: '0', NO_COLOR: '' }, true, false],
  ])('%j on a terminal: %s → %s', (env, isTTY, wanted) => {
    expect(colorWanted(env, isTTY)).toBe(wanted);
  });
});

function colourProject(port: number, stay = false) {
  const cwd = projectWith(`version: 1
project: colours
ranges: { dev: ${port}-${port + 4} }
environments:
  dev:
    services:
      one: { cmd: node ${FIX}/print-color-env.mjs${stay ? ' stay' : ''}, ports: 0, ready: { log: colour } }
`);
  return { cwd, env: { BERTH_HOME: tempDir('berth-home-') } };
}

/** What the service printed, from `one │ colour ...`. */
function seen(lines: readonly string[]): string | undefined {
  const line = lines.map((text) => text.replace(/\u001b\[[0-9;]*m/g, '')).find((text) => /^one +│ colour /.test(text));
  return line?.slice(line.indexOf('colour ') + 7);
}

describe('berth up --no-tui: the services\' FORCE_COLOR', () => {
  const cases: Array<[string, Record<string, string | undefined>, string, boolean]> = [
    ['FORCE_COLOR=1 in berth\'s environment: colour, and the service gets FORCE_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: undefined }, 'FORCE_COLOR="1" NO_COLOR=unset', true],
    ['NO_COLOR=1 and no terminal: no colour, no FORCE_COLOR', { FORCE_COLOR: undefined, NO_COLOR: '1' }, 'FORCE_COLOR=unset NO_COLOR="1"', false],
    ['neither, no terminal: no colour, no FORCE_COLOR', { FORCE_COLOR: undefined, NO_COLOR: undefined }, 'FORCE_COLOR=unset NO_COLOR=unset', false],
    ['FORCE_COLOR=1 and NO_COLOR=1: FORCE_COLOR wins', { FORCE_COLOR: '1', NO_COLOR: '1' }, 'FORCE_COLOR="1" NO_COLOR="1"', true],
    ['FORCE_COLOR=0: no colour; the service keeps berth\'s own value', { FORCE_COLOR: '0', NO_COLOR: undefined }, 'FORCE_COLOR="0" NO_COLOR=unset', false],
  ];
  it.each(cases)('%s', async (_name, colours, expected, coloured) => {
    const { cwd, env } = colourProject(31500);
    const berth = startUp([], { cwd, env: { ...env, ...colours } as Record<string, string> });
    const { code } = await berth.exit;
    expect(code, berth.stderr()).toBe(0);
    expect(seen(berth.lines)).toBe(expected);
    const names = berth.lines.filter((line) => line.includes('│'));
    expect(names.length).toBeGreaterThan(0);
    for (const line of names) expect(line.startsWith('\u001b['), line).toBe(coloured);
  });
});

describe('berth up -d: the services get berth\'s own environment, colour variables untouched', () => {
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    ['FORCE_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: undefined }, 'FORCE_COLOR="1" NO_COLOR=unset'],
    ['NO_COLOR=1', { FORCE_COLOR: undefined, NO_COLOR: '1' }, 'FORCE_COLOR=unset NO_COLOR="1"'],
    ['neither', { FORCE_COLOR: undefined, NO_COLOR: undefined }, 'FORCE_COLOR=unset NO_COLOR=unset'],
    ['both', { FORCE_COLOR: '1', NO_COLOR: '1' }, 'FORCE_COLOR="1" NO_COLOR="1"'],
  ];
  it.each(cases)('%s', async (_name, colours, expected) => {
    const { cwd, env } = colourProject(31510, true);
    const all = { ...env, ...colours };
    const pids: number[] = [];
    try {
      const result = await runCli(['up', '-d', '--json'], { cwd, env: all });
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { log: string; lease: { owner: { pid: number } }; services: Array<{ pid: number | null }> };
      pids.push(report.lease.owner.pid, report.services[0]?.pid ?? 0);
      const log = readFileSync(report.log, 'utf8');
      expect(seen(log.split('\n'))).toBe(expected);
      expect(log).not.toContain('\u001b['); // the detached berth's log has no colour codes
    } finally {
      await runCli(['down'], { cwd, env: all });
      for (const pid of pids) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
