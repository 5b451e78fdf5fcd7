import path from 'node:path';
import * as v from 'valibot';
import type { ConfigIssue } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { formatRange, rangesOverlap, type PortRange } from './port-range.js';
import { KNOWN_KEYS, NAME_PATTERN, PortsFileSchema } from './schema.js';
import type { BerthConfig, EnvironmentConfig } from './types.js';
import { checkCapacity } from './validators/capacity.js';
import { checkDependencies } from './validators/dependencies.js';
import { normalizeNamedRanges, resolveRangeRefs } from './validators/ranges.js';
import { checkReferences } from './validators/references.js';
import { entriesOf, isRecord, type Raw, type Report } from './validators/report.js';
import { normalizeService } from './validators/service.js';
import { checkServiceFiles, type ConfigFiles } from './validators/service-files.js';
import type { Path, YamlSource } from './yaml-source.js';

export interface ValidateOptions {
  /** The folder that holds ports.yaml. */
  root: string;
  /** Variables for `${VAR}` (the supervisor's environment). */
  vars: Readonly<Record<string, string | undefined>>;
  /** The kernel's ephemeral port range, to warn about ranges inside it. */
  ephemeral?: { first: number; last: number } | null;
  /** Reads the files services name (env_file, templates) to check them; left out: not checked. */
  readFile?: (file: string) => string;
}

export interface ValidationResult {
  /** Null when there is any error. */
  config: BerthConfig | null;
  /** Errors and warnings, in file order. */
  issues: ConfigIssue[];
}

/**
 * parse → schema → normalize with defaults → whole-file checks. Every problem is collected, so
 * one run reports all of them; nothing is returned when any is an error.
 */
export function validateConfig(source: YamlSource, options: ValidateOptions): ValidationResult {
  const issues: ConfigIssue[] = [...source.syntaxIssues];
  const report: Report = (at, message, opts) => issues.push(source.issue(at, message, opts));
  if (issues.some((issue) => issue.severity === 'error')) return finish(null, issues, source.displayName);

  if (!isRecord(source.data)) {
    report([], 'ports.yaml must be a mapping with `version: 1` and `environments:`');
    return finish(null, issues, source.displayName);
  }
  // `x-` keys at the top hold YAML anchors to reuse, as in docker compose files.
  const data: Raw = Object.fromEntries(Object.entries(source.data).filter(([key]) => !key.startsWith('x-')));

  const parsed = v.safeParse(PortsFileSchema, data, { abortEarly: false });
  for (const issue of parsed.issues ?? []) {
    for (const translated of translateIssue(issue)) report(translated.path, translated.message, { key: translated.key });
  }

  const files: ConfigFiles | null = options.readFile
    ? { read: options.readFile, display: (file) => path.join(path.dirname(source.displayName), path.relative(options.root, file)) }
    : null;
  const config = normalizeConfig(data, options, report, files, (issue) => issues.push(issue));
  return finish(config, issues, source.displayName);
}

function finish(config: BerthConfig | null, all: ConfigIssue[], mainFile: string): ValidationResult {
  const seen = new Set<string>();
  const issues = all
    .filter((issue) => {
      const id = `${issue.line}:${issue.col}:${issue.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    // ports.yaml's own issues first, then those inside the files it names (env_file, templates).
    .sort((a, b) => Number(a.file !== mainFile) - Number(b.file !== mainFile) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  const errors = issues.some((issue) => issue.severity === 'error');
  if (config) config.warnings = issues.filter((issue) => issue.severity === 'warning');
  return { config: errors ? null : config, issues };
}

function normalizeConfig(data: Raw, options: ValidateOptions, report: Report, files: ConfigFiles | null, reportIn: (issue: ConfigIssue) => void): BerthConfig {
  const folderName = path.basename(options.root).replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[-_]+/, '') || 'berth';
  const project = typeof data.project === 'string' && NAME_PATTERN.test(data.project) ? data.project : folderName;
  const namedRanges = normalizeNamedRanges(data.ranges, report);
  const named = namedRanges.ranges;
  const environments = new Map<string, EnvironmentConfig>();

  const root = path.resolve(options.root); // once: the cwd of every service that names none
  for (const [envName, rawEnv] of entriesOf(data.environments)) {
    if (!isRecord(rawEnv)) continue;
    const at: Path = ['environments', envName];
    const services = entriesOf(rawEnv.services)
      .filter((entry): entry is [string, Raw] => isRecord(entry[1]))
      .map(([name, raw]) => normalizeService(name, raw, [...at, 'services', name], { root, namedRanges }, report));
    const env: EnvironmentConfig = { name: envName, ranges: [], services };

    const sharedNeed = services.some((service) => service.ranges === null && service.portCount > 0);
    if (rawEnv.ranges !== undefined) {
      env.ranges = resolveRangeRefs(rawEnv.ranges, [...at, 'ranges'], namedRanges, report);
    } else if (named.has(envName)) {
      env.ranges = [named.get(envName) as PortRange];
    } else if (sharedNeed && !namedRanges.invalid.has(envName)) {
      const known = [...named.keys()];
      report(at, `environment ${envName} has no ranges: add \`ranges: [NAME]\`${known.length ? ` (named ranges: ${known.join(', ')})` : ' and name one under `ranges:`, e.g. dev: 5001-5099'}`, { key: true });
    }

    checkServiceNames(env, at, report);
    checkDependencies(env, at, report);
    const rawServices = isRecord(rawEnv.services) ? rawEnv.services : {};
    const cmdIsList = (name: string) => isRecord(rawServices[name]) && Array.isArray((rawServices[name] as Raw).cmd);
    checkReferences(env, at, { project, vars: options.vars, cmdIsList }, report);
    if (files) checkServiceFiles(env, at, { project, vars: options.vars, rawServices, files }, report, reportIn);
    checkCapacity(env, at, report);
    environments.set(envName, env);
  }

  if (options.ephemeral) warnEphemeral(named, environments, options.ephemeral, report);
  return { file: '', root: options.root, project, ranges: named, environments, warnings: [] };
}

