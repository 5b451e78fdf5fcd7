import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';
import { httpGet, portFree, serverPids, sweep, waitForNothingLeft } from './process-sweep.js';
import { exitWithin, portsYaml, realProject } from './real-project.js';

// This file's ports: 28200-28219.
// A server that listens on ::1 only (what `localhost` gives on macOS and many Linux setups):
// readiness by port and by http both see it.

describe('readiness of a server on ::1 only', () => {
  it('ready: port and ready: { http: / } both become ready', async () => {
    const project = realProject(
      { app: '.' },
      portsYaml(
        '28200-28209',
        `      byport: { cmd: node server.js, env: { HOST: "::1" }, ready: port, ready_timeout: 60s }
      byhttp: { cmd: node server.js, env: { HOST: "::1" }, ready: { http: / }, ready_timeout: 60s }
`,
      ),
    );
    const seen = new Set<number>();
    const up = project.up();
    try {
      const servers = await Promise.all(
        [28200, 28201].map(async (port) => {
          const pids = await waitFor(() => serverPids(port, '::1'), 10_000, `the server on [::1]:${port} to answer`);
          seen.add(pids.pid as number);
          return pids.pid as number;
        }),
      );
      // The servers really are ::1-only: nothing answers on 127.0.0.1.
      expect(await httpGet(28200, '/', '127.0.0.1')).toBeUndefined();
      expect(await httpGet(28201, '/', '127.0.0.1')).toBeUndefined();

      const byport = await project.waitForService('byport', (each) => each.state === 'ready', 10_000, 'to be ready', up);
      expect(byport).toMatchObject({ ports: [28200], ready: true });
      const byhttp = await project.waitForService('byhttp', (each) => each.state === 'ready', 10_000, 'to be ready (GET / answers 200 on [::1]:28201)', up);
      expect(byhttp).toMatchObject({ ports: [28201], ready: true });

      const down = await project.berth(['down'], 10_000);
      expect(down.code, down.stderr).toBe(0);
      expect((await exitWithin(up, 5000)).code).toBe(0);
      expect(servers.filter(alive)).toEqual([]);
      await waitForNothingLeft(project, 2000, 'every process started by this berth');
      expect(await portFree(28200)).toBe(true);
      expect(await portFree(28201)).toBe(true);
    } finally {
      sweep(project, seen);
    }
  });
});
