/**
 * berth's error classes. Every error that reaches the CLI carries a string `code` and the exit
 * code the contract gives it; the CLI entry is the only place that turns them into an exit.
 */

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  noBlock: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class BerthError extends Error {
  override name = 'BerthError';
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT.failed;
  }
}

/** A usage mistake on the command line (unknown environment, bad flag value): exit 2. */
export class UsageError extends BerthError {
  override name = 'UsageError';
  constructor(message: string, code = 'USAGE') {
    super(code, message, { exitCode: EXIT.usage });
  }
}

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

export function formatIssue(issue: ConfigIssue): string {
  const prefix = issue.severity === 'warning' ? 'warning: ' : '';
  return `${issue.file}:${issue.line}:${issue.col}: ${prefix}${issue.message}`;
}

/** ports.yaml is invalid: every error found, each with its line and column. Exit 2. */
export class ConfigError extends BerthError {
  override name = 'ConfigError';
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatIssue).join('\n'), { exitCode: EXIT.usage });
    this.issues = issues;
  }
}
