import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Supervisor } from '../supervisor/supervisor.js';
import { onceSettled } from './stack-settled.js';

/**
 * A foreground stack's heap, kept near what it holds once it idles. Starting a stack (spawning
 * every service, reading their first output) allocates in a burst that grows V8's young
 * generation to ~16 MiB (from 2 MiB); V8 gives that back only when its memory reducer runs, 8 s
 * after the last full GC. So the young generation does not grow while the stack starts
 * (`holdYoungGeneration`, as the services start: not before berth's modules are loaded, since a
 * V8 flag set before leaves their code caches unused, cli/code-cache.ts); once every service is ready
 * (`releaseWhenSettled`), two full GCs, V8 optimizing for size meanwhile, compact what the start
 * left behind and give the free pages back; the young generation may grow again from the moment
 * the stack settled — a service that floods output gets the usual one.
 */
export interface HeapControl {
  setFlags(flags: string): void;
  /** One full, synchronous GC. */
  collect(): void;
}

/** V8's own, through flags: `gc` exposed for one call in a fresh context, then hidden again. */
export const v8Heap: HeapControl = {
  setFlags: (flags) => setFlagsFromString(flags),
  collect: () => {
    setFlagsFromString('--expose-gc');
    try {
      (runInNewContext('gc') as () => void)();
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  },
};

/** V8's default growth factor of the young generation (each scavenge that keeps much doubles it). */
const GROWTH_FACTOR = 2;
/** How long the stack stays quiet after settling before the collection (starts are still finishing). */
export const RELEASE_AFTER_MS = 250;

/** No young-generation growth from here on: call as the services start. */
export function holdYoungGeneration(heap: HeapControl = v8Heap): void {
  heap.setFlags('--semi-space-growth-factor=1');
}

/**
 * Once every service is ready (or ended, or one failed, or after `capMs`): the young generation
 * may grow again, and `RELEASE_AFTER_MS` later two full GCs shrink the heap (none if the stack is
 * stopping by then). Returns a cancel.
 */
export function releaseWhenSettled(
  supervisor: Supervisor,
  capMs: number,
  heap: HeapControl = v8Heap,
  schedule: (run: () => void, ms: number) => () => void = unrefTimeout,
): () => void {
  let cancelTimer: (() => void) | null = null;
  const cancelSettled = onceSettled(supervisor, capMs, () => {
    // At once: services that flood output from their start must not wait for the collection.
    heap.setFlags(`--semi-space-growth-factor=${GROWTH_FACTOR}`);
    cancelTimer = schedule(() => {
      cancelTimer = null;
      if (supervisor.stopping) return;
      // While V8 optimizes for size a full GC compacts fragmented pages it would otherwise keep.
      heap.setFlags('--optimize-for-size');
      try {
        heap.collect();
        heap.collect(); // the second one gives back the pages the first emptied
      } finally {
        heap.setFlags('--no-optimize-for-size');
      }
    }, RELEASE_AFTER_MS);
  });
  return () => {
    cancelSettled();
    cancelTimer?.();
  };
}

function unrefTimeout(run: () => void, ms: number): () => void {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
