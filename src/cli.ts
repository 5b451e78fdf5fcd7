#!/usr/bin/env node
// First, before anything else loads: berth needs process groups, POSIX signals and Unix sockets.
if (process.platform === 'win32') {
  // A Windows console writes asynchronously: exit once the line is out, and run nothing below.
  process.stderr.write('berth needs a POSIX system (Linux or macOS); on Windows run it inside WSL\n', () => process.exit(2));
  await new Promise(() => {});
}
const { main } = await import('./cli/main.js');

// A reader that went away (`berth ports | head`) is not an error: drop the rest of the output.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stream.write = () => true;
  });
}

const code = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = code;
