import type { OutputStream } from './io.js';
import { PrefixedOutput } from './prefixed-output.js';

/**
 * Where `berth run` talks: stderr only, so CMD's stdout stays clean for a pipe. Services'
 * output and berth's progress as `name │ line`; `quiet` drops both. Problems (a service that
 * failed, with its last lines) are printed either way, as `berth: …` lines.
 */
export class RunOutput {
  readonly #stream: OutputStream;
  readonly #prefixed: PrefixedOutput;
  readonly #quiet: boolean;

  constructor(stream: OutputStream, services: string[], options: { color: boolean; quiet: boolean }) {
    this.#stream = stream;
    this.#prefixed = new PrefixedOutput(stream, services, options.color);
    this.#quiet = options.quiet;
  }

  /** Whole lines of a service; false when stderr asks to wait. */
  lines(service: string, lines: Buffer): boolean {
    return this.#quiet ? true : this.#prefixed.lines(service, lines);
  }

  note(message: string): void {
    if (!this.#quiet) this.#prefixed.note(message);
  }

  /** A problem, shown even with --quiet; `lines` (a service's last lines) indented under it. */
  problem(message: string, lines: readonly string[] = []): void {
    this.#stream.write(`berth: ${message}${lines.length ? '; its last lines:' : ''}\n${lines.map((line) => `  ${line}\n`).join('')}`);
  }
}
