import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../errors.js';
import type { Lease } from '../../store/lease.js';
import { formatPorts, leaseLabel } from '../../store/lease.js';
import type { ServiceSnapshot } from '../../supervisor/service-state.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { loadEnvironment, openStore } from '../context.js';
import { printJson, printLine, table, type CliIo } from '../io.js';

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
export async function upDetached(io: CliIo, argv: readonly string[], options: { file?: string; json?: boolean }, envName: string | undefined): Promise<number> {
  loadEnvironment(io, options.file, envName); // bad config: exit 2 here, nothing started
  const store = openStore(io);
  const logs = path.join(store.home, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const log = path.join(logs, `up-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  const fd = openSync(log, 'a', 0o600);
  const cli = fileURLToPath(new URL('../../cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, ...argv.filter((arg) => arg !== '-d' && arg !== '--detach' && arg !== '--json'), '--no-tui'], {
    cwd: io.cwd,
    env: { ...io.env, [CHILD_FLAG]: log, NO_COLOR: io.env.NO_COLOR ?? '1' },
    detached: true,
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);

  const outcome = await new Promise<{ report: DetachedReport } | { code: number | null }>((resolve) => {
    child.once('message', (report) => resolve({ report: report as DetachedReport }));
    child.once('exit', (code) => resolve({ code }));
  });
  child.disconnect?.();
  child.unref();

  if ('code' in outcome) {
    // It ended before it could report: its own error (bad block, port taken…) is in the log.
    io.stderr.write(readFileSync(log, 'utf8').replace(/^berth +│ /gm, ''));
    return outcome.code ?? EXIT.failed;
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

/**
 * In the detached child: report to the parent once every service is ready or ended, or one
 * failed (or stayed unready for twice the longest ready_timeout), then cut the IPC channel.
 */
export function reportWhenSettled(supervisor: Supervisor, readyTimeoutMs: number): void {
  const log = process.env[CHILD_FLAG];
  if (!log || !process.send) return;
  delete process.env[CHILD_FLAG];
  let sent = false;
  const send = (failedName?: string) => {
    if (sent) return;
    sent = true;
    clearTimeout(cap);
    off();
    const services = supervisor.services();
    const failed = services.find((service) => service.name === failedName) ?? services.find((service) => service.state === 'failed' || service.state === 'skipped');
    const report: DetachedReport = {
      ok: failed === undefined && failedName === undefined,
      lease: supervisor.lease,
      log,
      services,
      ...(failed ? { failed: { name: failed.name, reason: failed.reason, lines: supervisor.runner(failed.name)?.log.tail(20) ?? [] } } : {}),
    };
    process.send?.(report, () => process.disconnect?.());
  };
  const check = () => {
    const services = supervisor.services();
    const failed = services.find((service) => service.state === 'failed' || service.state === 'skipped');
    if (failed) return send(failed.name);
    if (services.every((service) => service.ready || service.state === 'exited')) send();
  };
  const off = supervisor.on((event) => {
    if (event.type === 'state') check();
  });
  const cap = setTimeout(() => {
    const late = supervisor.services().find((service) => !service.ready && service.state !== 'exited');
    send(late?.name);
  }, readyTimeoutMs * 2);
  cap.unref();
}