/** Service names become `<SERVICE>_PORT` variables and `${name.port}` references: no clashes. */
function checkServiceNames(env: EnvironmentConfig, at: Path, report: Report): void {
  const byVariable = new Map<string, string>();
  for (const service of env.services) {
    const where = [...at, 'services', service.name];
    if (service.name === 'self') report(where, 'a service cannot be named "self": ${self.port} refers to the service itself', { key: true });
    const variable = portVariable(service.name);
    const other = byVariable.get(variable);
    if (other !== undefined) report(where, `services ${other} and ${service.name} would both set ${variable}: rename one`, { key: true });
    byVariable.set(variable, service.name);
  }
}

/** A name as it appears in an environment variable: upper case, non-alphanumerics become `_`. */
export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** `<SERVICE>_PORT`. */
export function portVariable(service: string): string {
  return `${envName(service)}_PORT`;
}

function warnEphemeral(
  named: ReadonlyMap<string, PortRange>,
  environments: ReadonlyMap<string, EnvironmentConfig>,
  ephemeral: { first: number; last: number },
  report: Report,
): void {
  const message = (range: PortRange) =>
    `range ${formatRange(range)} overlaps the kernel's ephemeral ports (${ephemeral.first}-${ephemeral.last}): an outgoing connection may take one of its ports between check and start`;
  for (const range of named.values()) {
    if (rangesOverlap(range, ephemeral)) report(['ranges', range.name], message(range), { severity: 'warning' });
  }
  for (const env of environments.values()) {
    env.ranges.forEach((range, index) => {
      if (!named.has(range.name) && rangesOverlap(range, ephemeral)) {
        report(['environments', env.name, 'ranges', index], message(range), { severity: 'warning' });
      }
    });
  }
}

type AnyIssue = v.BaseIssue<unknown>;

function translateIssue(issue: AnyIssue): { path: Path; message: string; key: boolean }[] {
  // A union whose input matched one option's type: that option's deeper issues say more.
  if (issue.type === 'union' && issue.issues) {
    // Inner paths are relative to the union.
    const deeper = issue.issues
      .filter((inner) => (inner.path?.length ?? 0) > 0)
      .map((inner) => ({ ...inner, path: [...(issue.path ?? []), ...(inner.path ?? [])] }) as AnyIssue);
    if (deeper.length > 0) return deeper.flatMap(translateIssue);
  }
  return [translateOne(issue)];
}

function translateOne(issue: AnyIssue): { path: Path; message: string; key: boolean } {
  const pathItems = issue.path ?? [];
  const at: Path = pathItems.map((item) => item.key as string | number);
  const last = pathItems[pathItems.length - 1];
  const name = String(at[at.length - 1] ?? '');

  if (issue.type === 'strict_object' && issue.expected === 'never') {
    const parent = at.slice(0, -1);
    const known = knownKeysAt(parent);
    return { path: at, message: `unknown key "${name}" in ${describePlace(parent)}${didYouMean(name, known)}`, key: true };
  }
  if (issue.input === undefined) {
    const message = at.length === 1 && name === 'version' ? 'version is required: add `version: 1`' : `${describePlace(at.slice(0, -1))} needs \`${name}\``;
    // Point at the key of the mapping that lacks it (`dev:`), or at the top of the file.
    return { path: at.slice(0, -1), message, key: true };
  }
  const isKey = (last as { origin?: string } | undefined)?.origin === 'key';
  return { path: at, message: issue.message, key: isKey };
}

function knownKeysAt(at: Path): string[] {
  if (at.length === 0) return KNOWN_KEYS.file;
  if (at[0] === 'environments' && at.length === 2) return KNOWN_KEYS.environment;
  if (at[0] === 'environments' && at[2] === 'services' && at.length === 4) return KNOWN_KEYS.service;
  if (at[at.length - 1] === 'ready') return KNOWN_KEYS.ready;
  if (at[at.length - 2] === 'templates') return KNOWN_KEYS.template;
  return [];
}

function describePlace(at: Path): string {
  if (at.length === 0) return 'ports.yaml';
  if (at[0] === 'environments' && at.length === 2) return `environment ${String(at[1])}`;
  if (at[0] === 'environments' && at[2] === 'services' && at.length === 4) return `service ${String(at[3])}`;
  if (at[0] === 'environments' && at[2] === 'services' && at.length === 5) return `${String(at[4])} of service ${String(at[3])}`;
  return at.join('.');
}
