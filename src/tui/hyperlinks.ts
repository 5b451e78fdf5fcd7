/**
 * OSC 8 hyperlinks (a URL the terminal opens on click), where the terminal is known to show
 * them: BERTH_HYPERLINKS=1 or 0 decides; else iTerm2, WezTerm, kitty, VS Code, Windows
 * Terminal, GNOME/VTE ≥ 0.50, and tmux ≥ 3.4 (which passes them on).
 */
export function hyperlinksSupported(env: Readonly<Record<string, string | undefined>>): boolean {
  const forced = env.BERTH_HYPERLINKS;
  if (forced !== undefined && forced !== '') return forced !== '0';
  if (env.NO_HYPERLINKS) return false;
  const program = env.TERM_PROGRAM ?? '';
  if (['iTerm.app', 'WezTerm', 'vscode', 'ghostty'].includes(program)) return true;
  if (program === 'tmux') return versionAtLeast(env.TERM_PROGRAM_VERSION, [3, 4]);
  if (env.KITTY_WINDOW_ID || env.WT_SESSION) return true;
  return Number(env.VTE_VERSION ?? 0) >= 5000;
}

function versionAtLeast(version: string | undefined, want: [number, number]): boolean {
  const [major = 0, minor = 0] = (version ?? '').split(/[.a-z]/).map(Number);
  return major > want[0] || (major === want[0] && minor >= want[1]);
}

/**
 * The escape sequence that writes `text` at row `y`, column `x` (0-based) as a link to `url`,
 * and puts the cursor back: drawn over the same text blessed drew, so the screen is unchanged
 * for a terminal without OSC 8.
 */
export function hyperlinkAt(x: number, y: number, text: string, url: string): string {
  return `\x1b7\x1b[${y + 1};${x + 1}H\x1b]8;;${url}\x1b\\${text}\x1b]8;;\x1b\\\x1b8`;
}
