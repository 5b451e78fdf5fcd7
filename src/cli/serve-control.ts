import { ControlServer } from '../control/control-server.js';
import { socketPathFor } from '../control/socket-path.js';
import type { OpenedStore } from '../store/open-store.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** The instance's control socket, recorded in its lease so `ps`, `down` and `logs` find it. */
export async function serveControl(store: OpenedStore, supervisor: Supervisor): Promise<ControlServer> {
  const control = await ControlServer.listen(socketPathFor(store.home, supervisor.lease.id), supervisor);
  supervisor.lease.socket = control.socketPath;
  await store.update(supervisor.lease.id, { socket: control.socketPath });
  return control;
}
