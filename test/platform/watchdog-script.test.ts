import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../helpers/berth-up.js';
import { ROOT, track, waitFor } from '../helpers/processes.js';

// The watchdog script alone, on its line protocol, with real process groups. Binds no port.

const SCRIPT = path.join(ROOT, 'src', 'platform', 'watchdog.sh');

/** A `sleep` leading its own process group: its pgid is its pid. */
function group(): ChildProcess {
  return track(spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }));
}

describe('watchdog.sh', () => {
  it('when its pipe closes, ends the runs still listed and none it was told are gone, after hundreds of forgets and a pgid listed again', async () => {
    const [kept, forgotten, again, last] = [group(), group(), group(), group()];
    const watchdog = track(spawn('/bin/sh', [SCRIPT, 'procfs'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] }));
    const groups = [kept, forgotten, again, last].map((child) => child.pid as number);
    try {
      const line = (text: string) => watchdog.stdin?.write(`${text}\n`);
      const [k, f, a, l] = groups;
      line(`+${k} 0a1b2c3d SIGTERM 2000`);
      line(`+${f} 0a1b2c3d SIGTERM 2000`);
      // 300 runs that come and go (pgids no process has): the list is pruned every 64 forgets.
      for (let i = 0; i < 300; i++) line(`+${4_100_000 + i} 0a1b2c3d SIGTERM 2000`);
      line(`+${a} 0a1b2c3d SIGTERM 2000`);
      for (let i = 0; i < 300; i++) line(`-${4_100_000 + i}`);
      line(`-${f}`);
      line(`-${a}`);
      line(`+${a} 0a1b2c3d SIGTERM 2000`); // the same pgid, a new run
      line(`-999`); // never listed
      line(`+${l} 0a1b2c3d SIGTERM 2000`);
      watchdog.stdin?.end(); // as when berth dies

      await waitFor(() => !alive(k as number) && !alive(a as number) && !alive(l as number), 5000, 'the runs still listed to be ended');
      await waitFor(() => watchdog.exitCode !== null, 5000, 'the watchdog to exit');
      expect(alive(f as number)).toBe(true);
    } finally {
      for (const pgid of groups) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});
