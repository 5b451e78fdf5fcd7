import { readFileSync } from 'node:fs';
import os from 'node:os';
import { platformName } from './index.js';
import { runPosixCommand } from './posix-command.js';

let cached: number | undefined;

/**
 * The memory page size in bytes (4K on x64; 16K or 64K on some arm64 kernels), read once per
 * process and only when first asked (the metrics of the dashboard), never by quick commands.
 * procfs: AT_PAGESZ from /proc/self/auxv, the value the kernel handed this very process
 * (~0.02 ms, no spawn); elsewhere, or if that fails, `getconf PAGESIZE` (~3 ms, a spawn).
 */
export function pageSize(): number {
  cached ??= (platformName() === 'procfs' ? auxvPageSize() : null) ?? getconfPageSize() ?? 4096;
  return cached;
}

const AT_NULL = 0;
const AT_PAGESZ = 6;
const WORD_BYTES = ['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390'].includes(process.arch) ? 4 : 8;

/** AT_PAGESZ of this process's auxiliary vector (/proc/self/auxv), or null. */
export function auxvPageSize(): number | null {
  try {
    return pageSizeFromAuxv(readFileSync('/proc/self/auxv'), WORD_BYTES, os.endianness());
  } catch {
    return null;
  }
}

/** The auxiliary vector is (type, value) pairs of machine words, ending with AT_NULL. */
export function pageSizeFromAuxv(auxv: Buffer, wordBytes: 4 | 8 = WORD_BYTES, endianness: 'BE' | 'LE' = os.endianness()): number | null {
  const word = (at: number): number => {
    if (wordBytes === 4) return endianness === 'LE' ? auxv.readUInt32LE(at) : auxv.readUInt32BE(at);
    return Number(endianness === 'LE' ? auxv.readBigUInt64LE(at) : auxv.readBigUInt64BE(at));
  };
  for (let at = 0; at + 2 * wordBytes <= auxv.length; at += 2 * wordBytes) {
    const type = word(at);
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ) return validPageSize(word(at + wordBytes));
  }
  return null;
}

/** `getconf PAGESIZE`, or null where there is no getconf. */
export function getconfPageSize(): number | null {
  const output = runPosixCommand('getconf', ['PAGESIZE']);
  return output.ok ? validPageSize(Number(output.stdout.trim())) : null;
}

function validPageSize(value: number): number | null {
  // A power of two from 1 KiB up: anything else is a misread.
  return Number.isInteger(value) && value >= 1024 && value <= 2 ** 30 && (value & (value - 1)) === 0 ? value : null;
}
