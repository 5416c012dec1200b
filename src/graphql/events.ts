// The LedgerEvent shape: a stored event as GraphQL shows it (a contract's events and the ledgerEvents subscription).
// It is the audit's EventRef (src/audit, one reading of the envelope for both) with the rest of the envelope and the
// data.
import { eventRef } from '../audit/index.js';
import type { EventRef } from '../audit/index.js';
import type { JsonObject, RecordedEvent } from '../../schemas/index.js';

export interface LedgerEvent extends EventRef {
  schemaVersion: number;
  causationId: string | null;
  data: JsonObject;
}

/** A stored event as the LedgerEvent type shows it (also what subscriptions send). */
export function ledgerEvent(e: RecordedEvent): LedgerEvent {
  return {
    ...eventRef(e),
    schemaVersion: e.metadata.schemaVersion,
    causationId: e.metadata.causationId ?? null,
    data: e.data,
  };
}
