/**
 * Puts a prefix before every line of a chunk with a small WebAssembly loop, prefix-lines.wat:
 * 16 bytes a step, no strings and no garbage but the result. A flood of short lines through
 * `berth up` spends most of its JS time here, and the loop takes a third of what the engine's
 * string replace does (bench/prefix-lines.mjs). These are that file's compiled bytes; a test
 * compiles the .wat and checks they are the same.
 */
export const PREFIX_KERNEL_WASM =
  'AGFzbQEAAAABCwFgBn9/f39/fwF/AwIBAAUDAQABBxMCBm1lbW9yeQIABnByZWZpeAAACoUCAYICAwN/AXsCfyAAIAFqIQcgACEGIAIhCCABRQRAQQAPCyAFBEBBACELA0AgCCALaiADIAtq/QAEAP0LBAAgC0EQaiELIAsgBEkNAAsgCCAEaiEICwJAA0AgBv0ABAAhCSAIIAn9CwQAIAlBCv0P/SP9ZCEKIApFBEAgBkEQaiEGIAhBEGohCCAGIAdJDQEgCCAGIAdrayEIDAILIApoQQFqIQsgBiALaiEGIAggC2ohCCAGIAdLBEAgCCAGIAdrayEIDAILIAYgB0YNAUEAIQsDQCAIIAtqIAMgC2r9AAQA/QsEACALQRBqIQsgCyAESQ0ACyAIIARqIQgMAAsLIAggAmsL';

/** The little of WebAssembly's API used here (the DOM's types are not in this build). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  prefix(src: number, len: number, dst: number, pfx: number, plen: number, start: number): number;
}

/** The most a chunk is cut into for the loop, the least (for a long prefix), and the most one piece may come out as. */
const PIECE = 65536;
const MIN_PIECE = 4096;
const WORST_OUTPUT = 1 << 21;
const PAGE = 65536;
/** The room the loop reads and writes past its input, prefix and result (16), with margin. */
const ROOM = 32;

const align = (n: number) => (n + 15) & ~15;

/** The loop, its memory laid out per call as [prefix | piece of input | output]. */
export class PrefixKernel {
  readonly #exports: KernelExports;
  #heap: Uint8Array;

  constructor(bytes: Uint8Array = Buffer.from(PREFIX_KERNEL_WASM, 'base64')) {
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (!api) throw new Error('WebAssembly is off');
    const instance = new api.Instance(new api.Module(bytes), {});
    this.#exports = instance.exports as unknown as KernelExports;
    this.#heap = new Uint8Array(this.#exports.memory.buffer);
  }

  /**
   * Every line of `lines` with `prefix` before it, in one Buffer. A last line without a newline
   * stays without one. Memory stays bounded: a long chunk goes through in pieces small enough
   * that even a piece of nothing but newlines fits in WORST_OUTPUT.
   */
  apply(lines: Buffer, prefix: Buffer): Buffer {
    const plen = prefix.length;
    const piece = Math.min(lines.length, Math.max(MIN_PIECE, Math.min(PIECE, Math.floor(WORST_OUTPUT / (plen + 1)))));
    const input = align(plen + ROOM);
    const output = input + align(piece + ROOM);
    this.#reserve(output + piece * (plen + 1) + plen + ROOM);
    this.#heap.set(prefix, 0);
    if (lines.length <= piece) return this.#piece(lines, input, output, plen, true);
    const parts: Buffer[] = [];
    for (let at = 0; at < lines.length; at += piece) {
      parts.push(this.#piece(lines.subarray(at, at + piece), input, output, plen, at === 0 || lines[at - 1] === 0x0a));
    }
    return Buffer.concat(parts);
  }

  /** The loop's memory, as far as it has grown. */
  get reservedBytes(): number {
    return this.#exports.memory.buffer.byteLength;
  }

  #piece(piece: Buffer, input: number, output: number, plen: number, lineStart: boolean): Buffer {
    this.#heap.set(piece, input);
    const written = this.#exports.prefix(input, piece.length, output, 0, plen, lineStart ? 1 : 0);
    return Buffer.from(this.#heap.subarray(output, output + written));
  }

  #reserve(bytes: number): void {
    const { memory } = this.#exports;
    if (memory.buffer.byteLength >= bytes) return;
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    this.#heap = new Uint8Array(memory.buffer);
  }
}

let shared: PrefixKernel | null | undefined;

/** The one loop of this process, made on first use; null where WebAssembly is off (--jitless). */
export function prefixKernel(): PrefixKernel | null {
  if (shared === undefined) {
    try {
      shared = new PrefixKernel();
    } catch {
      shared = null;
    }
  }
  return shared;
}
