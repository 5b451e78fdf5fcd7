/**
 * Whether berth shows colour, by Node's own rule (`tty.WriteStream#getColorDepth`), so berth
 * and the Node programs it runs agree:
 * 1. `FORCE_COLOR` set: `''`, `1`, `true`, `2`, `3` mean colour; any other value (`0`, `false`)
 *    means none. It beats `NO_COLOR`.
 * 2. Else `NO_COLOR` or `NODE_DISABLE_COLORS` set and not empty, or `TERM=dumb`: none.
 * 3. Else colour when the output is a terminal.
 */
export function colorWanted(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return FORCING.has(force);
  if (nonEmpty(env.NO_COLOR) || nonEmpty(env.NODE_DISABLE_COLORS) || env.TERM === 'dumb') return false;
  return isTTY;
}

const FORCING = new Set(['', '1', 'true', '2', '3']);

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}
