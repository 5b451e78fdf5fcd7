import { watch } from 'chokidar';
import { checkConfigFile } from '../config/load-config.js';
import { ConfigError, formatIssue } from '../errors.js';
import { readEphemeralRange } from '../platform/ephemeral.js';
import { checkServiceUsers } from '../supervisor/check-users.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { CliIo } from './io.js';

/**
 * `berth up` follows its ports.yaml: after an edit (200 ms of quiet) the file is checked again;
 * errors are reported and the stack keeps running as it was; a valid file is applied as a diff
 * (Supervisor.reconfigure). Returns the function that stops following.
 */
export function followConfigFile(io: CliIo, file: string, envName: string, supervisor: Supervisor, note: (message: string) => void): () => Promise<void> {
  const watcher = watch(file, { ignoreInitial: true });
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const reload = async () => {
    let result: ReturnType<typeof checkConfigFile>;
    try {
      result = checkConfigFile({ file, cwd: io.cwd, vars: io.env, ephemeral: readEphemeralRange() });
    } catch (error) {
      note(`ports.yaml not reloaded: ${(error as Error).message}`);
      return;
    }
    if (!result.config) {
      for (const issue of result.issues.filter((each) => each.severity === 'error')) note(formatIssue(issue));
      note('ports.yaml has errors: nothing changed, the stack keeps running as it was');
      return;
    }
    const env = result.config.environments.get(envName);
    if (!env) {
      note(`ports.yaml no longer has environment ${envName}: nothing changed`);
      return;
    }
    try {
      // A user: berth cannot become is a config error like any other: nothing changes.
      checkServiceUsers(result.config, env, new Set(env.services.map((service) => service.name)), { cwd: io.cwd });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const issue of error.issues) note(formatIssue(issue));
      note('ports.yaml has errors: nothing changed, the stack keeps running as it was');
      return;
    }
    try {
      const { added, changed, removed } = await supervisor.reconfigure(result.config, env);
      const parts = [added.length && `added ${added.join(', ')}`, changed.length && `changed ${changed.join(', ')}`, removed.length && `removed ${removed.join(', ')}`].filter(Boolean);
      note(`ports.yaml reloaded: ${parts.length ? parts.join('; ') : 'no service changed'}`);
    } catch (error) {
      note(`ports.yaml reloaded only in part: ${(error as Error).message}`);
    }
  };
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      running = running.then(reload);
    }, 200);
  };
  watcher.on('change', changed).on('add', changed);
  return async () => {
    if (timer) clearTimeout(timer);
    await watcher.close();
    await running;
  };
}
