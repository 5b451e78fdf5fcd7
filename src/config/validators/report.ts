import type { Path } from '../yaml-source.js';

/** How validators report a problem: the path of the offending node and what is wrong. */
export type Report = (path: Path, message: string, options?: { key?: boolean; severity?: 'error' | 'warning' }) => void;

export type Raw = Record<string, unknown>;

export function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function entriesOf(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}
