import { readFileSync } from 'node:fs';
import type { IdentityBackend, ProcessInfo, ProcessStart, RecordedStart } from './identity-backend.js';
import { statFields } from './procfs.js';

/**
 * Linux: a process is (pid, start time in clock ticks since boot — /proc/PID/stat field 22 —,
 * boot id from /proc/sys/kernel/random/boot_id). Both come from the kernel's monotonic boot
 * clock, so stepping the wall clock (NTP, a resumed laptop, a migrated VM) changes neither;
 * no wall-clock arithmetic is done. Same process = same ticks, exactly, and the same boot id.
 */

export interface ProcfsIdentityOptions {
  /** Where procfs is mounted (default /proc). */
  root?: string;
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return null; // gone, or not ours to read
  }
}

export function procfsIdentity(options: ProcfsIdentityOptions = {}): IdentityBackend & { legacyStartsMs(pids: readonly number[]): (number | null)[] } {
  const root = options.root ?? '/proc';
  let bootId: string | null | undefined;
  const boot = (): string | null => (bootId ??= readText(`${root}/sys/kernel/random/boot_id`)?.trim() || null);

  const stat = (pid: number): string[] | null => {
    const text = readText(`${root}/${pid}/stat`);
    if (text === null) return null;
    const fields = statFields(text);
    return fields[0] === 'Z' || fields[0] === 'X' ? null : fields;
  };

  return {
    name: 'procfs',

    starts(pids: readonly number[]): (ProcessStart | null)[] {
      return pids.map((pid) => {
        const fields = stat(pid);
        return fields ? { pid, startTime: Number(fields[19]), boot: boot() } : null;
      });
    },

    same(recorded: RecordedStart, current: ProcessStart): boolean {
      // A process group's record has no boot; its lease's owner has one.
      if (recorded.boot != null && recorded.boot !== current.boot) return false;
      return recorded.startTime === current.startTime;
    },

    readProcess(pid: number): ProcessInfo | null {
      const fields = stat(pid);
      if (!fields) return null;
      return { state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: Number(fields[19]) };
    },

    /**
     * Start times as berth 0.1 recorded them: btime (/proc/stat, which moves with the wall
     * clock) in ms plus the ticks at USER_HZ 100. Only to recognise leases written by it.
     */
    legacyStartsMs(pids: readonly number[]): (number | null)[] {
      const btime = Number(/^btime (\d+)$/m.exec(readText(`${root}/stat`) ?? '')?.[1] ?? NaN);
      return pids.map((pid) => {
        const fields = stat(pid);
        return fields && Number.isFinite(btime) ? btime * 1000 + Math.round((Number(fields[19]) * 1000) / 100) : null;
      });
    },
  };
}
