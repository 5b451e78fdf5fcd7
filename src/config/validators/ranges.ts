import { didYouMean } from '../did-you-mean.js';
import { parseRangeText, rangesOverlap, type PortRange } from '../port-range.js';
import type { Path } from '../yaml-source.js';
import { entriesOf, type Report } from './report.js';

/** The top-level `ranges:`: each parsed and checked, and no two named ranges overlapping. */
export function normalizeNamedRanges(raw: unknown, report: Report): Map<string, PortRange> {
  const ranges = new Map<string, PortRange>();
  for (const [name, value] of entriesOf(raw)) {
    const parsed = parseRangeText(value);
    if (!parsed.ok) {
      report(['ranges', name], parsed.message);
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
  return ranges;
}

/** A `ranges: [dev, "6000-6099"]` list of an environment or service, resolved to ranges. */
export function resolveRangeRefs(refs: unknown, path: Path, named: ReadonlyMap<string, PortRange>, report: Report): PortRange[] {
  if (!Array.isArray(refs)) return [];
  const resolved: PortRange[] = [];
  refs.forEach((ref, index) => {
    if (typeof ref === 'string' && named.has(ref)) {
      resolved.push(named.get(ref) as PortRange);
      return;
    }
    const literal = typeof ref === 'number' || (typeof ref === 'string' && /^\s*\d/.test(ref));
    if (!literal) {
      if (typeof ref !== 'string') return;
      const known = [...named.keys()];
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
