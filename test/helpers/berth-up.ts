import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI, track, waitFor } from './processes.js';

/** A running `berth up`, its output collected line by line. */
export interface UpProcess {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Resolves with the first line matching, polling the collected output (bounded). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startUp(args: string[], options: { cwd: string; env: Record<string, string> }): UpProcess {
  const child = track(spawn(process.execPath, [CLI, 'up', '--no-tui', ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      if (partial) lines.push(partial);
      resolve({ code, signal });
    });
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    exit,
    line: (pattern, timeoutMs = 10_000) =>
      waitFor(() => lines.find((line) => pattern.test(line)), timeoutMs, () => `a line matching ${pattern} (have:\n${lines.join('\n')}\n${stderr})`),
  };
}

/** Whether a pid is alive (not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
