// One allocation in its own process, as `berth reserve` does it, timing the claim itself.
// argv: CONFIG_FILE INSTANCE [START_AT]. With START_AT (ms since epoch) the claim waits until
// then, so 50 processes that have all finished starting claim at the same moment.
// Prints one JSON line: { claimMs, ports }.
import { allocate, FileLeaseStore, berthHome, loadConfig, selectEnvironment } from '../dist/lib/index.js';

const [file, instance, startAt] = process.argv.slice(2);
const config = loadConfig({ file });
const env = selectEnvironment(config, 'dev');
const store = new FileLeaseStore({ home: berthHome() });
if (startAt) {
  while (Date.now() < Number(startAt)) await new Promise((resolve) => setTimeout(resolve, Math.max(1, Number(startAt) - Date.now())));
}
const started = performance.now();
const { lease } = await allocate({ store, config, env, instance: Number(instance), reserved: true, hold: false });
const claimMs = performance.now() - started;
process.stdout.write(`${JSON.stringify({ claimMs, ports: lease.ports })}\n`);
