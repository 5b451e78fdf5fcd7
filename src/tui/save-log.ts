import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Writes the lines the log pane holds to a new file in the temp folder (mode 0600: logs may hold
 * secrets) named after the instance, the service and the time, and returns its path.
 */
export function saveLog(lines: readonly string[], label: string, now: number, folder = os.tmpdir()): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const file = path.join(folder, `berth-${label.replace(/[^A-Za-z0-9._-]+/g, '_')}-${stamp}.log`);
  writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600, flag: 'wx' });
  return file;
}
