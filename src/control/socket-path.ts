import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BerthError } from '../errors.js';

/** The longest Unix socket path the OS takes (sun_path less its terminating NUL). */
const SUN_PATH_MAX = process.platform === 'linux' ? 107 : 103;

/**
 * Where an instance's control socket goes: `$BERTH_HOME/sockets/<lease>.sock`, or, when that
 * is longer than the OS allows, a short folder of this user's own (`/tmp/berth-<uid>`, 0700).
 * The path chosen is recorded in the lease, so clients never need to guess.
 */
export function socketPathFor(home: string, leaseId: string): string {
  const preferred = path.join(home, 'sockets', `${leaseId}.sock`);
  if (Buffer.byteLength(preferred) <= SUN_PATH_MAX) return preferred;
  const dir = path.join('/tmp', `berth-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw new BerthError('SOCKET_PATH', `the control socket path under BERTH_HOME is too long for this OS, and the short folder ${dir} is not a private folder of yours (owner, mode or a link): remove it or use a shorter BERTH_HOME`);
  }
  return path.join(dir, `${leaseId}.sock`);
}
