/**
 * Durations in ports.yaml, as docker compose (Go's time.ParseDuration) writes them: one or more
 * number+unit parts, `1m30s`, `1h2m3.5s`, `500ms`, `2m`, `1.5s`, `250us`; or a plain number of
 * seconds, `90` or `1.5`. Units: h, m, s, ms, us (or µs, μs), ns. Never negative.
 */
const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)`;
const UNIT = 'ns|us|µs|μs|ms|s|m|h';

/** The whole value (the schema's pattern, so also the JSON Schema's): a bare number or number+unit parts. */
export const DURATION_PATTERN = new RegExp(String.raw`^\s*(?:${NUMBER}|(?:${NUMBER}\s*(?:${UNIT})\s*)+)\s*$`);

const PART = new RegExp(String.raw`(${NUMBER})\s*(${UNIT})`, 'g');

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days): a timer given more fires
 * at once, so ports.yaml refuses longer durations.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * Milliseconds, or undefined when the value is not a duration. Rounded to the millisecond; a
 * duration above zero is at least 1 ms (`100us` is 1 ms, never 0, which would mean "at once").
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? toMs(value * 1000) : undefined;
  if (typeof value !== 'string' || !DURATION_PATTERN.test(value)) return undefined;
  const text = value.trim();
  if (/^[\d.]+$/.test(text)) return toMs(Number(text) * 1000);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit as string] ?? Number.NaN);
  return Number.isFinite(total) ? toMs(total) : undefined;
}

function toMs(ms: number): number {
  if (ms > 0 && ms < 1) return 1;
  return Math.round(ms);
}
