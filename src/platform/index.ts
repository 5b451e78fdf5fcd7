import { posixProcesses } from './posix.js';
import { procfsProcesses } from './procfs.js';
import type { ProcessTable, ProcessTableSource } from './process-table.js';
import { SharedReading } from './shared-reading.js';

export { RUN_MARKER, type ProcessEntry, type ProcessTable } from './process-table.js';
export { aliveIdentities, currentIdentity, identityOf, isOwnerAlive, isProcessAlive, readProcess, type OwnerIdentity, type ProcessInfo } from './identity.js';
export { machineId } from './machine-id.js';

/**
 * The one home of OS facts. Linux reads procfs; every other POSIX system (and Linux with
 * BERTH_PLATFORM=posix, so that path is tested on every change) asks `ps`.
 */
export type PlatformName = 'procfs' | 'posix';

export function platformName(env: NodeJS.ProcessEnv = process.env): PlatformName {
  if (env.BERTH_PLATFORM === 'posix') return 'posix';
  return process.platform === 'linux' ? 'procfs' : 'posix';
}

const source: ProcessTableSource = platformName() === 'procfs' ? procfsProcesses : posixProcesses;

const tableReading = new SharedReading(() => source.read());

/**
 * Every live process; one read shared by every caller within `maxAgeMs`, so many services
 * stopping at once cost one read of the table per tick, not one each.
 */
export function processTable(maxAgeMs = 20): ProcessTable {
  return tableReading.get(maxAgeMs);
}

/** Whether one process is alive and not a zombie. */
export function isProcessRunning(pid: number): boolean {
  return source.isAlive(pid);
}

/** The user id a process runs as, or null when it is gone. */
export function processOwnerUid(pid: number): number | null {
  return source.ownerUid(pid);
}

/** How the watchdog (a /bin/sh script) finds a run's processes on this platform. */
export function watchdogScanMode(): 'procfs' | 'ps-e' | 'ps-E' {
  if (platformName() === 'procfs') return 'procfs';
  return process.platform === 'linux' ? 'ps-e' : 'ps-E';
}
