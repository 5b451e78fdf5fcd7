import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';
import { portFree, sweep, waitForNothingLeft } from './process-sweep.js';
import { exitWithin, portsYaml, realProject } from './real-project.js';

// This file's ports: 28700-28709.
// A cmd that daemonizes (redis-server --daemonize yes) leaves a process that is neither in the
// service's group nor carries its marker (redis rewrites its environment for its process title):
// berth finds it by the port it holds, and stops it when the service's main process has ended.

describe('a service whose command daemonizes', () => {
  it('redis-server --daemonize yes: the daemon on the service\'s port is stopped once its launcher exits, and the port is free', async () => {
    const project = realProject(
      {},
      portsYaml('28700-28709', `      cache: { cmd: 'redis-server --port \${self.port} --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --pidfile ./redis.pid', cwd: ./redis, ready: none }\n`),
    );
    mkdirSync(path.join(project.dir, 'redis'));
    const pidFile = path.join(project.dir, 'redis', 'redis.pid');
    const seen = new Set<number>();
    const up = project.up();
    try {
      const daemon = Number(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), 15_000, 'redis to write its pid file'));
      seen.add(daemon);
      // The launcher exits 0 at once: the service has ended, and so must everything it left.
      expect((await exitWithin(up, 15_000)).code).toBe(0);
      expect(alive(daemon)).toBe(false);
      await waitForNothingLeft(project, 2000, 'every process started by this berth');
      expect(await portFree(28700)).toBe(true);
    } finally {
      sweep(project, seen);
    }
  });
});
