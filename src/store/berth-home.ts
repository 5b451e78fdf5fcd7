import { mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BerthError, EXIT } from '../errors.js';

/** `$BERTH_HOME`, else `$XDG_STATE_HOME/berth`, else `~/.local/state/berth`. */
export function berthHome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.BERTH_HOME) return path.resolve(env.BERTH_HOME);
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'berth');
}

const checked = new Set<string>();

/**
 * Makes sure `$BERTH_HOME` is a folder of this user that nobody else can write (a fresh one is
 * created 0700): leases hold process groups that `berth gc` ends, so a folder others can write
 * would let them plant work for it. Exit 2 naming the folder otherwise.
 */
export function ensureBerthHome(home: string): void {
  if (checked.has(home)) return;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') {
      throw new BerthError('BERTH_HOME', `cannot create BERTH_HOME ${home}: ${(error as Error).message}`, { exitCode: EXIT.usage, cause: error });
    }
  }
  let stat;
  try {
    stat = statSync(home);
  } catch (error) {
    throw new BerthError('BERTH_HOME', `BERTH_HOME ${home} is not usable: ${(error as Error).message}`, { exitCode: EXIT.usage, cause: error });
  }
  if (!stat.isDirectory()) throw new BerthError('BERTH_HOME', `BERTH_HOME ${home} is not a folder`, { exitCode: EXIT.usage });
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new BerthError('BERTH_HOME', `BERTH_HOME ${home} belongs to uid ${stat.uid}, not to you (uid ${uid}); use a folder of your own`, { exitCode: EXIT.usage });
  }
  if ((stat.mode & 0o022) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new BerthError('BERTH_HOME', `BERTH_HOME ${home} is writable by ${stat.mode & 0o020 ? 'its group' : 'others'} (mode ${mode}); make it yours alone: chmod 700 ${home}`, { exitCode: EXIT.usage });
  }
  checked.add(home);
}
