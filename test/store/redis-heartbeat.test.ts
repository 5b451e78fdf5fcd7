import { describe, expect, it } from 'vitest';
import type { Lease } from '../../src/store/lease.js';
import { LeaseHeartbeat, type BeatResult } from '../../src/store/redis-heartbeat.js';
import { parseRedisTarget } from '../../src/store/redis-url.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const lease = (id: string) => ({ id }) as Lease;

describe('the Redis lease heartbeat (virtual time)', () => {
  it('beats every interval, backs off 0.5 s, 1 s, 2 s… up to the interval while Redis is down, and is back to the interval once a beat succeeds', async () => {
    const clock = new VirtualClock();
    let down = false;
    const beats: { at: number; outcome: string }[] = [];
    const heartbeat = new LeaseHeartbeat({
      clock,
      intervalMs: 5000,
      retryMs: 500,
      beat: async (): Promise<BeatResult> => {
        if (down) throw new Error('offline');
        return 'present';
      },
      onBeat: (_lease, outcome) => beats.push({ at: clock.now(), outcome: outcome instanceof Error ? outcome.message : outcome }),
    });
    heartbeat.add(lease('a'));
    await clock.runUntil(() => beats.length === 2);
    down = true;
    await clock.runUntil(() => beats.length === 8);
    down = false;
    await clock.runUntil(() => beats.length === 10);
    const gaps = beats.map((beat, i) => beat.at - (beats[i - 1]?.at ?? 0));
    expect(gaps).toEqual([5000, 5000, 5000, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(beats.map((beat) => beat.outcome)).toEqual(['present', 'present', 'offline', 'offline', 'offline', 'offline', 'offline', 'offline', 'present', 'present']);
    heartbeat.remove('a');
    expect(clock.timers).toEqual([]);
  });

  it('a nudge (the connection is back) beats at once', async () => {
    const clock = new VirtualClock();
    const beats: number[] = [];
    const heartbeat = new LeaseHeartbeat({ clock, intervalMs: 5000, beat: async () => (beats.push(clock.now()), 'restored') });
    heartbeat.add(lease('a'));
    clock.time = 1200;
    heartbeat.nudge();
    await clock.runUntil(() => beats.length === 1);
    expect(beats).toEqual([1200]);
    heartbeat.stop();
  });
});

describe('BERTH_STORE', () => {
  it('takes redis://, rediss:// and unix:// URLs, masking a password', () => {
    expect(parseRedisTarget('redis://127.0.0.1:6379/2')).toEqual({ url: 'redis://127.0.0.1:6379/2', database: 2, display: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisTarget('rediss://user:secret@redis.example:6380')).toMatchObject({ database: 0, display: 'rediss://user:***@redis.example:6380' });
    expect(parseRedisTarget('unix:///run/redis/redis.sock?db=3')).toMatchObject({ socketPath: '/run/redis/redis.sock', database: 3 });
  });

  it('anything else is a usage error naming it', () => {
    for (const value of ['mysql://db', 'redis://', 'unix://relative.sock', 'redis://h:1/x', 'localhost:6379']) {
      expect(() => parseRedisTarget(value), value).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining(`BERTH_STORE=${value}`) }));
    }
  });
});
