import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { Script } from 'node:vm';
import { loadChunks } from './chunk-loader.js';
import { writeCodeCache } from './code-cache.js';

/**
 * For the build: runs `exercise` with every chunk of `dir` it loads recorded, then writes each
 * chunk's code cache: the code its functions were compiled to while it ran, or the top level
 * alone for a chunk it did not load. Each cache names the bytes its code was compiled from.
 */
export async function recordCodeCache(dir: string, chunks: string[], exercise: () => Promise<void>): Promise<void> {
  const compiled = new Map<string, { script: Script; bytes: Buffer }>();
  loadChunks(dir, (chunk, script, bytes) => compiled.set(chunk, { script, bytes }));
  await exercise();
  for (const chunk of chunks) {
    const { script, bytes } = compiled.get(chunk) ?? topLevelOf(chunk);
    writeCodeCache(chunk, bytes, script.createCachedData());
  }
}

function topLevelOf(chunk: string): { script: Script; bytes: Buffer } {
  const bytes = readFileSync(chunk);
  return { bytes, script: new Script(Module.wrap(bytes.toString('utf8')), { filename: chunk }) };
}
