import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BerthError, ConfigError, EXIT } from '../errors.js';
import { CONFIG_NAME, findConfig } from './find-config.js';
import type { BerthConfig } from './types.js';
import { validateConfig, type ValidationResult } from './validate-config.js';
import { parseYamlSource } from './yaml-source.js';

export interface LoadOptions {
  /** An explicit ports.yaml (`-f FILE`); otherwise it is searched from `cwd` upwards. */
  file?: string | undefined;
  cwd?: string;
  /** Variables for `${VAR}`; default process.env. */
  vars?: Readonly<Record<string, string | undefined>>;
  /**
   * The kernel's ephemeral port range, to warn about ranges inside it; none when left out. The
   * CLI passes this machine's (platform/ephemeral.ts `readEphemeralRange()`): config/ reads no OS facts.
   */
  ephemeral?: { first: number; last: number } | null;
}

/** Finds, reads and checks ports.yaml; every problem is in the result. */
export function checkConfigFile(options: LoadOptions = {}): ValidationResult & { file: string } {
  const cwd = options.cwd ?? process.cwd();
  const file = resolveConfigPath(options.file, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BerthError('CONFIG_UNREADABLE', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {
      exitCode: EXIT.usage,
      cause: error,
    });
  }
  const source = parseYamlSource(text, configDisplayName(file, cwd));
  const result = validateConfig(source, {
    root: path.dirname(file),
    vars: options.vars ?? process.env,
    ephemeral: options.ephemeral ?? null,
    readFile: (name) => readFileSync(name, 'utf8'),
  });
  if (result.config) result.config.file = file;
  return { ...result, file };
}

/** Loads ports.yaml or throws a ConfigError listing every error (`ports.yaml:LINE:COL: message`). */
export function loadConfig(options: LoadOptions = {}): BerthConfig {
  const result = checkConfigFile(options);
  if (!result.config) throw new ConfigError(result.issues.filter((issue) => issue.severity === 'error'));
  return result.config;
}

/** How ports.yaml is named in messages: relative to the cwd when inside it, else absolute. */
export function configDisplayName(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function resolveConfigPath(file: string | undefined, cwd: string): string {
  if (file !== undefined) return path.resolve(cwd, file);
  const found = findConfig(cwd);
  if (!found) {
    throw new BerthError('CONFIG_NOT_FOUND', `no ${CONFIG_NAME} (or ports.yml) in ${cwd} or any parent folder (use -f FILE or BERTH_FILE)`, { exitCode: EXIT.usage });
  }
  return found;
}
