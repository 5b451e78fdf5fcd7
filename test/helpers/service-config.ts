import type { ServiceConfig } from '../../src/config/types.js';

/** A validated service as the config pipeline would give it: no ports, ready at once, never restarted; `overrides` on top. */
export function serviceConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name: 'svc',
    cmd: ['x'],
    shell: false,
    cwd: process.cwd(),
    user: null,
    group: null,
    portCount: 0,
    portNames: null,
    env: {},
    envFiles: [],
    writeEnv: null,
    templates: [],
    ready: { kind: 'none' },
    readyTimeoutMs: 30_000,
    dependsOn: [],
    restart: 'never',
    maxRestarts: null,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5000,
    watch: [],
    watchIgnore: [],
    watchDebounceMs: 200,
    ranges: null,
    ...overrides,
  };
}
