import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, track, waitFor } from '../helpers/processes.js';
import { projectWith, tempDir } from '../helpers/temp.js';

// This file's ports: 23000-23099 (the floods themselves need none).

const LINES = 819_200; // 64-byte lines: 50 MB per child
const TAGS = ['alpha', 'bravo', 'charlie', 'delta'];

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

describe('output under a flood', () => {
  it(
    '4 children × 50 MB of numbered lines: none lost, torn or duplicated, in order per service; a slow reader back-pressures them',
    async () => {
      const services = TAGS.map((tag) => `      ${tag}: { cmd: node ${path.join(ROOT, 'test/fixtures/flood.mjs')} ${tag} ${LINES}, ports: 0 }`).join('\n');
      const cwd = projectWith(`version: 1\nranges: { dev: 23000-23099 }\nenvironments:\n  dev:\n    services:\n${services}\n`);
      const child = track(
        spawn(process.execPath, [CLI, 'up', '--no-tui'], { cwd, env: { ...process.env, NO_COLOR: '1', BERTH_HOME: tempDir('berth-home-') }, stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      const stdout = child.stdout as NonNullable<typeof child.stdout>;

      // Read nothing for a while: the children must block on their pipes, not berth's memory grow.
      stdout.pause();
      let peak = 0;
      let previous = -1;
      await waitFor(() => {
        const rss = rssMiB(child.pid as number);
        peak = Math.max(peak, rss);
        const settled = Math.abs(rss - previous) < 0.5;
        previous = rss;
        return settled && rss > 0;
      }, 5000, 'berth memory to settle while its stdout is not read');
      expect(peak).toBeLessThan(120); // 200 MB of output is waiting to be written

      const next = new Map(TAGS.map((tag) => [tag, 0]));
      const problems: string[] = [];
      let lines = 0;
      let partial = '';
      const width = Math.max(5, ...TAGS.map((tag) => tag.length));
      const check = (line: string) => {
        const match = /^(\w+) +│ (.*)$/.exec(line);
        if (!match) return problems.push(`unprefixed: ${line.slice(0, 80)}`);
        const [, name, payload] = match as unknown as [string, string, string];
        if (name === 'berth') return;
        lines += 1;
        const expected = next.get(name) ?? -1;
        const want = `${name}:${String(expected).padStart(9, '0')} `;
        if (line.indexOf('│') !== width + 1 || !payload.startsWith(want) || payload.length !== 63) {
          if (problems.length < 5) problems.push(`at ${name} ${expected}: ${line.slice(0, 90)}`);
        }
        const number = Number(payload.slice(name.length + 1, name.length + 10));
        next.set(name, number + 1);
      };
      stdout.setEncoding('utf8');
      stdout.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) check(line);
      });
      stdout.resume();
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (partial) check(partial);

      expect(problems).toEqual([]);
      expect(code).toBe(0);
      expect(lines).toBe(LINES * TAGS.length);
      expect(Object.fromEntries(next)).toEqual(Object.fromEntries(TAGS.map((tag) => [tag, LINES])));
    },
    120_000,
  );
});
