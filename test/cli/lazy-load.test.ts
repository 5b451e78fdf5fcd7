import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runNode } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 31560-31569. Runs the bundled bin (npm run build) with a module
// resolution hook that records every module the process loads.

const TRACER = path.join(ROOT, 'test', 'fixtures', 'trace-imports.mjs');
const META = path.join(ROOT, 'dist', 'bundle', 'meta.json');
const HEAVY = /(^|\/)node_modules\/(blessed|chokidar)\/|^src\/tui\//;

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

function metafile(): Metafile {
  expect(existsSync(META), `${META} is written by npm run build`).toBe(true);
  return JSON.parse(readFileSync(META, 'utf8')) as Metafile;
}

/** The source modules behind a list of loaded URLs: a chunk's inputs, or the file itself. */
function modulesOf(urls: string[], meta: Metafile): string[] {
  const modules = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = path.relative(ROOT, fileURLToPath(url));
    const output = meta.outputs[file];
    if (output) for (const input of Object.keys(output.inputs)) modules.add(input);
    else modules.add(file);
  }
  return [...modules];
}

async function traced(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stderr: string; urls: string[] }> {
  const trace = path.join(tempDir('berth-trace-'), 'imports.txt');
  const result = await runNode(['--import', TRACER, ...args], { ...options, env: { ...options.env, BERTH_TRACE_IMPORTS: trace } });
  const urls = existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  return { code: result.code, stderr: result.stderr, urls };
}

const yaml = `version: 1
project: lazy
ranges:
  dev: 31560-31569
environments:
  dev:
    ranges: [dev]
    services:
      api: { cmd: node api.js }
`;

describe('quick commands load neither the dashboard nor the file watcher', () => {
  it('the tracer sees blessed and chokidar when they load, bundled or not (the check can fail)', async () => {
    const meta = metafile();
    const direct = await traced(['--input-type=module', '-e', "await import('blessed'); await import('chokidar');"]);
    expect(direct.code, direct.stderr).toBe(0);
    const loaded = modulesOf(direct.urls, meta).filter((module) => HEAVY.test(module));
    expect(loaded.some((module) => module.includes('node_modules/blessed/'))).toBe(true);
    expect(loaded.some((module) => module.includes('node_modules/chokidar/'))).toBe(true);
    // A chunk that holds the dashboard or the watcher counts as loading it.
    const heavyChunks = Object.entries(meta.outputs).filter(([, output]) => Object.keys(output.inputs).some((input) => HEAVY.test(input)));
    expect(heavyChunks.length).toBeGreaterThan(0);
    const chunkUrls = heavyChunks.map(([file]) => `file://${path.join(ROOT, file)}`);
    expect(modulesOf(chunkUrls, meta).some((module) => HEAVY.test(module))).toBe(true);
  });

  it('berth ps, env, check (and --version, --help) do not', async () => {
    const meta = metafile();
    const cwd = projectWith(yaml);
    const env = { BERTH_HOME: tempDir('berth-home-') };
    const reserved = await traced([CLI, 'reserve', 'dev'], { cwd, env });
    expect(reserved.code, reserved.stderr).toBe(0);
    try {
      for (const args of [['ps'], ['ps', '--all'], ['env'], ['check', '31565'], ['check', '31560-31561'], ['--version'], ['--help']]) {
        const result = await traced([CLI, ...args], { cwd, env });
        expect(result.urls.length, `berth ${args.join(' ')} was traced`).toBeGreaterThan(0);
        expect(result.code === 0 || args[0] === 'check', `berth ${args.join(' ')}: ${result.stderr}`).toBe(true);
        expect(modulesOf(result.urls, meta).filter((module) => HEAVY.test(module)), `berth ${args.join(' ')}`).toEqual([]);
      }
    } finally {
      await runNode([CLI, 'release', 'dev'], { cwd, env });
    }
  });

  it('berth up with its output in a pipe does not load the dashboard or blessed', async () => {
    const meta = metafile();
    const cwd = projectWith(yaml.replace('api: { cmd: node api.js }', 'api: { cmd: node -e "console.log(1)", restart: never }'));
    const result = await traced([CLI, 'up'], { cwd, env: { BERTH_HOME: tempDir('berth-home-') } });
    expect(result.code, result.stderr).toBe(0);
    expect(modulesOf(result.urls, meta).filter((module) => /(^|\/)node_modules\/blessed\/|^src\/tui\//.test(module))).toEqual([]);
  });
});
