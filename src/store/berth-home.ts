import os from 'node:os';
import path from 'node:path';

/** `$BERTH_HOME`, else `$XDG_STATE_HOME/berth`, else `~/.local/state/berth`. */
export function berthHome(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.BERTH_HOME) return path.resolve(env.BERTH_HOME);
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'berth');
}
