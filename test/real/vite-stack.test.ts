import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';
import { describePids, httpGet, portFree, serverPids, sweep, waitForNothingLeft } from './process-sweep.js';
import { realProject, type PsInstance } from './real-project.js';

// This file's ports: 28400-28499.
// Three instances of one Vite + API stack at once (berth up -d, three times in parallel): each
// Vite dev server gets its own API's URL (VITE_API_URL), serves it, proxies /api to it, and
// inlines it into the modules it serves; the three blocks are disjoint; down --all ends all.

const STACK = `version: 1
project: shop
ranges: { dev: 28400-28419 }
environments:
  dev:
    services:
      api: { cmd: node server.js, cwd: ./api, ready: port }
      web:
        cmd: vite --port \${self.port} --strictPort --host 127.0.0.1
        cwd: ./web
        env: { VITE_API_URL: "http://127.0.0.1:\${api.port}" }
        ready: { http: /api-url }
`;

function owners(home: string): number[] {
  const file = path.join(home, 'registry.json');
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { leases: Lease[] }).leases.map((lease) => lease.owner.pid);
  } catch {
    return [];
  }
}

const portOf = (instance: PsInstance, name: string) => instance.services.find((service) => service.name === name)?.ports[0] as number;

describe('three instances of a Vite + API stack', () => {
  it('each Vite serves and proxies its own API; disjoint blocks; down --all leaves nothing', async () => {
    const project = realProject({ app: 'api', web: 'web' }, STACK);
    const seen = new Set<number>();
    try {
      const ups = await Promise.all([1, 2, 3].map(() => project.berth(['up', '-d'], 60_000)));
      const supervisors = owners(project.env.BERTH_HOME as string);
      supervisors.forEach((pid) => seen.add(pid));
      for (const up of ups) expect(up.code, `berth up -d: ${up.stdout}${up.stderr}`).toBe(0);

      const instances = (await project.instances()).sort((a, b) => a.instance - b.instance);
      for (const instance of instances) for (const service of instance.services) if (service.pid !== null) seen.add(service.pid);
      expect(instances.map((instance) => instance.instance)).toEqual([1, 2, 3]);
      for (const instance of instances) expect(instance.services.map((service) => [service.name, service.state])).toEqual([['api', 'ready'], ['web', 'ready']]);
      const blocks = instances.map((instance) => instance.ports);
      for (const [i, [first, last]] of blocks.entries()) {
        for (const [other, last2] of blocks.slice(i + 1)) expect(last < other || last2 < first, `blocks ${JSON.stringify(blocks)} overlap`).toBe(true);
      }
      const ports = instances.flatMap((instance) => instance.services.flatMap((service) => service.ports));
      expect(new Set(ports).size).toBe(6);

      for (const instance of instances) {
        const api = portOf(instance, 'api');
        const web = portOf(instance, 'web');
        const url = `http://127.0.0.1:${api}`;
        const apiPid = (await serverPids(api))?.pid as number;
        seen.add(apiPid);
        expect(apiPid, `the API of instance ${instance.instance} answers on ${api}`).toBeTypeOf('number');
        expect((await httpGet(web, '/api-url'))?.body, `instance ${instance.instance}: Vite's VITE_API_URL`).toBe(url);
        const proxied = await httpGet(web, '/api/');
        expect(JSON.parse(proxied?.body ?? '{}').pid, `instance ${instance.instance}: Vite proxies /api to its own API`).toBe(apiPid);
        expect((await httpGet(web, '/src/main.js'))?.body, `instance ${instance.instance}: main.js as Vite serves it`).toContain(url);
        expect((await httpGet(web, '/'))?.body).toContain('/src/main.js');
      }

      const down = await project.berth(['down', '--all'], 20_000);
      expect(down.code, `${down.stdout}${down.stderr}`).toBe(0);
      const left = [...seen].filter((pid) => alive(pid) && !supervisors.includes(pid));
      expect(left, `processes of the stacks still alive: ${describePids(left)}`).toEqual([]);
      await waitFor(() => supervisors.every((pid) => !alive(pid)), 3000, () => `the supervisors to exit: ${describePids(supervisors.filter(alive))}`);
      await waitForNothingLeft(project, 2000, 'every process started by these berths');
      for (const port of ports) expect(await portFree(port), `port ${port} is free`).toBe(true);
      expect(await project.instances()).toEqual([]);
    } finally {
      sweep(project, seen);
    }
  }, 90_000);
});
