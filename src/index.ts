/**
 * berth as a library: the same engine the CLI uses.
 *
 *   const config = loadConfig({ cwd });
 *   const store = new FileLeaseStore({ home: berthHome() });
 *   const { lease, holds } = await allocate({ store, config, env: selectEnvironment(config, 'dev') });
 *   ...
 *   await release(store, lease);
 */
export { loadConfig, checkConfigFile, type LoadOptions } from './config/load-config.js';
export { readEphemeralRange, type EphemeralRange } from './platform/ephemeral.js';
export { findConfig, CONFIG_NAME } from './config/find-config.js';
export { selectEnvironment } from './config/select-environment.js';
export { validateConfig, portVariable, type ValidateOptions, type ValidationResult } from './config/validate-config.js';
export { parseYamlSource, type YamlSource } from './config/yaml-source.js';
export { interpolate, parseTemplate, TemplateError, type InterpolationContext, type ServicePorts } from './config/interpolate.js';
export { splitCommand } from './config/split-command.js';
export { parseDuration } from './config/duration.js';
export type { PortRange } from './config/port-range.js';
export type { BerthConfig, EnvironmentConfig, ServiceConfig, ReadyCheck, RestartPolicy } from './config/types.js';

export { allocate, release, NoBlockError, type AllocateOptions, type Allocation } from './ports/allocate.js';
export { probePort, probePorts, PROBE_ADDRESSES, type ProbeOutcome } from './ports/bind-probe.js';
export { PortHolds } from './ports/port-holds.js';
export { findBlock, type BlockSearch, type FoundBlock } from './ports/find-block.js';
export { findConflicts, rangeUse, type Conflict, type RangeUse } from './ports/lease-report.js';

export { FileLeaseStore, type FileStoreOptions } from './store/file-store.js';
export type { LeaseStore, ClaimView, CommitResult } from './store/lease-store.js';
export { RedisLeaseStore, type RedisStoreOptions } from './store/redis-store.js';
export { openLeaseStore, type OpenedStore, type OpenStoreOptions } from './store/open-store.js';
export { leaseLabel, leasePorts, type Lease, type LeaseBlock, type LeaseOwner, type LeaseView } from './store/lease.js';
export { berthHome } from './store/berth-home.js';
export { aliveIdentities, currentIdentity, currentOwner, identityOf, isOwnerAlive, isProcessAlive, readProcess, type OwnerIdentity, type ProcessInfo } from './platform/identity.js';
export { machineId } from './platform/machine-id.js';

export { BerthError, ConfigError, UsageError, EXIT, formatIssue, type ConfigIssue, type ExitCode } from './errors.js';

export { Supervisor, type SupervisorOptions, type SupervisorEvent, type SupervisorListener } from './supervisor/supervisor.js';
export { selectServices } from './supervisor/select-services.js';
export type { ServiceSnapshot, ServiceState } from './supervisor/service-state.js';
export type { Clock } from './supervisor/clock.js';
export type { SpawnService, SpawnedService } from './supervisor/spawn-process.js';

export type { InstanceControl } from './control/instance-control.js';
export { LocalControl } from './control/local-control.js';
export { ControlClient } from './control/control-client.js';
export { ControlServer } from './control/control-server.js';
export type { InstanceSnapshot, InstanceEvent } from './control/protocol.js';
