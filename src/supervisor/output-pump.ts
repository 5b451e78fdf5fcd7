import type { Readable } from 'node:stream';
import { LineFramer } from './line-framer.js';

export type OutputStream = 'stdout' | 'stderr';

/** Whole lines of one stream; return false to pause every stream of the pump until `resume`. */
export type LinesSink = (stream: OutputStream, lines: Buffer) => boolean;

interface Pipe {
  stream: Readable;
  name: OutputStream;
  framer: LineFramer;
}

/**
 * Carries one run's stdout and stderr to a sink as whole lines, pausing both pipes while the
 * sink is behind. `drained` resolves when both pipes closed, or when `cut` closed them: a
 * process that left the service's tree may hold a pipe open forever, and a stop never waits
 * for it. The last partial line is delivered either way.
 */
export class OutputPump {
  readonly drained: Promise<void>;
  readonly #streams: Pipe[];
  readonly #sink: LinesSink;
  #paused = false;

  constructor(stdout: Readable | null, stderr: Readable | null, sink: LinesSink) {
    this.#sink = sink;
    this.#streams = [];
    if (stdout) this.#streams.push({ stream: stdout, name: 'stdout', framer: new LineFramer() });
    if (stderr) this.#streams.push({ stream: stderr, name: 'stderr', framer: new LineFramer() });
    this.drained = Promise.all(this.#streams.map((each) => this.#pump(each))).then(() => {});
  }

  #pump({ stream, name, framer }: Pipe): Promise<void> {
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => this.#deliver(name, framer.push(chunk)));
      stream.once('error', () => {});
      stream.once('close', () => {
        this.#deliver(name, framer.end());
        resolve();
      });
    });
  }

  #deliver(name: OutputStream, lines: Buffer | null): void {
    if (!lines) return;
    if (!this.#sink(name, lines) && !this.#paused) {
      this.#paused = true;
      for (const each of this.#streams) each.stream.pause();
    }
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const each of this.#streams) each.stream.resume();
  }

  /** Closes both pipes now; whatever was read is delivered, a partial last line included. */
  cut(): void {
    for (const each of this.#streams) {
      // What is buffered already reaches the sink: read() emits it as 'data'.
      while (each.stream.readableLength > 0 && each.stream.read() !== null);
      each.stream.destroy();
    }
  }
}
