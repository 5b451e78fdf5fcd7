import { describe, expect, it } from 'vitest';
import { holdYoungGeneration, RELEASE_AFTER_MS, releaseWhenSettled, v8Heap, type HeapControl } from '../../src/cli/idle-heap.js';
import type { Supervisor, SupervisorEvent } from '../../src/supervisor/supervisor.js';
import type { ServiceSnapshot } from '../../src/supervisor/service-state.js';

/** Just what onceSettled and releaseWhenSettled read of a Supervisor. */
function fakeSupervisor(names: string[]) {
  const listeners = new Set<(event: SupervisorEvent) => void>();
  const services = names.map((name) => ({ name, state: 'starting', ready: false, reason: null }) as unknown as ServiceSnapshot);
  const fake = {
    stopping: false,
    on: (listener: (event: SupervisorEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    services: () => services.map((service) => ({ ...service })),
    runner: () => undefined,
  };
  const ready = (name: string) => {
    const service = services.find((each) => each.name === name) as ServiceSnapshot;
    Object.assign(service, { state: 'ready', ready: true });
    for (const listener of listeners) listener({ type: 'state', service: { ...service } });
  };
  return { supervisor: fake as unknown as Supervisor, fake, ready, listeners };
}

function recordingHeap() {
  const calls: string[] = [];
  const heap: HeapControl = { setFlags: (flags) => calls.push(flags), collect: () => calls.push('collect') };
  return { heap, calls };
}

/** A schedule the test runs by hand: the pending call and its delay. */
function manualSchedule() {
  const pending: { run: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule = (run: () => void, ms: number) => {
    const entry = { run, ms, cancelled: false };
    pending.push(entry);
    return () => (entry.cancelled = true);
  };
  return { schedule, pending };
}

describe('idle heap', () => {
  it('holds the young generation at its size while the stack starts', () => {
    const { heap, calls } = recordingHeap();
    holdYoungGeneration(heap);
    expect(calls).toEqual(['--semi-space-growth-factor=1']);
  });

  it('lets it grow again once every service is ready, and collects twice a moment later', () => {
    const { supervisor, ready, listeners } = fakeSupervisor(['api', 'web']);
    const { heap, calls } = recordingHeap();
    const { schedule, pending } = manualSchedule();
    releaseWhenSettled(supervisor, 60_000, heap, schedule);

    ready('api');
    expect(calls).toEqual([]); // web is still starting
    ready('web');
    expect(calls).toEqual(['--semi-space-growth-factor=2']);
    expect(pending).toHaveLength(1);
    expect(pending[0]?.ms).toBe(RELEASE_AFTER_MS);
    expect(listeners.size).toBe(0); // settled once: no subscription is left behind

    pending[0]?.run();
    expect(calls).toEqual(['--semi-space-growth-factor=2', '--optimize-for-size', 'collect', 'collect', '--no-optimize-for-size']);
  });

  it('does not collect when the stack is stopping by then, but lets the young generation grow again', () => {
    const { supervisor, fake, ready } = fakeSupervisor(['api']);
    const { heap, calls } = recordingHeap();
    const { schedule, pending } = manualSchedule();
    releaseWhenSettled(supervisor, 60_000, heap, schedule);
    ready('api');
    fake.stopping = true;
    pending[0]?.run();
    expect(calls).toEqual(['--semi-space-growth-factor=2']);
  });

  it('cancelled before the stack settles, it does nothing at all', () => {
    const { supervisor, ready, listeners } = fakeSupervisor(['api']);
    const { heap, calls } = recordingHeap();
    const { schedule, pending } = manualSchedule();
    const cancel = releaseWhenSettled(supervisor, 60_000, heap, schedule);
    cancel();
    ready('api');
    expect(listeners.size).toBe(0);
    expect(calls).toEqual([]);
    expect(pending).toHaveLength(0);
  });

  it('cancelled after settling, the pending collection is dropped', () => {
    const { supervisor, ready } = fakeSupervisor(['api']);
    const { heap } = recordingHeap();
    const { schedule, pending } = manualSchedule();
    const cancel = releaseWhenSettled(supervisor, 60_000, heap, schedule);
    ready('api');
    cancel();
    expect(pending[0]?.cancelled).toBe(true);
  });

  it("V8's collection runs a full GC and leaves gc hidden in later contexts", async () => {
    const { runInNewContext } = await import('node:vm');
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    const major: unknown[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major.push(entry);
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      v8Heap.collect();
      for (let i = 0; i < 100 && major.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(major.length).toBeGreaterThan(0);
    } finally {
      observer.disconnect();
    }
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
