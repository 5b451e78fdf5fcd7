import { describe, expect, it } from 'vitest';
import { columns, formatBytes, formatDuration, instanceRow, serviceCells } from '../../src/tui/format.js';
import type { Lease } from '../../src/store/lease.js';
import type { ServiceSnapshot } from '../../src/supervisor/service-state.js';

const lease: Lease = {
  id: 'abcd1234',
  project: 'shop',
  root: '/w',
  env: 'dev',
  instance: 2,
  ports: [4100, 4102],
  blocks: [],
  services: {},
  owner: { pid: 1, startTime: 0, host: 'h' },
  createdAt: new Date(1_000_000).toISOString(),
};

const api: ServiceSnapshot = { name: 'api', state: 'ready', pid: 42, ports: [4100, 4101], restarts: 3, ready: true, exitCode: null, signal: null, startedAt: new Date(1_000_000).toISOString(), reason: null };

describe('dashboard text', () => {
  it('durations and sizes', () => {
    expect([formatDuration(999), formatDuration(61_000), formatDuration(3_723_000), formatDuration(90_061_000)]).toEqual(['0s', '1m01s', '1h02m', '1d1h']);
    expect([formatBytes(2048), formatBytes(5 * 1024 * 1024), formatBytes(300 * 1024 * 1024), formatBytes(3 * 1024 ** 3)]).toEqual(['2K', '5.0M', '300M', '3.0G']);
  });

  it('an instance row: label, block, uptime or stale', () => {
    expect(instanceRow(lease, { lease, pid: 7, stopping: false, services: [] }, 1_065_000)).toBe('shop/dev#2  4100-4102  1m05s');
    expect(instanceRow(lease, null, 1_065_000)).toBe('shop/dev#2  4100-4102  stale');
  });

  it('a service row with usage, and one that is not running', () => {
    expect(serviceCells(api, { cpuPercent: 12.345, rssBytes: 50 * 1024 * 1024 }, 1_010_000)).toEqual(['api', 'ready', '42', '4100,4101', '12.3%', '50M', '3', '10s', 'yes']);
    expect(serviceCells({ ...api, state: 'stopped', pid: null, ready: false }, undefined, 0)).toEqual(['api', 'stopped', '-', '4100,4101', '-', '-', '3', '-', 'no']);
    expect(columns([['A', 'BB'], ['ccc', 'd']])).toEqual(['A    BB', 'ccc  d']);
  });
});
