import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../errors.js';
import type { Lease } from '../../store/lease.js';
import { formatPorts, leaseLabel } from '../../store/lease.js';
import type { ServiceSnapshot } from '../../supervisor/service-state.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { selectServices } from '../../supervisor/select-services.js';
import { loadEnvironment, openStore, parseInstance, parsePins } from '../context.js';
import { printJson, printLine, table, type CliIo, type OutputStream } from '../io.js';
import { onceSettled } from '../stack-settled.js';

/** What a detached `berth up` tells the command that started it, once. */
export interface DetachedReport {
  ok: boolean;
  lease: Lease;
  log: string;
  services: ServiceSnapshot[];
  /** The failed service's last lines, when one failed. */
  failed?: { name: string; reason: string | null; lines: string[] };
}

const CHILD_FLAG = 'BERTH_DETACHED_CHILD';

/**
 * `berth up -d`: the same `berth up`, in a session of its own with its output in a log file
 * under $BERTH_HOME/logs; returns once every service is ready (exit 0) or one failed (exit 1,
 * with its last lines). `ps`, `logs`, `down` then reach it through its control socket.
 */
export async function upDetached(io: CliIo, argv: readonly string[], options: DetachOptions, envName: string | undefined): Promise<number> {
  // Bad config or usage: exit 2 here, nothing started. What this prints, the child's log repeats.
  const shown = new Set<string>();
  const stderr: OutputStream = {
    write: (text) => {
      for (const line of text.toString().split('\n')) if (line) shown.add(line);
      return io.stderr.write(text);
    },
  };
  const { env } = loadEnvironment({ ...io, stderr }, options.file, envName);
  parseInstance(options.instance);
  parsePins(options.port);
  const only = options.only?.split(',').map((name) => name.trim()).filter(Boolean);
  if (only) selectServices(env, only);
  const store = openStore(io);
  const logs = path.join(store.home, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const log = path.join(logs, `up-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  const fd = openSync(log, 'a', 0o600);
  const cli = fileURLToPath(new URL('../../cli.js', import.meta.url));
  let child: ChildProcess;
  try {
    // --no-color keeps colour codes out of the log file; the services get berth's own environment
    // as it is (neither NO_COLOR nor FORCE_COLOR added).
    child = spawn(process.execPath, [cli, ...argv.filter((arg) => arg !== '-d' && arg !== '--detach' && arg !== '--json'), '--no-tui', '--no-color'], {
      cwd: io.cwd,
      env: { ...io.env, [CHILD_FLAG]: log },
      detached: true,
      stdio: ['ignore', fd, fd, 'ipc'],
    });
  } finally {
    closeSync(fd);
  }
  const outcome = await childOutcome(child);
  if (child.connected) child.disconnect();
  child.unref();

  if (!('report' in outcome)) {
    // It ended before it could report: its own lines (the error, as `berth up` prints it)
    // are in the log, among the services' output.
    const own = childLines(readLog(log), env.services.map((service) => service.name)).filter((line) => !shown.has(line));
    for (const line of own) io.stderr.write(`${line}\n`);
    if ('error' in outcome) {
      io.stderr.write(`berth: the detached berth could not be started or reached: ${outcome.error.message}\n`);
      return EXIT.failed;
    }
    if (outcome.code === null || own.length === 0) {
      const how = outcome.code === null ? `was killed by ${outcome.signal ?? 'a signal'}` : `exited with code ${outcome.code}`;
      io.stderr.write(`berth: the detached berth ${how} before every service was ready; its output is in ${log}\n`);
    }
    return outcome.code === null || outcome.code === EXIT.ok ? EXIT.failed : outcome.code;
  }
  const { report } = outcome;
  if (options.json) printJson(io, report);
  else {
    printLine(io.stdout, `${leaseLabel(report.lease)} ${report.ok ? 'is up' : 'started, but a service failed'} (berth pid ${child.pid}; output in ${report.log})`);
    const rows = report.services.map((service) => [
      service.name,
      formatPorts(service.ports),
      service.state,
    ]);
    for (const line of table(rows)) printLine(io.stdout, line);
  }
  if (report.failed) {
    io.stderr.write(`berth: ${report.failed.name} failed: ${report.failed.reason ?? 'unknown reason'}; its last lines:\n`);
    for (const line of report.failed.lines) io.stderr.write(`  ${line}\n`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

export interface DetachOptions {
  file?: string;
  json?: boolean;
  instance?: string;
  only?: string;
  port?: string[];
}

type ChildOutcome = { report: DetachedReport } | { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

/**
 * The child's report, or how it ended without one. 'close' (not 'exit') comes after every
 * message the child sent has been delivered; an error of the child or of its IPC channel
 * (spawn failed, channel gone) is an outcome too, never thrown.
 */
function childOutcome(child: ChildProcess): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    let errored: Error | undefined;
    child.once('message', (report) => resolve({ report: report as DetachedReport }));
    child.on('error', (error) => {
      errored ??= error;
      if (child.pid === undefined) resolve({ error });
    });
    child.channel?.on?.('error', (error: Error) => (errored ??= error));
    child.once('close', (code, signal) => resolve(errored && code === null && signal === null ? { error: errored } : { code, signal }));
  });
}

function readLog(log: string): string {
  try {
    return readFileSync(log, 'utf8');
  } catch {
    return '';
  }
}

/**
 * berth's own lines from a detached child's log: its errors as `berth up` prints them on
 * stderr, and its notes without the `berth │ ` prefix; the services' output is left out.
 */
export function childLines(text: string, services: readonly string[]): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\u001b\[[0-9;]*m/g, '');
    const prefixed = /^(\S+) +│ (.*)$/.exec(line);
    if (prefixed?.[1] === 'berth') lines.push(prefixed[2] as string);
    else if (prefixed && services.includes(prefixed[1] as string)) continue;
    else if (line) lines.push(line);
  }
  return lines;
}

/**
 * In the detached child: report to the parent once every service is ready or ended, or one
 * failed (or stayed unready for twice the longest ready_timeout), then cut the IPC channel.
 */
export function reportWhenSettled(supervisor: Supervisor, readyTimeoutMs: number): void {
  const log = process.env[CHILD_FLAG];
  if (!log || !process.send) return;
  delete process.env[CHILD_FLAG];
  onceSettled(supervisor, readyTimeoutMs * 2, (settled) => {
    const report: DetachedReport = { ok: settled.ok, lease: supervisor.lease, log, services: supervisor.services(), ...(settled.failed ? { failed: settled.failed } : {}) };
    // The parent may be gone (Ctrl-C while it waited): no IPC error may end this berth.
    if (!process.connected) return;
    process.send?.(report, () => {
      if (process.connected) process.disconnect?.();
    });
  });
}
