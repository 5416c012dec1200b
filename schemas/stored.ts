// Stored event payloads are versioned (metadata.schemaVersion). Events are immutable, so when a payload's shape
// changes, old events are upcast on read, never rewritten: an upcaster turns version n of a type into n + 1, and
// `upcast` applies them in sequence up to the current version. Readers (projections, the command side's fold)
// read through `upcast`, so they only ever see current shapes.
import type { JsonObject } from '../src/store/types.js';

/** Current schema version per stored event type (types not listed are at version 1). */
export const CURRENT_SCHEMA_VERSION: Readonly<Record<string, number>> = {};

export type Upcaster = (data: JsonObject) => JsonObject;

/** upcasters[type][n] turns version n into n + 1. */
export type UpcasterRegistry = Readonly<Record<string, Readonly<Record<number, Upcaster>>>>;

/** No stored type has changed shape yet: the registry is empty, the path is ready. */
export const UPCASTERS: UpcasterRegistry = {};

export function upcast<E extends { type: string; data: JsonObject; metadata: { schemaVersion: number } }>(
  event: E,
  registry: UpcasterRegistry = UPCASTERS,
  current: Readonly<Record<string, number>> = CURRENT_SCHEMA_VERSION,
): E {
  const target = current[event.type] ?? 1;
  let version = event.metadata.schemaVersion;
  if (version === target) return event;
  if (version > target) throw new Error(`${event.type} v${version} is newer than this build understands (v${target})`);
  let data = event.data;
  while (version < target) {
    const step = registry[event.type]?.[version];
    if (!step) throw new Error(`no upcaster for ${event.type} v${version} -> v${version + 1}`);
    data = step(data);
    version++;
  }
  return { ...event, data, metadata: { ...event.metadata, schemaVersion: version } };
}
