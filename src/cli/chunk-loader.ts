import { readFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { readCodeCache } from './code-cache.js';

/**
 * How the bin loads its chunks (dist/bundle/chunks/): each is compiled from its code cache
 * (code-cache.ts), and the chunks one requires of its siblings (`require("./chunk-HASH.js")`,
 * esbuild's output) are found in the same folder without Node's resolution. That resolution
 * costs a quick command a few path operations a chunk, enough that V8 starts its optimizing
 * compiler for them, which alone adds ~3.5 MiB to the process's peak. Every other file, and
 * every other request, goes through Node as before.
 */

type Loader = (module: NodeJS.Module, filename: string) => void;
const internals = Module as unknown as {
  _extensions: Record<string, Loader>;
  _cache: NodeJS.Dict<NodeJS.Module>;
  _resolveFilename: (request: string, parent: NodeJS.Module) => string;
};
/** `./NAME.js`: a file in the same folder, its path `${dir}/NAME.js` (no path operation: they count). */
const SIBLING = /^\.\/[^/]+\.js$/;

/** The chunks in `dir` are loaded so from here on; `compiled` hears of each one's script and the bytes it was compiled from. */
export function loadChunks(dir: string, compiled?: (chunk: string, script: Script, bytes: Buffer) => void): void {
  const extensions = internals._extensions;
  const load = extensions['.js'] as Loader;
  const loadChunk: Loader = (module, filename) => {
    const bytes = readFileSync(filename);
    const cachedData = readCodeCache(filename, bytes);
    // No chunk starts with a `#!` line (each starts with the build's banner): compiled as it is.
    const script = new Script(Module.wrap(bytes.toString('utf8')), { filename, ...(cachedData ? { cachedData } : {}) });
    compiled?.(filename, script, bytes);
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(module.exports, module.exports, requireFrom(module, dir, loadChunk), module, filename, dir);
  };
  extensions['.js'] = function loadJs(this: unknown, module, filename) {
    return path.dirname(filename) === dir ? loadChunk(module, filename) : load.call(this, module, filename);
  };
}

/** `require` inside a chunk: a sibling chunk from `dir`, anything else through Node. */
function requireFrom(parent: NodeJS.Module, dir: string, loadChunk: Loader): NodeJS.Require {
  const require = ((id: string) => (SIBLING.test(id) ? requireSibling(parent, `${dir}/${id.slice(2)}`, loadChunk) : parent.require(id))) as NodeJS.Require;
  require.resolve = ((request: string) => internals._resolveFilename(request, parent)) as NodeJS.RequireResolve;
  require.cache = internals._cache;
  require.main = process.mainModule;
  return require;
}

/** As Node loads a module: cached by file name (before it runs, so a cycle gets what is done), and forgotten if it throws. */
function requireSibling(parent: NodeJS.Module, filename: string, loadChunk: Loader): unknown {
  const cache = internals._cache;
  const known = cache[filename];
  if (known) return known.exports;
  const module = new Module(filename, parent) as NodeJS.Module;
  module.filename = filename;
  module.paths = parent.paths;
  cache[filename] = module;
  try {
    loadChunk(module, filename);
  } catch (error) {
    delete cache[filename];
    throw error;
  }
  module.loaded = true;
  return module.exports;
}
