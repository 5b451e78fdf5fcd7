import { LocalControl } from '../control/local-control.js';
import type { RangeUse } from '../ports/lease-report.js';
import { leaseLabel } from '../store/lease.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { Dashboard } from '../tui/dashboard.js';
import { TopModel } from '../tui/top-model.js';
import type { UpView } from './up-view.js';

/**
 * The dashboard on this instance alone. Output goes to the services' recent-output buffers
 * (and the log pane), not to the screen; q stops the stack with its progress in the status
 * line, a second q (or Ctrl-C) kills it. The terminal is restored when berth ends.
 */
export function dashboardView(supervisor: Supervisor, interrupt: (why: string) => void, color: boolean, ranges: () => Promise<RangeUse[]>): UpView {
  const control = new LocalControl(supervisor);
  let dashboard: Dashboard | undefined;
  const model = new TopModel(async () => [{ lease: supervisor.lease, control, ranges: await ranges().catch(() => undefined) }], () => dashboard?.render());
  dashboard = new Dashboard({
    model,
    mode: 'up',
    color,
    title: `berth ${leaseLabel(supervisor.lease)}`,
    onQuit: () => interrupt('q'),
  });
  void model.refresh();
  // The header's range use follows other instances coming and going.
  const refresh = setInterval(() => void model.refresh(), 5000);
  refresh.unref();
  const shown = dashboard;
  return {
    lines: () => true,
    note: (message) => shown.message(message),
    close: () => {
      clearInterval(refresh);
      model.close();
      shown.destroy();
    },
  };
}
