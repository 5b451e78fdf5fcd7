import { loadConfig } from '../../src/config/load-config.js';
import { selectEnvironment } from '../../src/config/select-environment.js';
import { FileLeaseStore } from '../../src/store/file-store.js';
import { projectWith, tempDir } from './temp.js';

/** A project with this ports.yaml, its config and environment, and a store in a fresh BERTH_HOME. */
export function setup(yaml: string, envName?: string) {
  const root = projectWith(yaml);
  const config = loadConfig({ cwd: root, vars: {}, ephemeral: null });
  const env = selectEnvironment(config, envName);
  const home = tempDir('berth-home-');
  const warnings: string[] = [];
  const store = new FileLeaseStore({ home, warn: (message) => warnings.push(message) });
  return { root, config, env, home, store, warnings };
}
