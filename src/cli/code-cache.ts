import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * V8's compiled code for one of the bin's chunks, kept beside it as `CHUNK.js.cache` (written by
 * the build, record-code-cache.ts), so a command does not compile its chunks again each time it
 * starts. V8 checks a cache's Node version, V8 flags and the source's length, rejects one that
 * does not match, and compiles the source instead. A chunk edited to the same length would pass
 * that check with code that is not its own, so the file starts with the SHA-256 of the chunk it
 * was made from, and is used only for that chunk (~1 ms a quick command: hashing its chunks).
 */
const cacheFileOf = (chunk: string) => `${chunk}.cache`;

const DIGEST_BYTES = 32;
const digestOf = (chunk: Buffer) => createHash('sha256').update(chunk).digest();

/** The code cache made from exactly these chunk bytes, if there is one. */
export function readCodeCache(chunk: string, bytes: Buffer): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cacheFileOf(chunk));
  } catch {
    return undefined; // none, or unreadable: the chunk is compiled from its source, as without a cache
  }
  if (file.length <= DIGEST_BYTES || !digestOf(bytes).equals(file.subarray(0, DIGEST_BYTES))) return undefined;
  return file.subarray(DIGEST_BYTES);
}

/** Writes a chunk's code cache, whole or not at all. */
export function writeCodeCache(chunk: string, bytes: Buffer, data: Buffer): void {
  const cache = cacheFileOf(chunk);
  const staged = `${cache}.${process.pid}.tmp`;
  writeFileSync(staged, Buffer.concat([digestOf(bytes), data]));
  renameSync(staged, cache);
}
