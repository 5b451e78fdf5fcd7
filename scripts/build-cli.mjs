#!/usr/bin/env node
// Bundles berth's bin: src/cli.ts -> dist/cli.js, one file for what every command needs, and a
// chunk per lazily imported module (each command, the dashboard, the watcher, the control
// server) under dist/bundle/chunks/, loaded only when a command imports it. The library
// (dist/index.js and the modules beside it, with types) stays tsc's output.
//
// Left outside the bundle: blessed (it requires its widgets and terminfo by computed names),
// fs-native-extensions (a native addon found next to its package) and the Redis client.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const chunks = path.join(dist, 'bundle', 'chunks');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

rmSync(path.join(dist, 'cli.js.map'), { force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: dist,
  chunkNames: 'bundle/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['blessed', 'fs-native-extensions', '@redis/client'],
  // CommonJS dependencies (commander, picomatch, yaml) call require() for Node's own modules.
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  define: { BERTH_VERSION: JSON.stringify(pkg.version) },
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(path.join(dist, 'bundle', 'meta.json'), JSON.stringify(result.metafile));

// Chunks of an earlier build go only now, so a berth started meanwhile never misses a file.
const current = new Set(Object.keys(result.metafile.outputs).map((file) => path.join(root, file)));
for (const name of readdirSync(chunks)) {
  const file = path.join(chunks, name);
  if (!current.has(file) && !current.has(file.replace(/\.map$/, ''))) rmSync(file, { force: true });
}

// Files found beside a module (new URL('…', import.meta.url)) must be beside its chunk too.
mkdirSync(path.join(dist, 'bundle', 'platform'), { recursive: true });
copyFileSync(path.join(root, 'src', 'platform', 'watchdog.sh'), path.join(dist, 'bundle', 'platform', 'watchdog.sh'));
const missing = [];
for (const output of Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js'))) {
  const file = path.join(root, output);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(/new URL\(\s*"([^"]+)",\s*import\.meta\.url\s*\)/g)) {
    const target = path.resolve(path.dirname(file), match[1]);
    if (!existsSync(target)) missing.push(`${path.relative(root, file)}: ${match[1]} -> ${path.relative(root, target)}`);
  }
}
if (missing.length) {
  console.error(`build-cli: files the bundle looks for next to itself are missing:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
