import { Supervisor, type SupervisorOptions } from '../supervisor/supervisor.js';
import type { OutputStream } from './io.js';

/** Where a foreground stack's service lines go: `lines` false pauses the service until `stream` drains. */
export interface OutputSink {
  stream: OutputStream;
  lines(service: string, lines: Buffer): boolean;
}

/**
 * The supervisor of a stack berth runs in the foreground (`up`, `run`), its output back-pressured
 * by the stream it is written to. When it cannot be made (a file berth must not overwrite, say),
 * the ports are given back before the error goes on: nothing is left half-started.
 */
export async function createSupervisor(options: Omit<SupervisorOptions, 'output'>, sink: OutputSink): Promise<Supervisor> {
  let supervisor: Supervisor | null = null;
  try {
    supervisor = new Supervisor({
      ...options,
      output: (service, _stream, lines) => {
        const more = sink.lines(service, lines);
        if (!more) sink.stream.once?.('drain', () => supervisor?.resumeOutput());
        return more;
      },
    });
    return supervisor;
  } catch (error) {
    await options.allocation.holds.release();
    await options.store.release(options.allocation.lease.id);
    throw error;
  }
}
