#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { loadChunks } from './cli/chunk-loader.js';

// First, before any of berth's code loads: berth needs process groups, POSIX signals and Unix sockets.
if (process.platform === 'win32') {
  // A Windows console writes asynchronously: exit once the line is out, and run nothing else.
  process.stderr.write('berth needs a POSIX system (Linux or macOS); on Windows run it inside WSL\n', () => process.exit(2));
} else {
  // The chunks, compiled from the code caches the build wrote beside them (cli/chunk-loader.ts).
  loadChunks(fileURLToPath(new URL('bundle/chunks', import.meta.url)));
  void run();
}

// The bin is CommonJS (scripts/build-cli.mjs), so its steps run in a function, not at top level.
async function run(): Promise<void> {
  const { main } = await import('./cli/main.js');

  // berth's own output cannot be written (a reader that went away, a full disk, a dead
  // terminal): drop the rest of it, and stop a running stack as on SIGTERM — cleanly, its lease
  // released. A quick command whose reader left (`berth ports | head`) keeps its exit code.
  let outputLost: { code: string; stopped: boolean } | null = null;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      stream.write = () => true;
      if (outputLost) return;
      const stopping = process.listenerCount('SIGTERM') > 0;
      outputLost = { code: error.code ?? 'EIO', stopped: stopping };
      const other = stream === process.stdout ? process.stderr : process.stdout;
      if (error.code !== 'EPIPE' || stopping) {
        other.write(`berth: cannot write to ${stream === process.stdout ? 'stdout' : 'stderr'} (${error.code ?? error.message})${stopping ? ': stopping the stack' : ''}\n`);
      }
      if (stopping) process.emit('SIGTERM');
    });
  }

  // An exception nothing caught is a bug: one line (details in a log under BERTH_HOME), and a
  // running stack is stopped as on SIGTERM, so its services end and its lease is released.
  const { internalErrorLine } = await import('./cli/internal-error.js');
  let crashed = false;
  const onCrash = (error: unknown) => {
    process.exitCode = 1;
    if (crashed) return;
    crashed = true;
    process.stderr.write(`${internalErrorLine(error, process.env)}\n`);
    if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM');
    else process.exit(1);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const code = await main(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  const lost = outputLost as { code: string; stopped: boolean } | null;
  process.exitCode = crashed ? 1 : lost && code === 0 && (lost.code !== 'EPIPE' || lost.stopped) ? 1 : code;
}
