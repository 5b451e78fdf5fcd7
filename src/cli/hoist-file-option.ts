/**
 * `berth -f FILE up` means `berth up -f FILE`: a file option standing before the command moves
 * behind it, as `--file` (which every command that reads ports.yaml takes; on `logs`, `-f` is
 * --follow). Anything else before the command (`--help`, `--version`) is left where it is.
 */
export function hoistFileOption(argv: readonly string[]): string[] {
  const files: string[] = [];
  let at = 0;
  for (; at < argv.length; at++) {
    const arg = argv[at] as string;
    if ((arg === '-f' || arg === '--file') && at + 1 < argv.length) files.push(argv[++at] as string);
    else if (arg.startsWith('--file=')) files.push(arg.slice('--file='.length));
    else break;
  }
  const command = argv[at];
  if (files.length === 0 || command === undefined || command.startsWith('-')) return [...argv];
  return [command, ...files.flatMap((file) => ['--file', file]), ...argv.slice(at + 1)];
}
