/** Where `up` shows its stack: prefixed lines, or the dashboard in a terminal. */
export interface UpView {
  /** Whole lines of a service; false asks it to wait (plain output only). */
  lines(service: string, lines: Buffer): boolean;
  note(message: string): void;
  close(): void;
}
