import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { waitFor } from '../helpers/processes.js';
import { sweep } from './process-sweep.js';
import { portsYaml, realProject } from './real-project.js';

// This file's ports: 28600-28619 (the service itself needs none).
// berth is SIGKILLed: its watchdog stops each service as berth would, with the service's own
// stop_signal, and SIGKILL only once its stop_timeout has passed (what postgres needs for a fast
// shutdown instead of a crash).

const STOP_TIMEOUT_MS = 3000;

describe('berth SIGKILLed: the watchdog stops a service as berth would', () => {
  it('sends the stop_signal (SIGINT), then SIGKILL after stop_timeout, not sooner and not much later', async () => {
    const project = realProject(
      { app: '.' },
      portsYaml('28600-28609', `      stubborn: { cmd: node record-signals.js, ports: 0, ready: { log: recording }, stop_signal: SIGINT, stop_timeout: ${STOP_TIMEOUT_MS}ms, env: { SIGNALS_FILE: ./signals } }\n`),
    );
    const signals = path.join(project.dir, 'signals');
    const seen = new Set<number>();
    const up = project.up();
    try {
      const pid = Number((await up.line(/^stubborn +│ recording pid \d+/, 15_000)).split(' ').pop());
      seen.add(pid);
      await project.waitForService('stubborn', (each) => each.state === 'ready', 10_000, 'to be ready', up);
      up.child.kill('SIGKILL');
      await up.exit;
      const killedAt = Date.now();
      await waitFor(() => !alive(pid), STOP_TIMEOUT_MS + 1000, () => `the service to be SIGKILLed within stop_timeout + 1 s (signals so far: ${summary(readSignals(signals))})`);
      const tookMs = Date.now() - killedAt;
      expect(readSignals(signals), 'signals the service got before SIGKILL').toEqual(['SIGINT']);
      expect(tookMs, 'SIGKILL came no sooner than stop_timeout').toBeGreaterThanOrEqual(STOP_TIMEOUT_MS - 100);
    } finally {
      sweep(project, seen);
    }
  });
});

/** "SIGINT ×47, SIGTERM" for a failure message. */
function summary(names: string[]): string {
  const runs: [string, number][] = [];
  for (const name of names) {
    const last = runs.at(-1);
    if (last?.[0] === name) last[1] += 1;
    else runs.push([name, 1]);
  }
  return runs.map(([name, count]) => (count > 1 ? `${name} ×${count}` : name)).join(', ') || 'none';
}

function readSignals(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
