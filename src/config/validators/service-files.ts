import path from 'node:path';
import type { ConfigIssue } from '../../errors.js';
import { hasBerthHeader, parseEnvFile } from '../env-file.js';
import { templateProblems } from '../interpolate.js';
import type { EnvironmentConfig, ServiceConfig } from '../types.js';
import type { Path } from '../yaml-source.js';
import { placeholderContext } from './references.js';
import { isRecord, type Raw, type Report } from './report.js';

/** How the files a ports.yaml names are read while it is checked (config/ itself touches no disk). */
export interface ConfigFiles {
  /** The file's text; throws as `fs.readFileSync` does (ENOENT, EISDIR, EACCES…). */
  read(file: string): string;
  /** How a file is named in messages. */
  display(file: string): string;
}

/**
 * The files each service reads: every `env_file` exists, is not a file an older berth wrote
 * (env_file used to be written; now it is read, as in docker compose) and parses; every
 * template's `from` exists and its `${...}` resolve (placeholder ports). Errors inside a file
 * are reported at their line and column in that file.
 */
export function checkServiceFiles(
  env: EnvironmentConfig,
  at: Path,
  context: { project: string; vars: Readonly<Record<string, string | undefined>>; rawServices: Raw; files: ConfigFiles },
  report: Report,
  reportIn: (issue: ConfigIssue) => void,
): void {
  for (const service of env.services) {
    const where: Path = [...at, 'services', service.name];
    const raw = context.rawServices[service.name];
    const envFileList = isRecord(raw) && Array.isArray(raw.env_file);
    service.envFiles.forEach((file, index) => {
      checkEnvFile(service, file, envFileList ? [...where, 'env_file', index] : [...where, 'env_file'], context, report, reportIn);
    });
    service.templates.forEach((template, index) => {
      const text = readOrReport(template.from, [...where, 'templates', index, 'from'], 'template', context.files, report);
      if (text === null) return;
      const ctx = placeholderContext(env, service.name, context.project, context.vars);
      for (const problem of templateProblems(text, ctx)) {
        reportIn({ file: context.files.display(template.from), ...lineCol(text, problem.at), message: problem.message, severity: 'error' });
      }
    });
  }
}

function checkEnvFile(
  service: ServiceConfig,
  file: string,
  where: Path,
  context: { vars: Readonly<Record<string, string | undefined>>; files: ConfigFiles },
  report: Report,
  reportIn: (issue: ConfigIssue) => void,
): void {
  const name = JSON.stringify(context.files.display(file));
  const suggestion = `env_file is now READ (as in docker compose); to have berth write the ports into a file, use write_env: ${writeEnvSuggestion(service, file)}`;
  let text: string;
  try {
    text = context.files.read(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') report(where, `env_file ${name} does not exist — ${suggestion}`);
    else report(where, `env_file ${name} cannot be read: ${code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`);
    return;
  }
  if (hasBerthHeader(text)) {
    report(where, `env_file ${name} was written by berth (its first line says so) — ${suggestion}`);
    return;
  }
  for (const problem of parseEnvFile(text, (key) => context.vars[key]).problems) {
    reportIn({ file: context.files.display(file), line: problem.line, col: problem.col, message: problem.message, severity: 'error' });
  }
}

/** write_env is relative to the service's cwd, env_file to ports.yaml's folder. */
function writeEnvSuggestion(service: ServiceConfig, file: string): string {
  const relative = path.relative(service.cwd, file);
  return relative.startsWith('..') ? file : relative;
}

function readOrReport(file: string, where: Path, what: string, files: ConfigFiles, report: Report): string | null {
  try {
    return files.read(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const name = JSON.stringify(files.display(file));
    report(where, code === 'ENOENT' || code === 'ENOTDIR' ? `${what} ${name} does not exist` : `${what} ${name} cannot be read: ${code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`);
    return null;
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}
