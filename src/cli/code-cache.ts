import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

/**
 * V8's compiled code for the bin's chunks, so a command does not compile them again each time
 * it starts (~10–20 ms of a quick command). The build writes `CHUNK.js.cache` beside each chunk
 * (`recordCodeCache`): the bytecode of the functions a few quick commands ran, and of the top
 * level of every other chunk. `loadChunksWithCodeCache` compiles a chunk with its cache.
 *
 * V8 checks the cache's Node version, V8 flags and the source's length; it rejects a cache
 * that does not match and compiles the source instead. A chunk edited to the same length would
 * pass that check with code that is not its own, so a cache is used only while its mtime is
 * the chunk's: the build gives both the same one, a packed install keeps them equal (npm gives
 * every file one), and any write to the chunk changes it.
 */

type Loader = (module: NodeJS.Module, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;

export const cacheFileOf = (chunk: string) => `${chunk}.cache`;

/** The chunks in `dir` are compiled with their caches from here on; every other file as before. */
export function loadChunksWithCodeCache(dir: string, compiled?: (chunk: string, script: Script) => void): void {
  const load = extensions['.js'] as Loader;
  extensions['.js'] = function loadChunk(this: unknown, module, filename) {
    if (path.dirname(filename) !== dir) return load.call(this, module, filename);
    const { source, stats } = readChunk(filename);
    const cachedData = cacheOf(filename, stats);
    const script = new Script(Module.wrap(source), { filename, ...(cachedData ? { cachedData } : {}) });
    compiled?.(filename, script);
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, Module.createRequire(filename), module, filename, dir);
  };
}

/**
 * Runs `exercise` with every chunk of `dir` it loads recorded, then writes each chunk's cache:
 * the code its functions were compiled to while it ran, or the top level alone for a chunk it
 * did not load. Each chunk and its cache are given the same mtime.
 */
export async function recordCodeCache(dir: string, chunks: string[], exercise: () => Promise<void>): Promise<void> {
  const scripts = new Map<string, Script>();
  loadChunksWithCodeCache(dir, (chunk, script) => scripts.set(chunk, script));
  await exercise();
  const mtime = new Date(Math.floor(Date.now() / 1000) * 1000);
  for (const chunk of chunks) {
    const script = scripts.get(chunk) ?? new Script(Module.wrap(readChunk(chunk).source), { filename: chunk });
    const cache = cacheFileOf(chunk);
    const staged = `${cache}.${process.pid}.tmp`;
    writeFileSync(staged, script.createCachedData());
    utimesSync(staged, mtime, mtime);
    utimesSync(chunk, mtime, mtime);
    renameSync(staged, cache);
  }
}

function readChunk(filename: string): { source: string; stats: Stats } {
  const fd = openSync(filename, 'r');
  try {
    return { stats: fstatSync(fd), source: stripShebang(readFileSync(fd, 'utf8')) };
  } finally {
    closeSync(fd);
  }
}

/** A chunk's cache, if it has one with the chunk's mtime. */
function cacheOf(chunk: string, stats: Stats): Buffer | undefined {
  const cache = cacheFileOf(chunk);
  try {
    const cacheStats = statSync(cache, { throwIfNoEntry: false });
    if (!cacheStats || cacheStats.mtimeMs !== stats.mtimeMs || cacheStats.size === 0) return undefined;
    return readFileSync(cache);
  } catch {
    return undefined; // unreadable: the chunk is compiled from its source, as without a cache
  }
}

/** As Node does for a CommonJS file: a `#!` line is a comment (same length, so positions hold). */
function stripShebang(source: string): string {
  return source.startsWith('#!') ? `//${source.slice(2)}` : source;
}
