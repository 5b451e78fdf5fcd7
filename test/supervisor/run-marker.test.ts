import { describe, expect, it } from 'vitest';
import { nextMarker } from '../../src/supervisor/service-run.js';
import { createSpawnProcess } from '../../src/supervisor/spawn-process.js';

// One short-lived /bin/sh, no ports.

describe('run markers', () => {
  it('are unique lowercase hex of 16+ characters (the watchdog matches BERTH_RUN=[0-9a-f]*), one prefix per berth process', () => {
    const markers = Array.from({ length: 1000 }, () => nextMarker());
    expect(new Set(markers).size).toBe(1000);
    for (const marker of markers) expect(marker).toMatch(/^[0-9a-f]{20,}$/);
    expect(new Set(markers.map((marker) => marker.slice(0, 16))).size).toBe(1);
  });

  it("reach the service's environment as it is merged for the spawn, over the service's own BERTH_RUN", async () => {
    const spawnService = createSpawnProcess({ setpriv: null });
    const marker = nextMarker();
    const { child } = spawnService(
      { file: 'printf %s "$BERTH_RUN $PORT"', args: [], shell: true, cwd: process.cwd(), env: { PORT: '4100', BERTH_RUN: 'stale' }, ports: [], readyExec: null, marker },
      { preferLocalFrom: process.cwd() },
    );
    try {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      expect(out).toBe(`${marker} 4100`);
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
  });
});
