#!/usr/bin/env node
// Bundles berth's bin: src/cli.ts -> dist/cli.js, one file for what every command needs, and a
// chunk per lazily imported module (each command, the dashboard, the watcher, the control
// server) under dist/bundle/chunks/, loaded only when a command imports it. The library
// (dist/lib/index.js and the modules beside it, with types) stays tsc's output, ESM.
//
// The bin and its chunks are CommonJS (dist/package.json says so; dist/lib/package.json keeps
// the library ESM). esbuild splits an ESM build, and each chunk is then rewritten as CommonJS,
// its import() calls as require(): a quick command then never starts Node's ESM loader, which
// costs a few milliseconds of its own and about half a millisecond a module.
//
// Beside each chunk, CHUNK.js.cache: V8's compiled code for it, recorded at the end of the build
// (src/cli/chunk-loader.ts loads the chunks with it).
//
// Left outside the bundle: blessed (it requires its widgets and terminfo by computed names),
// fs-native-extensions (a native addon found next to its package) and the Redis client.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const chunks = path.join(dist, 'bundle', 'chunks');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const staging = mkdtempSync(path.join(os.tmpdir(), 'berth-build-'));

writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
writeFileSync(path.join(dist, 'lib', 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
rmSync(path.join(dist, 'cli.js.map'), { force: true });

// The metafile names outputs relative to root; the same file staged and in dist/.
const stagedFile = (output) => path.join(root, output);
const distOutput = (output) => path.relative(root, path.join(dist, path.relative(staging, stagedFile(output))));

let outputs;
try {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: staging,
    chunkNames: 'bundle/chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['blessed', 'fs-native-extensions', '@redis/client'],
    define: { BERTH_VERSION: JSON.stringify(pkg.version) },
    minifySyntax: true,
    legalComments: 'none',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });

  // The same files as CommonJS, under the same names (the metafile's names stay true). esbuild
  // follows each staged file's source map back to src/.
  await build({
    absWorkingDir: root,
    entryPoints: Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js')).map(stagedFile),
    outbase: staging,
    outdir: dist,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
    // Worked out when a chunk asks (three do), not as each one loads: its path operations count.
    define: { 'import.meta.url': '__berthModule.url' },
    banner: { js: "const __berthModule = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
    legalComments: 'none',
    sourcemap: true,
    logLevel: 'warning',
  });
  // Named as in dist/, the chunks each one imports too (the staging folder is gone after this).
  outputs = Object.fromEntries(
    Object.entries(result.metafile.outputs).map(([file, output]) => [
      distOutput(file),
      { ...output, imports: output.imports.map((entry) => (entry.external ? entry : { ...entry, path: distOutput(entry.path) })) },
    ]),
  );
  writeFileSync(path.join(dist, 'bundle', 'meta.json'), JSON.stringify({ ...result.metafile, outputs }));
} finally {
  rmSync(staging, { recursive: true, force: true });
}

// Chunks of an earlier build go only now, so a berth started meanwhile never misses a file.
const current = new Set(Object.keys(outputs).map((file) => path.join(root, file)));
for (const name of readdirSync(chunks)) {
  const file = path.join(chunks, name);
  if (!current.has(file) && !current.has(file.replace(/\.(map|cache)$/, ''))) rmSync(file, { force: true });
}

// Files found beside a module (new URL('…', import.meta.url)) must be beside its chunk too.
mkdirSync(path.join(dist, 'bundle', 'platform'), { recursive: true });
copyFileSync(path.join(root, 'src', 'platform', 'watchdog.sh'), path.join(dist, 'bundle', 'platform', 'watchdog.sh'));
const jsOutputs = Object.keys(outputs).filter((file) => file.endsWith('.js')).map((file) => path.join(root, file));
const missing = [];
for (const file of jsOutputs) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/new URL\(\s*"([^"]+)",\s*__berthModule\.url\s*\)/g)) {
    const target = path.resolve(path.dirname(file), match[1]);
    if (!existsSync(target)) missing.push(`${path.relative(root, file)}: ${match[1]} -> ${path.relative(root, target)}`);
  }
}
if (missing.length) {
  console.error(`build-cli: files the bundle looks for next to itself are missing:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}

// V8's compiled code for each chunk, beside it (src/cli/record-code-cache.ts): recorded while a few
// quick commands run on the example ports.yaml, with a home of their own and no terminal.
const { recordCodeCache } = await import('../dist/lib/cli/record-code-cache.js');
const jsChunks = jsOutputs.filter((file) => path.dirname(file) === chunks);
const mainChunk = Object.entries(outputs).find(([, output]) => output.entryPoint === 'src/cli/main.ts')?.[0];
if (!mainChunk) {
  console.error('build-cli: no chunk holds src/cli/main.ts');
  process.exit(1);
}
const home = mkdtempSync(path.join(os.tmpdir(), 'berth-build-home-'));
try {
  await recordCodeCache(chunks, jsChunks, async () => {
    const { main } = createRequire(import.meta.url)(path.join(root, mainChunk));
    const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
    const env = { PATH: process.env.PATH, HOME: home, BERTH_HOME: home, NO_COLOR: '1' };
    for (const args of [['--version'], ['--help'], ['ps', '--all'], ['ps', '--json'], ['validate'], ['ports']]) {
      await main(args, { cwd: root, env, stdout: sink(), stderr: sink() });
    }
  });
} finally {
  rmSync(home, { recursive: true, force: true });
}
