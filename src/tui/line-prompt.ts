/**
 * A one-line input on the message line (the search): it takes every key until enter or esc.
 * Plain state, drawn by the dashboard as `label value█`.
 */
export class LinePrompt {
  readonly label: string;
  value = '';
  readonly #done: (value: string | null) => void;

  constructor(label: string, initial: string, done: (value: string | null) => void) {
    this.label = label;
    this.value = initial;
    this.#done = done;
  }

  /** Handles a key; true once the prompt is finished (enter: the value, esc / C-c: null). */
  key(ch: string | undefined, name: string | undefined): boolean {
    if (name === 'enter') {
      this.#done(this.value);
      return true;
    }
    if (name === 'escape' || name === 'C-c') {
      this.#done(null);
      return true;
    }
    if (name === 'backspace') this.value = this.value.slice(0, -1);
    else if (name === 'C-u') this.value = '';
    else if (ch && ch >= ' ' && ch !== '\x7f' && name !== 'return') this.value += ch;
    return false;
  }

  get text(): string {
    return `${this.label}${this.value}█`;
  }
}
