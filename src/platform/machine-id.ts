import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berthHome } from '../store/berth-home.js';

/**
 * A stable id of this machine, kept as a lease's `owner.host`. The hostname is not one: on a
 * laptop it changes with the network, and leases taken under the old name would then look like
 * another machine's and never be reclaimed. The id comes from the OS — /etc/machine-id (or
 * dbus's copy) on Linux, IOPlatformUUID on macOS — else it is generated once and kept in
 * `$BERTH_HOME/machine-id` (0600).
 *
 * The OS's id is never recorded as is: systemd asks applications to use a keyed hash of it
 * (sd_id128_get_machine_app_specific), and a lease kept in a shared store would publish it.
 * berth records HMAC-SHA256(id, "berth owner host"), 32 hex digits.
 */

export interface MachineIdOptions {
  /** Files holding the OS's id, first found wins. Default: /etc/machine-id, /var/lib/dbus/machine-id (Linux). */
  files?: readonly string[];
  /** Ask `ioreg` for IOPlatformUUID (default: on macOS). */
  ioreg?: boolean;
  /** Where a generated id is kept when the OS has none. Default: BERTH_HOME. */
  home?: string;
}

const LINUX_FILES = ['/etc/machine-id', '/var/lib/dbus/machine-id'];
const GENERATED = 'machine-id';
const cache = new Map<string, string>();

export function machineId(options: MachineIdOptions = {}): string {
  const files = options.files ?? (process.platform === 'linux' ? LINUX_FILES : []);
  const ioreg = options.ioreg ?? process.platform === 'darwin';
  const key = JSON.stringify([files, ioreg, options.home ?? null]);
  let id = cache.get(key);
  if (id === undefined) {
    const osId = fromFiles(files) ?? (ioreg ? platformUuid() : null);
    id = osId === null ? generatedId(options.home ?? berthHome()) : appSpecific(osId);
    cache.set(key, id);
  }
  return id;
}

function appSpecific(osId: string): string {
  return createHmac('sha256', osId).update('berth owner host').digest('hex').slice(0, 32);
}

function fromFiles(files: readonly string[]): string | null {
  for (const file of files) {
    try {
      const id = readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f]{32}$/i.test(id) && !/^0+$/.test(id)) return id.toLowerCase();
    } catch {
      // not there: the next one
    }
  }
  return null;
}

/** macOS: the hardware UUID, `"IOPlatformUUID" = "…"` in `ioreg -rd1 -c IOPlatformExpertDevice`. */
function platformUuid(): string | null {
  try {
    const out = execFileSync('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return parseIoregUuid(out);
  } catch {
    return null;
  }
}

export function parseIoregUuid(out: string): string | null {
  return /"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"/.exec(out)?.[1]?.toLowerCase() ?? null;
}

/**
 * An id made once and kept in BERTH_HOME. Written to a temp file and hard-linked into place, so
 * two berths starting at once agree on one id (the second link fails and it reads the first's).
 * When BERTH_HOME cannot hold it, the hostname stands in (leases then behave as before).
 */
function generatedId(home: string): string {
  const file = path.join(home, GENERATED);
  const existing = readGenerated(file);
  if (existing) return existing;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temp, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
    try {
      linkSync(temp, file);
    } catch {
      // another berth made it first: its id is the one
    } finally {
      unlinkSync(temp);
    }
  } catch {
    // BERTH_HOME not writable
  }
  return readGenerated(file) ?? `hostname:${os.hostname()}`;
}

function readGenerated(file: string): string | null {
  try {
    const id = readFileSync(file, 'utf8').trim();
    return /^[0-9a-f]{32}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}
