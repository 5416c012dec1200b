// contract-versions: per contract, every stored version and the one in force. Versions apply in version order: a
// later version stored before an earlier one waits (held) until the gap fills; events before the booking wait too.
import type { JsonObject, RecordedEvent } from '../src/store/types.js';
import type { Projection } from './types.js';

export interface ContractVersionEntry extends JsonObject {
  version: number;
  type: 'ContractBooked' | 'ContractAmended' | 'ContractCancelled';
  effectiveDate: string;
  treatment: string | null;
  lines: JsonObject[] | null;
  eventId: string;
  source: JsonObject | null;
  receivedAt: string;
}

export interface ContractVersions extends JsonObject {
  contractId: string;
  status: 'awaiting_booking' | 'active' | 'cancelled';
  customerId: string | null;
  legalEntity: string | null;
  currency: string | null;
  bookingDate: string | null;
  versionInForce: number;
  /** Lines of the version in force (the last booking or amendment applied). */
  lines: JsonObject[];
  cancelledOn: string | null;
  /** Every stored version, in version order, applied or not. */
  versions: ContractVersionEntry[];
  heldVersions: number[];
  /** Non-version events stored before the booking (they apply once it arrives). */
  eventsAwaitingBooking: number;
  /** Events of the contract folded so far: ties the document to the stream it came from. */
  eventCount: number;
}

const VERSION_TYPES = new Set(['ContractBooked', 'ContractAmended', 'ContractCancelled']);

export const contractVersions: Projection<ContractVersions> = {
  name: 'contract-versions',
  filter: { streamPrefixes: ['contract-'] },
  documentsByStream: 'contract-',
  keyOf: (e) => (typeof e.data.contractId === 'string' ? e.data.contractId : null),
  initial: (contractId) => ({
    contractId,
    status: 'awaiting_booking',
    customerId: null,
    legalEntity: null,
    currency: null,
    bookingDate: null,
    versionInForce: 0,
    lines: [],
    cancelledOn: null,
    versions: [],
    heldVersions: [],
    eventsAwaitingBooking: 0,
    eventCount: 0,
  }),
  evolve: (doc, e) => ({ ...apply(doc, e), eventCount: doc.eventCount + 1 }),
};

function apply(doc: ContractVersions, e: RecordedEvent): ContractVersions {
  if (!VERSION_TYPES.has(e.type)) {
    if (e.type.startsWith('Journal')) return doc;
    return doc.versionInForce === 0 ? { ...doc, eventsAwaitingBooking: doc.eventsAwaitingBooking + 1 } : doc;
  }
  const d = e.data;
  const entry: ContractVersionEntry = {
    version: d.version as number,
    type: e.type as ContractVersionEntry['type'],
    effectiveDate: (d.effectiveDate ?? d.bookingDate) as string,
    treatment: (d.treatment as string | undefined) ?? (e.type === 'ContractAmended' ? 'auto' : null),
    lines: (d.lines as JsonObject[] | undefined) ?? null,
    eventId: e.eventId,
    source: (e.metadata.source as unknown as JsonObject | null | undefined) ?? null,
    receivedAt: e.metadata.receivedAt,
  };
  const versions = [...doc.versions.filter((v) => v.version !== entry.version), entry].sort(
    (a, b) => a.version - b.version,
  );
  let next: ContractVersions = { ...doc, versions };
  if (e.type === 'ContractBooked') {
    next = {
      ...next,
      customerId: d.customerId as string,
      legalEntity: d.legalEntity as string,
      currency: d.currency as string,
      bookingDate: d.bookingDate as string,
    };
  }
  // Apply every version that is now contiguous with the one in force.
  let inForce = next.versionInForce;
  for (const v of versions) {
    if (v.version !== inForce + 1) continue;
    inForce = v.version;
    if (v.lines) next = { ...next, lines: v.lines };
    if (v.type === 'ContractCancelled') next = { ...next, cancelledOn: v.effectiveDate };
  }
  const status = next.cancelledOn !== null ? 'cancelled' : inForce >= 1 ? 'active' : 'awaiting_booking';
  return {
    ...next,
    versionInForce: inForce,
    status,
    heldVersions: versions.filter((v) => v.version > inForce).map((v) => v.version),
    eventsAwaitingBooking: inForce >= 1 ? 0 : next.eventsAwaitingBooking,
  };
}
