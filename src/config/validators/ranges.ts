import { didYouMean } from '../did-you-mean.js';
import { parseRangeText, rangesOverlap, type PortRange } from '../port-range.js';
import type { Path } from '../yaml-source.js';
import { entriesOf, type Report } from './report.js';

/**
 * The top-level `ranges:`: each parsed and checked, and no two named ranges overlapping. A range
 * that is itself wrong is reported once, here, and left out; `invalid` keeps its name so the
 * environments that use it are not reported again for naming an unknown range.
 */
export function normalizeNamedRanges(raw: unknown, report: Report): { ranges: Map<string, PortRange>; invalid: Set<string> } {
  const ranges = new Map<string, PortRange>();
  const invalid = new Set<string>();
  for (const [name, value] of entriesOf(raw)) {
    const parsed = parseRangeText(value);
    if (!parsed.ok) {
      if (typeof value === 'string' || typeof value === 'number') report(['ranges', name], parsed.message);
      invalid.add(name);
      continue;
    }
    const range = { name, first: parsed.first, last: parsed.last };
    for (const other of ranges.values()) {
      if (rangesOverlap(range, other)) {
        report(['ranges', name], `range ${name} (${range.first}-${range.last}) overlaps range ${other.name} (${other.first}-${other.last})`);
      }
    }
    ranges.set(name, range);
  }
  return { ranges, invalid };
}

/** A `ranges: [dev, "6000-6099"]` list of an environment or service, resolved to ranges. */
export function resolveRangeRefs(
  refs: unknown,
  path: Path,
  named: { ranges: ReadonlyMap<string, PortRange>; invalid: ReadonlySet<string> },
  report: Report,
): PortRange[] {
  if (!Array.isArray(refs)) return [];
  const resolved: PortRange[] = [];
  refs.forEach((ref, index) => {
    if (typeof ref === 'string' && named.ranges.has(ref)) {
      resolved.push(named.ranges.get(ref) as PortRange);
      return;
    }
    if (typeof ref === 'string' && named.invalid.has(ref)) return;
    const literal = typeof ref === 'number' || (typeof ref === 'string' && /^\s*\d/.test(ref));
    if (!literal) {
      if (typeof ref !== 'string') return;
      const known = [...named.ranges.keys(), ...named.invalid];
      const hint = didYouMean(ref, known) || (known.length ? ` (named ranges: ${known.join(', ')})` : ' (no ranges are named under `ranges:`)');
      report([...path, index], `unknown range "${ref}"${hint}`);
      return;
    }
    const parsed = parseRangeText(ref);
    if (!parsed.ok) {
      report([...path, index], parsed.message);
      return;
    }
    resolved.push({ name: String(ref).trim(), first: parsed.first, last: parsed.last });
  });
  return resolved;
}
