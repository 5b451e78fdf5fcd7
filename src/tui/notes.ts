import type { Clock } from '../supervisor/clock.js';

export type NoteKind = 'info' | 'error';

/** How long a note stays on the message line. */
export const NOTE_MS: Record<NoteKind, number> = { info: 5000, error: 10_000 };

/**
 * The dashboard's message line: the last note, until it expires (through the Clock, so tests
 * drive it) or a newer one replaces it. A sticky note (a stack stopping) stays until replaced.
 */
export class Notes {
  readonly #clock: Clock;
  readonly #changed: () => void;
  #text = '';
  #kind: NoteKind = 'info';
  #timer: unknown = null;

  constructor(clock: Clock, changed: () => void) {
    this.#clock = clock;
    this.#changed = changed;
  }

  get text(): string {
    return this.#text;
  }

  get kind(): NoteKind {
    return this.#kind;
  }

  show(text: string, options: { kind?: NoteKind; sticky?: boolean } = {}): void {
    this.#cancel();
    this.#text = text;
    this.#kind = options.kind ?? 'info';
    if (!options.sticky) {
      const timer = this.#clock.setTimeout(() => {
        if (this.#timer !== timer) return;
        this.#timer = null;
        this.#text = '';
        this.#changed();
      }, NOTE_MS[this.#kind]);
      (timer as { unref?: () => void } | null)?.unref?.();
      this.#timer = timer;
    }
    this.#changed();
  }

  clear(): void {
    this.#cancel();
    if (!this.#text) return;
    this.#text = '';
    this.#changed();
  }

  close(): void {
    this.#cancel();
  }

  #cancel(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
