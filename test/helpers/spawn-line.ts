import { spawn, type ChildProcess } from 'node:child_process';
import { track } from './processes.js';

/** Starts `node script ...args` and resolves with the child once it printed its first line. */
export function spawnUntilLine(script: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [script, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline !== -1) resolve({ child, line: out.slice(0, newline) });
    });
    child.stderr?.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => reject(new Error(`${script} exited ${code} before printing a line: ${err}`)));
    child.on('error', reject);
  });
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}
