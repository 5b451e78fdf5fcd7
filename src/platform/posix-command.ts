import { execFileSync } from 'node:child_process';

/** What a POSIX tool printed, or that it is not installed here. */
export type CommandOutput = { ok: true; stdout: string } | { ok: false };

/**
 * Runs `command args` under LC_ALL=C (numbers and dates in one format whatever the user's
 * locale), waiting at most `timeoutMs`; found on PATH, else in `alsoIn` (a user's PATH on Debian
 * lacks /usr/sbin, where sysctl lives). A tool that exits non-zero still printed what it found
 * (ps and lsof exit 1 when nothing matches), so its stdout counts; only a tool that is not there is not `ok`.
 */
export function runPosixCommand(command: string, args: readonly string[], options: { alsoIn?: readonly string[]; timeoutMs?: number } = {}): CommandOutput {
  for (const candidate of [command, ...(options.alsoIn ?? []).map((dir) => `${dir}/${command}`)]) {
    try {
      const stdout = execFileSync(candidate, args, {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 10_000,
      });
      return { ok: true, stdout };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { ok: true, stdout: String((error as { stdout?: unknown }).stdout ?? '') };
    }
  }
  return { ok: false };
}
