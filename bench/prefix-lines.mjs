#!/usr/bin/env node
// Ways to put `name │ ` before every line of a 64 KB chunk of 64-byte lines, CPU for 210 MB
// (the flood workload's volume), GC included, best of 4. `kernel` is what LinePrefix does
// (src/supervisor/prefix-kernel.ts, from dist/: npm run build first); `replaceAll` is its
// fallback where WebAssembly is off; the others are alternatives they were measured against.
//
//   node bench/prefix-lines.mjs            every way, each in its own process
//   node bench/prefix-lines.mjs regexp     one
import { PrefixKernel } from '../dist/lib/supervisor/prefix-kernel.js';

const LINE = 64;
const CHUNK = 65536;
const TOTAL = 210 * 1024 * 1024;
const base = Buffer.alloc(CHUNK);
for (let i = 0; i < CHUNK / LINE; i++) {
  base.fill(0x78, i * LINE, (i + 1) * LINE - 1);
  base[(i + 1) * LINE - 1] = 10;
  base.write(`F0:${String(i).padStart(9, '0')} `, i * LINE, 'latin1');
}
const prefix = Buffer.from('f0    │ ');
const head = prefix.toString('latin1');
const replacement = `\n${head}`;
const EVERY_NEWLINE = /\n/g;

const kernel = new PrefixKernel();

const ways = {
  // the WebAssembly loop, its result copied out into a Buffer of its own
  kernel: (lines) => kernel.apply(lines, prefix),
  // latin1 string, native replaceAll, one Buffer.from (LinePrefix)
  replaceAll: (lines) => Buffer.from(`${head}${lines.toString('latin1').slice(0, -1).replaceAll('\n', replacement)}\n`, 'latin1'),
  // latin1 string, global RegExp replace (a rope, flattened when written), written into one Buffer
  regexp: (lines) => {
    const replaced = lines.toString('latin1').replace(EVERY_NEWLINE, replacement);
    const out = Buffer.allocUnsafe(replaced.length);
    out.write(head, 0, head.length, 'latin1');
    out.write(replaced, head.length, replaced.length - head.length, 'latin1');
    return out;
  },
  // Buffers only: count lines (indexOf), copy the chunk to the end of the result, move each line
  // forward behind its prefix (copyWithin)
  buffers: (lines) => {
    const width = prefix.length;
    let count = 0;
    for (let at = lines.indexOf(10); at !== -1; at = lines.indexOf(10, at + 1)) count++;
    const out = Buffer.allocUnsafe(lines.length + count * width);
    const source = count * width;
    lines.copy(out, source);
    let start = 0;
    let to = 0;
    for (let end = lines.indexOf(10); end !== -1; end = lines.indexOf(10, start)) {
      for (let i = 0; i < width; i++) out[to + i] = prefix[i];
      to += width;
      out.copyWithin(to, source + start, source + end + 1);
      to += end + 1 - start;
      start = end + 1;
    }
    return out;
  },
  // the floor: the chunk as it came, no prefix at all
  none: (lines) => lines,
};

const only = process.argv[2];
if (!only) {
  const { execFileSync } = await import('node:child_process');
  for (const name of Object.keys(ways)) process.stdout.write(execFileSync(process.execPath, [process.argv[1], name], { encoding: 'utf8' }));
} else {
  const way = ways[only];
  if (only !== 'none' && !way(base).equals(ways.replaceAll(base))) throw new Error(`${only} gives other bytes`);
  let best = Infinity;
  for (let rep = 0; rep < 4; rep++) {
    const before = process.cpuUsage();
    // A fresh chunk each time, as a pipe read gives one.
    for (let done = 0; done < TOTAL; done += CHUNK) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      base.copy(chunk);
      way(chunk);
    }
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  console.log(`${only.padEnd(10)} ${best.toFixed(0)} ms CPU for 210 MB`);
}
