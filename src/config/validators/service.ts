import path from 'node:path';
import { parseDuration } from '../duration.js';
import type { PortRange } from '../port-range.js';
import { SIGNALS } from '../schema.js';
import { splitCommand } from '../split-command.js';
import { DEFAULTS, type ReadyCheck, type RestartPolicy, type ServiceConfig, type TemplateFile } from '../types.js';
import type { Path } from '../yaml-source.js';
import { isRecord, type Raw, type Report } from './report.js';
import { resolveRangeRefs } from './ranges.js';

/**
 * One service with its defaults applied. Values of the wrong type were already reported by the
 * schema; here they fall back to defaults so the rest of the file is still checked.
 */
export function normalizeService(
  name: string,
  raw: Raw,
  at: Path,
  /** `root`: absolute and normalized (the cwd of a service that names none). */
  context: { root: string; namedRanges: { ranges: ReadonlyMap<string, PortRange>; invalid: ReadonlySet<string> } },
  report: Report,
): ServiceConfig {
  const shell = raw.shell === true;
  const cmd = normalizeCommand(raw.cmd, shell, [...at, 'cmd'], report);

  let portCount = 1;
  let portNames: string[] | null = null;
  if (typeof raw.ports === 'number' && Number.isInteger(raw.ports) && raw.ports >= 0) {
    portCount = raw.ports;
  } else if (Array.isArray(raw.ports)) {
    portNames = raw.ports.filter((item): item is string => typeof item === 'string');
    portCount = portNames.length;
    portNames.forEach((portName, index) => {
      if (portNames?.indexOf(portName) !== index) report([...at, 'ports', index], `port name "${portName}" is given twice`);
    });
  }

  const ready = normalizeReady(raw.ready, portCount, [...at, 'ready'], report);

  const env: Record<string, string> = {};
  if (isRecord(raw.env)) {
    for (const [key, value] of Object.entries(raw.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) report([...at, 'env', key], `env name "${key}" is not a valid variable name`, { key: true });
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') env[key] = String(value);
    }
  }

  const cwd = typeof raw.cwd === 'string' ? path.resolve(context.root, raw.cwd) : context.root;
  const stopSignal = typeof raw.stop_signal === 'string' ? normalizeSignal(raw.stop_signal) : DEFAULTS.stopSignal;

  return {
    name,
    cmd,
    shell,
    cwd,
    user: accountOf(raw.user),
    group: accountOf(raw.group),
    portCount,
    portNames,
    env,
    envFiles: (typeof raw.env_file === 'string' ? [raw.env_file] : stringsOf(raw.env_file)).map((file) => path.resolve(context.root, file)),
    writeEnv: typeof raw.write_env === 'string' && raw.write_env !== '' ? raw.write_env : null,
    templates: templatesOf(raw.templates, cwd),
    ready,
    readyTimeoutMs: parseDuration(raw.ready_timeout) ?? DEFAULTS.readyTimeoutMs,
    dependsOn: stringsOf(raw.depends_on),
    restart: (['never', 'on-failure', 'always'] as const).includes(raw.restart as RestartPolicy) ? (raw.restart as RestartPolicy) : 'never',
    maxRestarts: typeof raw.max_restarts === 'number' && Number.isInteger(raw.max_restarts) && raw.max_restarts >= 0 ? raw.max_restarts : null,
    stopSignal,
    stopTimeoutMs: parseDuration(raw.stop_timeout) ?? DEFAULTS.stopTimeoutMs,
    watch: stringsOf(raw.watch),
    watchIgnore: raw.watch_ignore === undefined ? [...DEFAULTS.watchIgnore] : stringsOf(raw.watch_ignore),
    watchDebounceMs: parseDuration(raw.watch_debounce) ?? DEFAULTS.watchDebounceMs,
    ranges: raw.ranges === undefined ? null : resolveRangeRefs(raw.ranges, [...at, 'ranges'], context.namedRanges, report),
  };
}

function normalizeCommand(raw: unknown, shell: boolean, at: Path, report: Report): string[] {
  if (Array.isArray(raw)) {
    const argv = raw.filter((item): item is string => typeof item === 'string');
    return shell ? [argv.join(' ')] : argv;
  }
  if (typeof raw !== 'string' || raw.trim() === '') return [];
  if (shell) return [raw];
  try {
    const argv = splitCommand(raw);
    if (argv.length === 0) report(at, 'cmd is empty');
    return argv;
  } catch (error) {
    report(at, (error as Error).message);
    return [];
  }
}

function normalizeReady(raw: unknown, portCount: number, at: Path, report: Report): ReadyCheck {
  if (raw === undefined) return portCount > 0 ? { kind: 'port' } : { kind: 'none' };
  if (raw === 'none') return { kind: 'none' };
  if (raw === 'port') {
    if (portCount === 0) report(at, 'ready: port needs a port, but this service has `ports: 0`');
    return { kind: 'port' };
  }
  if (!isRecord(raw)) return { kind: 'none' };
  const keys = Object.keys(raw).filter((key) => key === 'http' || key === 'log' || key === 'exec');
  const unknownKeys = Object.keys(raw).length > keys.length; // reported by the schema
  if (keys.length !== 1 && !unknownKeys) {
    report(at, 'ready takes exactly one of { http: /path }, { log: "text" } or { exec: "command" }');
    return { kind: 'none' };
  }
  if (unknownKeys) return { kind: 'none' };
  if (typeof raw.http === 'string') {
    if (!raw.http.startsWith('/')) report([...at, 'http'], `ready.http must be a path starting with "/", like /health (got "${raw.http}")`);
    if (portCount === 0) report([...at, 'http'], 'ready.http needs a port, but this service has `ports: 0`');
    return { kind: 'http', path: raw.http };
  }
  if (typeof raw.log === 'string') {
    if (raw.log === '') report([...at, 'log'], 'ready.log is empty');
    return { kind: 'log', text: raw.log };
  }
  if (typeof raw.exec === 'string') {
    if (raw.exec.trim() === '') report([...at, 'exec'], 'ready.exec is empty: give a command that exits 0 once the service is ready');
    return { kind: 'exec', command: raw.exec };
  }
  return { kind: 'none' };
}

function normalizeSignal(name: string): NodeJS.Signals {
  const full = name.startsWith('SIG') ? name : `SIG${name}`;
  return (SIGNALS.includes(full) ? full : DEFAULTS.stopSignal) as NodeJS.Signals;
}

/** `user:` / `group:` as a string, or null; wrong values were reported by the schema. */
function accountOf(raw: unknown): string | null {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return String(raw);
  return typeof raw === 'string' && /^[^\s:]+$/.test(raw) ? raw : null;
}

function stringsOf(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((item): item is string => typeof item === 'string') : [];
}

/** `templates:` entries with both paths; wrong ones were reported by the schema. */
function templatesOf(raw: unknown, cwd: string): TemplateFile[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((item): item is { from: string; to: string } => isRecord(item) && typeof item.from === 'string' && item.from !== '' && typeof item.to === 'string' && item.to !== '')
    .map((item) => ({ from: path.resolve(cwd, item.from), to: item.to }));
}
