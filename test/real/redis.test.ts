import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { portFree, sweep, waitForNothingLeft } from './process-sweep.js';
import { exitWithin, portsYaml, realProject } from './real-project.js';

// This file's ports: 28300-28319.
// redis-server as a service (installed by .ci/run): ready on its port, answers PING, gone after down.

const run = promisify(execFile);

describe('redis-server as a service', () => {
  it('is ready on its port, answers PONG, and is gone after down', async () => {
    const project = realProject(
      {},
      portsYaml('28300-28309', `      cache: { cmd: 'redis-server --port \${self.port} --bind 127.0.0.1 --save "" --appendonly no', cwd: ./redis, ready: port }\n`),
    );
    mkdirSync(path.join(project.dir, 'redis'));
    const seen = new Set<number>();
    const up = project.up();
    try {
      const cache = await project.waitForService('cache', (each) => each.state === 'ready', 15_000, 'to be ready', up);
      seen.add(cache.pid as number);
      expect(cache.ports).toEqual([28300]);
      const ping = await run('redis-cli', ['-h', '127.0.0.1', '-p', '28300', 'ping'], { timeout: 5000 });
      expect(ping.stdout.trim()).toBe('PONG');
      const dir = await run('redis-cli', ['-h', '127.0.0.1', '-p', '28300', 'config', 'get', 'dir'], { timeout: 5000 });
      expect(dir.stdout).toContain(path.join(project.dir, 'redis'));

      const down = await project.berth(['down'], 10_000);
      expect(down.code, down.stderr).toBe(0);
      expect((await exitWithin(up, 5000)).code).toBe(0);
      expect(alive(cache.pid as number)).toBe(false);
      await waitForNothingLeft(project, 2000, 'every process started by this berth');
      expect(await portFree(28300)).toBe(true);
    } finally {
      sweep(project, seen);
    }
  });
});
