/** Where a CLI command reads its surroundings and writes its output. */
export interface OutputStream {
  /** false when the stream's buffer is full: wait for 'drain'. */
  write(data: string | Uint8Array): boolean;
  once?(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Subscribes to a process signal; returns the unsubscribe. Default: process.on. */
  onSignal?: (signal: NodeJS.Signals, listener: () => void) => () => void;
}

/** Subscribes to a process signal through `io` (tests pass their own); returns the unsubscribe. */
export function onSignal(io: CliIo, signal: NodeJS.Signals, listener: () => void): () => void {
  if (io.onSignal) return io.onSignal(signal, listener);
  process.on(signal, listener);
  return () => process.off(signal, listener);
}

export function printLine(stream: OutputStream, line = ''): void {
  stream.write(`${line}\n`);
}

/** `--json` output: one JSON document on stdout, nothing else. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function warn(io: CliIo, message: string): void {
  io.stderr.write(`berth: warning: ${message}\n`);
}

/** Left-aligned columns. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}
