import type { ServiceState } from '../supervisor/service-state.js';

/** Text for the dashboard, kept apart from blessed so it is tested as plain strings. */

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)}K`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)}M`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(1)}G`;
}

const STATE_COLORS: Record<ServiceState, string> = {
  pending: 'gray',
  starting: 'yellow',
  ready: 'green',
  backoff: 'magenta',
  stopping: 'yellow',
  stopped: 'gray',
  exited: 'blue',
  failed: 'red',
  skipped: 'gray',
};

export function stateColor(state: ServiceState): string {
  return STATE_COLORS[state];
}
