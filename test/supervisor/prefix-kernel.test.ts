import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import wabt from 'wabt';
import { describe, expect, it } from 'vitest';
import { LinePrefix } from '../../src/supervisor/line-framer.js';
import { PREFIX_KERNEL_WASM, PrefixKernel } from '../../src/supervisor/prefix-kernel.js';
import { ROOT } from '../helpers/processes.js';
import { random } from '../helpers/random.js';

/** Newline-terminated lines of random length (empty ones and long ones included) and bytes. */
function lines(next: () => number, bytes: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  while (size < bytes) {
    const length = next() < 0.1 ? 0 : Math.floor(next() ** 3 * 300);
    const line = Buffer.alloc(length + 1);
    for (let i = 0; i < length; i++) {
      const byte = Math.floor(next() * 256);
      line[i] = byte === 0x0a ? 0x0b : byte;
    }
    line[length] = 0x0a;
    parts.push(line);
    size += line.length;
  }
  return Buffer.concat(parts);
}

const stringPath = (prefix: Buffer, chunk: Buffer) => new LinePrefix(prefix, null).apply(chunk);

describe('the prefix kernel', () => {
  it('is prefix-lines.wat compiled', async () => {
    const source = readFileSync(path.join(ROOT, 'src', 'supervisor', 'prefix-lines.wat'), 'utf8');
    const module = (await wabt()).parseWat('prefix-lines.wat', source);
    const compiled = Buffer.from(module.toBinary({}).buffer);
    module.destroy();
    expect(compiled.toString('base64')).toBe(PREFIX_KERNEL_WASM);
  });

  it('gives the bytes the string path gives, for any lines and any prefix', () => {
    const kernel = new PrefixKernel();
    const next = random(16);
    for (let round = 0; round < 400; round++) {
      const prefix = Buffer.from(Array.from({ length: Math.floor(next() * 80) }, () => Math.floor(next() * 256)));
      const chunk = lines(next, 1 + Math.floor(next() * 3000));
      expect(kernel.apply(chunk, prefix).equals(stringPath(prefix, chunk)), `round ${round}`).toBe(true);
    }
  });

  it('takes a long chunk in pieces, cut inside lines and between them, with the same result', () => {
    const kernel = new PrefixKernel();
    const next = random(7);
    for (const width of [0, 9, 40, 300]) {
      const prefix = Buffer.alloc(width, 0x70);
      const chunk = lines(next, 400_000);
      expect(kernel.apply(chunk, prefix).equals(stringPath(prefix, chunk)), `prefix of ${width}`).toBe(true);
      const newlines = Buffer.alloc(150_000, 0x0a);
      expect(kernel.apply(newlines, prefix).equals(stringPath(prefix, newlines)), `newlines, prefix of ${width}`).toBe(true);
    }
  });

  it('keeps its memory bounded whatever the chunk', () => {
    const kernel = new PrefixKernel();
    const prefix = Buffer.from('\u001b[36mapi   │ \u001b[0m');
    const newlines = Buffer.alloc(8 << 20, 0x0a);
    expect(kernel.apply(newlines, prefix).length).toBe(newlines.length * (prefix.length + 1));
    expect(kernel.reservedBytes).toBeLessThan(3 << 20);
  });

  it('leaves a last line without a newline as it is', () => {
    const kernel = new PrefixKernel();
    expect(kernel.apply(Buffer.from('a\nbc'), Buffer.from('> ')).toString()).toBe('> a\n> bc');
    expect(kernel.apply(Buffer.from('x'.repeat(40)), Buffer.from('> ')).toString()).toBe(`> ${'x'.repeat(40)}`);
    expect(kernel.apply(Buffer.alloc(0), Buffer.from('> ')).length).toBe(0);
  });

  it('is what LinePrefix uses for a big chunk, and a few lines take the string path, with the same bytes', () => {
    const kernel = new PrefixKernel();
    const sizes: number[] = [];
    const spied = Object.assign(Object.create(kernel) as PrefixKernel, {
      apply: (lines: Buffer, prefix: Buffer) => {
        sizes.push(lines.length);
        return kernel.apply(lines, prefix);
      },
    });
    const prefix = Buffer.from('web │ ');
    const next = random(3);
    const [small, big] = [lines(next, 200), lines(next, 70_000)];
    expect(new LinePrefix(prefix, spied).apply(small).equals(stringPath(prefix, small))).toBe(true);
    expect(new LinePrefix(prefix, spied).apply(big).equals(stringPath(prefix, big))).toBe(true);
    expect(sizes).toEqual([big.length]);
  });

  it('gives way to the string path for good when the loop fails (its memory cannot grow)', () => {
    let calls = 0;
    const failing = Object.assign(Object.create(new PrefixKernel()) as PrefixKernel, {
      apply: () => {
        calls++;
        throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
      },
    });
    const prefix = Buffer.from('db │ ');
    const chunk = lines(random(5), 10_000);
    const linePrefix = new LinePrefix(prefix, failing);
    expect(linePrefix.apply(chunk).equals(stringPath(prefix, chunk))).toBe(true);
    expect(linePrefix.apply(chunk).equals(stringPath(prefix, chunk))).toBe(true);
    expect(calls).toBe(1);
  });

  it('gives way to the string path where WebAssembly is off', () => {
    const script = `import { LinePrefix } from ${JSON.stringify(path.join(ROOT, 'dist', 'lib', 'supervisor', 'line-framer.js'))};
      process.stdout.write(String(typeof WebAssembly) + ' ' + new LinePrefix(Buffer.from('$& │ ')).apply(Buffer.from('a\\n\\nb\\n'.repeat(2000))).toString('base64'));`;
    const out = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe(`undefined ${Buffer.from('$& │ a\n$& │ \n$& │ b\n'.repeat(2000)).toString('base64')}`);
  });
});
