import Module from 'node:module';
import { Script } from 'node:vm';
import { loadChunks, readChunk } from './chunk-loader.js';
import { writeCodeCache } from './code-cache.js';

/**
 * For the build: runs `exercise` with every chunk of `dir` it loads recorded, then writes each
 * chunk's code cache: the code its functions were compiled to while it ran, or the top level
 * alone for a chunk it did not load.
 */
export async function recordCodeCache(dir: string, chunks: string[], exercise: () => Promise<void>): Promise<void> {
  const scripts = new Map<string, Script>();
  loadChunks(dir, (chunk, script) => scripts.set(chunk, script));
  await exercise();
  for (const chunk of chunks) {
    const { bytes, source } = readChunk(chunk);
    const script = scripts.get(chunk) ?? new Script(Module.wrap(source), { filename: chunk });
    writeCodeCache(chunk, bytes, script.createCachedData());
  }
}
