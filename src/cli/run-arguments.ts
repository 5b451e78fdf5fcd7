import { UsageError } from '../errors.js';

const SYNOPSIS = 'berth run [ENV] [options] -- CMD [ARG...]';

/**
 * `berth run [ENV] -- CMD [ARG...]`: everything after the first `--` of the command line is
 * CMD, verbatim (its options are not berth's, a later `--` is CMD's own); ENV is the one
 * operand before it. `operands` are commander's (the ones before `--`, then everything after
 * it); `argv` is the command line as given to berth.
 */
export function splitRunArguments(operands: readonly string[], argv: readonly string[]): { envName: string | undefined; cmd: string[] } {
  const dashes = argv.indexOf('--');
  const cmd = dashes === -1 ? [] : argv.slice(dashes + 1);
  if (cmd.length === 0) {
    const hint = dashes === -1 && operands.length > 0 ? ` (put -- before the command: berth run -- ${operands.join(' ')})` : '';
    throw new UsageError(`berth run needs a command after --: ${SYNOPSIS}${hint}`, 'RUN_NO_COMMAND');
  }
  const before = operands.slice(0, Math.max(0, operands.length - cmd.length));
  const tail = operands.slice(before.length);
  if (tail.length !== cmd.length || tail.some((word, at) => word !== cmd[at])) {
    throw new UsageError(`berth run could not tell its own options from the command's: ${SYNOPSIS}`, 'RUN_ARGUMENTS');
  }
  if (before.length > 1) throw new UsageError(`berth run takes one ENV before --, not "${before.join(' ')}": ${SYNOPSIS}`, 'RUN_ARGUMENTS');
  return { envName: before[0], cmd };
}
