import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';
import { serverPids, sweep } from './process-sweep.js';
import { exitWithin, portsYaml, realProject } from './real-project.js';

// This file's ports: 28000-28099.
// `berth restart`, ten times in a row, of a server behind the wrappers real projects use: each
// time the old tree is gone, a new one is ready on the same port and answers with its new pid.

const ROUNDS = 10;

/**
 * A ps check that holds once the service is ready under a new pid, or has settled where a
 * restart must not leave it: failed or exited, or stopped for a whole second.
 */
function settledAfter(oldPid: number) {
  let stoppedSince: number | null = null;
  return (service: { state: string; pid: number | null }): boolean => {
    if (service.state === 'ready' && service.pid !== oldPid) return true;
    if (service.state === 'failed' || service.state === 'exited') return true;
    stoppedSince = service.state === 'stopped' ? (stoppedSince ?? Date.now()) : null;
    return stoppedSince !== null && Date.now() - stoppedSince >= 1000;
  };
}

async function restartRepeatedly(name: string, cmd: string, range: string): Promise<void> {
  const project = realProject({ app: '.' }, portsYaml(range, `      ${name}: { cmd: ${cmd}, ready: port }\n`));
  const port = Number(range.split('-')[0]);
  const seen = new Set<number>();
  const up = project.up();
  try {
    let service = await project.waitForService(name, (each) => each.state === 'ready', 30_000, 'to be ready', up);
    seen.add(service.pid as number);
    let server = await waitFor(() => serverPids(port), 10_000, `the server on ${port} to answer`);
    seen.add(server.pid as number);
    expect(service.ports).toEqual([port]);

    for (let round = 1; round <= ROUNDS; round += 1) {
      const before = { service: service.pid as number, server: server.pid as number };
      const restart = await project.berth(['restart', name], 30_000);
      expect(restart.code, `restart ${round}: ${restart.stderr}`).toBe(0);
      service = await project.waitForService(name, settledAfter(before.service), 30_000, `to be ready again after restart ${round}`, up);
      if (service.pid !== null) seen.add(service.pid);
      expect(service, `after restart ${round}`).toMatchObject({ state: 'ready', ports: [port], restarts: round });
      const answer = await serverPids(port);
      if (answer) seen.add(answer.pid as number);
      expect(answer?.pid, `after restart ${round}, GET / on ${port} answers the new server`).toBeTypeOf('number');
      expect(answer?.pid, `after restart ${round}`).not.toBe(before.server);
      expect(alive(before.server), `after restart ${round}, the old server ${before.server} is gone`).toBe(false);
      expect(alive(before.service), `after restart ${round}, the old leader ${before.service} is gone`).toBe(false);
      server = answer as Record<string, number>;
    }

    const down = await project.berth(['down'], 15_000);
    expect(down.code, down.stderr).toBe(0);
    expect((await exitWithin(up, 5000)).code).toBe(0);
    expect(alive(server.pid as number)).toBe(false);
  } finally {
    sweep(project.mark, seen);
  }
}

describe('berth restart of a wrapped dev server', () => {
  it(`npm run dev (npm → sh → node), ${ROUNDS} times`, () => restartRepeatedly('api', 'npm run dev', '28000-28009'), 120_000);
  it(`nodemon, ${ROUNDS} times`, () => restartRepeatedly('api', 'nodemon server.js', '28010-28019'), 120_000);
  it(`tsx watch, ${ROUNDS} times`, () => restartRepeatedly('api', 'tsx watch server.ts', '28020-28029'), 120_000);
  it(`plain node server.js, ${ROUNDS} times`, () => restartRepeatedly('api', 'node server.js', '28030-28039'), 120_000);
});
