import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// Runs the bundled bin (npm run build), each chunk's compiled code cached beside it, with a hook
// that records what became of each chunk's cache. Binds no port.

const TRACER = path.join(ROOT, 'test', 'fixtures', 'trace-code-cache.cjs');

/** `node [dist]/cli.js ...args` with the tracer: its output, and each chunk it compiled with what became of its cache. */
async function traced(args: string[], dist = path.join(ROOT, 'dist'), cwd = ROOT) {
  const trace = path.join(tempDir('berth-trace-'), 'code-cache.txt');
  const home = tempDir('berth-home-');
  const run = await runNode(['--require', TRACER, path.join(dist, 'cli.js'), ...args], { cwd, env: { BERTH_HOME: home, BERTH_TRACE_CODE_CACHE: trace } });
  const lines = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  const fates = Object.fromEntries(lines.map((line) => line.split(' ')).map(([file, fate]) => [path.basename(file as string), fate]));
  return { ...run, fates };
}

/** A copy of dist/, every file with a new mtime, as `npm install` gives them. */
function copyOfDist(): string {
  const copy = path.join(tempDir('berth-dist-'), 'dist');
  cpSync(path.join(ROOT, 'dist'), copy, { recursive: true });
  return copy;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

/** The chunk of `dist` whose source holds `text`. */
function chunkHolding(dist: string, text: string): string {
  const dir = path.join(dist, 'bundle', 'chunks');
  const name = readdirSync(dir).find((file) => file.startsWith('ps-') && file.endsWith('.js') && readFileSync(path.join(dir, file), 'utf8').includes(text));
  expect(name, `a ps chunk holding ${text}`).toBeDefined();
  return path.join(dir, name as string);
}

describe('the bin\'s chunks, compiled from their caches', () => {
  it.each([[['ps', '--all']], [['validate']], [['--version']]])('berth %j: every chunk it loads comes with a cache that V8 takes', async (args) => {
    const run = await traced(args);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.fates).length).toBeGreaterThan(args[0] === '--version' ? 0 : 3);
    expect(Object.entries(run.fates).filter(([, fate]) => fate !== 'used')).toEqual([]);
  });

  it('berth up too: the V8 flag it sets for its start comes after its chunks are loaded (a flag set before leaves every cache unused)', async () => {
    const cwd = projectWith(`version: 1
environments:
  dev:
    services:
      once: { cmd: "true", ports: 0 }
`);
    const run = await traced(['up'], undefined, cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.fates).length).toBeGreaterThan(10);
    expect(Object.entries(run.fates).filter(([, fate]) => fate !== 'used')).toEqual([]);
  });

  it('a chunk changed in place, to the same length, is compiled from its new source: its cache is not used', async () => {
    const dist = copyOfDist();
    const before = await traced(['ps', '--all'], dist);
    expect(before.stdout).toBe('no instances running\n');
    const chunk = chunkHolding(dist, 'no instances');
    expect(before.fates[path.basename(chunk)], 'a copy with new mtimes uses its caches').toBe('used');

    // Same length, so V8's own check (the source's length) would take the old code.
    writeFileSync(chunk, readFileSync(chunk, 'utf8').replace('no instances', 'NO INSTANCES'));
    const after = await traced(['ps', '--all'], dist);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe('NO INSTANCES running\n');
    expect(after.fates[path.basename(chunk)]).toBe('none');
  });

  it.each([
    ['made for this chunk, its code garbled (a faulty disk)', (chunk: Buffer, size: number) => Buffer.concat([sha256(chunk), Buffer.alloc(size - 32, 0x5a)]), 'rejected'],
    ['cut short', () => Buffer.alloc(16), 'none'],
    ['that is empty', () => Buffer.alloc(0), 'none'],
  ])('a cache %s: the chunk is compiled from its source and the command runs as without one', async (_, garble, fate) => {
    const dist = copyOfDist();
    const chunk = chunkHolding(dist, 'no instances');
    const cache = `${chunk}.cache`;
    writeFileSync(cache, garble(readFileSync(chunk), statSync(cache).size));
    const run = await traced(['ps', '--all'], dist);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('no instances running\n');
    expect(run.fates[path.basename(chunk)]).toBe(fate);
  });
});
