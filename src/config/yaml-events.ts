import { constructFromEvents, CORE_SCHEMA, EVENT_ID, getScalarValue, mergeTag, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import type { Path } from './yaml-source.js';

/** A file read on the quick path: its data, and where a path of it is written (null: ask the full parser). */
export interface QuickYaml {
  data: unknown;
  offsetOf(path: Path, wantKey: boolean): number | null;
}

const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/**
 * Reads plain YAML (no tags, anchors, aliases or directives; one document) from a flat event
 * stream, in linear time: a 5 MB ports.yaml in about a tenth of what building a full document
 * takes. Returns null for anything else — a syntax error, a repeated key, an alias — which the
 * full parser then reads, so the data and every message stay the same whichever path read it
 * (the core schema here resolves scalars as the full parser's does).
 */
export function readQuickYaml(text: string): QuickYaml | null {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return null;
  }
  let documents = 0;
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) {
      documents += 1;
      if (documents > 1 || event.directives.length > 0) return null;
    } else if (event.type === EVENT_ID.ALIAS) return null;
    else if (event.type !== EVENT_ID.POP && (event.tagStart >= 0 || event.anchorStart >= 0)) return null;
  }
  if (documents !== 1 || events.length < 2) return null;
  let data: unknown;
  try {
    [data] = constructFromEvents(events, { source: text, schema: SCHEMA, maxAliases: 0 });
  } catch {
    return null;
  }
  const ends = closingIndexes(events);
  return { data, offsetOf: (path, wantKey) => offsetOf(events, ends, text, path, wantKey) };
}

/** For every mapping and sequence event, the index of the event that closes it. */
function closingIndexes(events: readonly Event[]): Int32Array {
  const ends = new Int32Array(events.length);
  const open: number[] = [];
  events.forEach((event, index) => {
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.DOCUMENT) open.push(index);
    else if (event.type === EVENT_ID.POP) ends[open.pop() ?? 0] = index;
  });
  return ends;
}

/** A node whose place only the full parser knows as it counts it: a block scalar's indicator, an empty value's spot. */
const ASK_FULL = -2;

/** Where a node starts, as the full parser counts it (at the opening quote). */
function startOf(event: Event | undefined): number | undefined {
  if (!event) return undefined;
  if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) return event.start;
  if (event.type !== EVENT_ID.SCALAR) return undefined;
  if (event.valueStart < 0) return ASK_FULL;
  if (event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED) return event.valueStart - 1;
  if (event.style === SCALAR_STYLE.LITERAL_BLOCK || event.style === SCALAR_STYLE.FOLDED_BLOCK) return ASK_FULL;
  return event.valueStart;
}

function offsetOf(events: readonly Event[], ends: Int32Array, text: string, path: Path, wantKey: boolean): number | null {
  const next = (index: number) => {
    const type = events[index]?.type;
    return type === EVENT_ID.MAPPING || type === EVENT_ID.SEQUENCE ? (ends[index] as number) + 1 : index + 1;
  };
  let index = 1;
  let best = startOf(events[index]) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const node = events[index];
    if (node?.type === EVENT_ID.MAPPING) {
      let key = index + 1;
      let found = -1;
      while (events[key]?.type !== EVENT_ID.POP && key < events.length) {
        const value = next(key);
        const event = events[key];
        if (event?.type === EVENT_ID.SCALAR && getScalarValue(text, event) === String(segment)) {
          found = key;
          break;
        }
        key = next(value);
      }
      if (found < 0) return best;
      const keyStart = startOf(events[found]);
      if (keyStart === ASK_FULL) return null;
      if (i === path.length - 1 && wantKey && keyStart !== undefined) return keyStart;
      index = next(found);
      const valueStart = startOf(events[index]);
      if (valueStart === ASK_FULL) return null;
      best = valueStart ?? keyStart ?? best;
    } else if (node?.type === EVENT_ID.SEQUENCE && typeof segment === 'number') {
      let item = index + 1;
      for (let k = 0; k < segment && events[item]?.type !== EVENT_ID.POP; k++) item = next(item);
      if (events[item]?.type === EVENT_ID.POP) return best;
      const start = startOf(events[item]);
      if (start === ASK_FULL) return null;
      if (start === undefined) return best;
      best = start;
      index = item;
    } else {
      return best;
    }
  }
  return best;
}
