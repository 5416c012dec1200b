// Stored event payloads are versioned (metadata.schemaVersion). Events are immutable, so when a payload's shape
// changes, old events are upcast on read, never rewritten: an upcaster turns version n of a type into n + 1, and
// `upcast` applies them in sequence up to the current version. Readers (projections, the command side's fold)
// read through `upcast`, so they only ever see current shapes.
import { z } from 'zod';
import type { JsonObject } from './envelope.js';
import type { DomainError } from './errors.js';
import { Id } from './primitives.js';

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

/**
 * HeldEventRejected (schema version 1), in a contract stream: a stored event that was held (its references unknown)
 * failed validation once they arrived, exactly as it would have on arrival in order; it never applies. Written by the
 * contract command with the event that resolved it (commands/versions.ts says when).
 */
export const HeldEventRejectedData = z.strictObject({
  contractId: Id,
  /** The held event's id, and its type. */
  rejectedEventId: z.string().min(1),
  rejectedType: z.string().min(1),
  errors: z.array(z.strictObject({ code: z.string(), message: z.string(), path: z.string().optional() })).min(1),
});
export type HeldEventRejectedData = Omit<z.infer<typeof HeldEventRejectedData>, 'errors'> & { errors: DomainError[] };
