import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';
import { portFree, serverPids, sweep, waitForNothingLeft } from './process-sweep.js';
import { exitWithin, portsYaml, realProject } from './real-project.js';

// This file's ports: 28100-28199.
// `berth down` of a service that started a process outside its process group: a detached
// helper that shares its output pipes, and a setsid daemon. down returns in time, exit 0, and
// nothing the service started is left, nor anything on its port.

const STOP_TIMEOUT_MS = 2000;

async function downLeavesNothing(cmd: string, range: string, escapee: 'HELPER_PID' | 'DAEMON_PID'): Promise<void> {
  const project = realProject({ app: '.' }, portsYaml(range, `      api: { cmd: ${cmd}, ready: port, stop_timeout: ${STOP_TIMEOUT_MS}ms }\n`));
  const port = Number(range.split('-')[0]);
  const seen = new Set<number>();
  const up = project.up();
  try {
    const service = await project.waitForService('api', (each) => each.state === 'ready', 20_000, 'to be ready', up);
    seen.add(service.pid as number);
    const pids = await waitFor(() => serverPids(port), 10_000, `the server on ${port} to answer`);
    const escaped = pids[escapee] as number;
    seen.add(pids.pid as number).add(escaped);
    expect(escaped, `the server reports its ${escapee}`).toBeTypeOf('number');
    expect(alive(escaped)).toBe(true);

    const startedAt = Date.now();
    const down = await project.berth(['down'], STOP_TIMEOUT_MS + 3000);
    const tookMs = Date.now() - startedAt;
    const stateAfter = down.code === 0 ? 'stopped' : (await project.service('api').catch(() => undefined))?.state;
    expect({ code: down.code, inTime: tookMs <= STOP_TIMEOUT_MS + 2000, stateAfter }, `down took ${tookMs} ms: ${down.stdout}${down.stderr}`).toEqual({
      code: 0,
      inTime: true,
      stateAfter: 'stopped',
    });
    expect((await exitWithin(up, 5000)).code).toBe(0);
    const left = [service.pid as number, pids.pid as number, escaped].filter(alive);
    expect(left, `processes of the service still alive (leader ${service.pid}, server ${pids.pid}, ${escapee} ${escaped})`).toEqual([]);
    await waitForNothingLeft(project, 2000, 'every process started by this berth');
    expect(await portFree(port), `port ${port} is free`).toBe(true);
  } finally {
    sweep(project, seen);
  }
}

describe('berth down of a service whose processes left its group', () => {
  it('a detached helper sharing stdout (own group and session): down returns within stop_timeout + 2 s and the helper is gone', () =>
    downLeavesNothing('node helper-server.js', '28100-28109', 'HELPER_PID'), 30_000);

  it('a setsid daemon (sh -c "setsid sleep … & exec node server.js"): down leaves no daemon behind', () =>
    downLeavesNothing('sh setsid-daemon.sh', '28110-28119', 'DAEMON_PID'), 30_000);
});
