import { readFileSync, renameSync, statSync, utimesSync, writeFileSync, type Stats } from 'node:fs';

/**
 * V8's compiled code for one of the bin's chunks, kept beside it as `CHUNK.js.cache` (written by
 * the build, record-code-cache.ts), so a command does not compile its chunks again each time it
 * starts. V8 checks a cache's Node version, V8 flags and the source's length, rejects one that
 * does not match, and compiles the source instead. A chunk edited to the same length would pass
 * that check with code that is not its own, so a cache is used only while its mtime is the
 * chunk's: the build gives both the same one, a packed install keeps them equal (npm gives every
 * file one), and any write to the chunk changes it.
 */
export const cacheFileOf = (chunk: string) => `${chunk}.cache`;

/** A chunk's cache, if it has one with the chunk's mtime. */
export function readCodeCache(chunk: string, stats: Stats): Buffer | undefined {
  const cache = cacheFileOf(chunk);
  try {
    const cacheStats = statSync(cache, { throwIfNoEntry: false });
    if (!cacheStats || cacheStats.mtimeMs !== stats.mtimeMs || cacheStats.size === 0) return undefined;
    return readFileSync(cache);
  } catch {
    return undefined; // unreadable: the chunk is compiled from its source, as without a cache
  }
}

/** Writes a chunk's cache (whole or not at all), giving both the same mtime. */
export function writeCodeCache(chunk: string, data: Buffer, mtime: Date): void {
  const cache = cacheFileOf(chunk);
  const staged = `${cache}.${process.pid}.tmp`;
  writeFileSync(staged, data);
  utimesSync(staged, mtime, mtime);
  utimesSync(chunk, mtime, mtime);
  renameSync(staged, cache);
}
