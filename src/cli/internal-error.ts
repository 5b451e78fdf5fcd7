import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { berthHome } from '../store/berth-home.js';

/**
 * An error berth did not expect (a bug, not the user's doing): its details go to
 * `$BERTH_HOME/logs/internal-errors.log`; the returned line says so, for stderr.
 */
export function internalErrorLine(error: unknown, env: Readonly<Record<string, string | undefined>>, argv: readonly string[] = process.argv.slice(2)): string {
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof Error ? (error.stack ?? message) : String(error);
  const file = path.join(berthHome(env), 'logs', 'internal-errors.log');
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(file, `${new Date().toISOString()} pid ${process.pid} berth ${argv.join(' ')}\n${details}\n\n`, { mode: 0o600 });
    return `berth: internal error: ${firstLine(message)} (details in ${file}; please report it)`;
  } catch {
    return `berth: internal error: ${firstLine(message)}\n${details}`;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
