// The LedgerEvent shape: a stored event as GraphQL shows it (a contract's events and the ledgerEvents subscription).
import type { Json, JsonObject, RecordedEvent } from '../store/index.js';
import { formatPosition } from '../store/index.js';

/** A stored event as the LedgerEvent type shows it (also what subscriptions send). */
export function ledgerEvent(e: RecordedEvent): JsonObject {
  const m = e.metadata;
  return {
    eventId: e.eventId,
    type: e.type,
    streamId: e.streamId,
    revision: e.revision,
    position: formatPosition(e.position),
    source: (m.source ?? null) as Json,
    schemaVersion: m.schemaVersion,
    receivedAt: m.receivedAt,
    recordedAt: e.recordedAt,
    correlationId: m.correlationId ?? null,
    causationId: m.causationId ?? null,
    actor: m.actor ?? null,
    contentHash: m.contentHash,
    prevHash: m.prevHash,
    data: e.data,
  };
}
