import type { ConfigIssue } from '../errors.js';
import type { PortRange } from './port-range.js';

/** A validated ports.yaml with every default applied. Templates (`${...}`) are kept as written. */
export interface BerthConfig {
  /** Absolute path of ports.yaml. */
  file: string;
  /** The folder that holds ports.yaml: `cwd` and `env_file` are relative to it. */
  root: string;
  project: string;
  ranges: ReadonlyMap<string, PortRange>;
  environments: ReadonlyMap<string, EnvironmentConfig>;
  warnings: ConfigIssue[];
}

export interface EnvironmentConfig {
  name: string;
  /** Fallback order for the environment's block. */
  ranges: PortRange[];
  /** In declaration order, which is the order of ports inside the block. */
  services: ServiceConfig[];
}

export type ReadyCheck =
  | { kind: 'port' }
  | { kind: 'none' }
  | { kind: 'http'; path: string }
  | { kind: 'log'; text: string }
  /** A command for /bin/sh -c (a template, interpolated at launch); exit 0 = ready. */
  | { kind: 'exec'; command: string };

export type RestartPolicy = 'never' | 'on-failure' | 'always';

export interface ServiceConfig {
  name: string;
  /** argv templates; with `shell: true`, a single script for /bin/sh -c. */
  cmd: string[];
  shell: boolean;
  /** Absolute working directory. */
  cwd: string;
  /** `user:` as written (a name or a numeric uid), or null: berth's own user. */
  user: string | null;
  /** `group:` as written (a name or a numeric gid), or null: the user's own group. */
  group: string | null;
  portCount: number;
  /** Names from `ports: [http, ws]`, else null. */
  portNames: string[] | null;
  /** Value templates. */
  env: Record<string, string>;
  /** `env_file:` read into the environment, in order (later files win); absolute paths. */
  envFiles: string[];
  /** `write_env:` path template (relative to cwd), or null: a dotenv file berth writes before start. */
  writeEnv: string | null;
  /** `templates:` rendered before start: `from` absolute, `to` a path template relative to cwd. */
  templates: TemplateFile[];
  ready: ReadyCheck;
  readyTimeoutMs: number;
  dependsOn: string[];
  restart: RestartPolicy;
  /** Restarts in a row before the service is failed; null = no limit. */
  maxRestarts: number | null;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  watch: string[];
  watchIgnore: string[];
  watchDebounceMs: number;
  /** The service's own ranges (a block of its own), or null to share the environment's block. */
  ranges: PortRange[] | null;
}

export interface TemplateFile {
  /** Absolute path of the template. */
  from: string;
  /** Path template of the output, relative to the service's cwd. */
  to: string;
}

export const DEFAULTS = {
  readyTimeoutMs: 30_000,
  stopSignal: 'SIGTERM' as NodeJS.Signals,
  stopTimeoutMs: 5_000,
  watchIgnore: ['**/node_modules/**', '**/.git/**'],
  watchDebounceMs: 200,
};
