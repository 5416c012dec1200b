// contract-versions: per contract, every stored version and the one in force. Versions apply in version order
// (commands/versions.ts, the rule the command and every projection share): a later version stored before an earlier
// one waits (held) until the gap fills; events before the booking wait too; a version that fails validation once the
// booking is known (money precision in the contract currency, after a cancellation) never applies.
import type { DomainError, JsonObject, RecordedEvent } from '../schemas/index.js';
import type { VersionType } from '../commands/versions.js';
import { compareVersions, isVersionType, sequence, summarise } from '../commands/versions.js';
import type { Projection } from './types.js';

export interface ContractVersionEntry extends JsonObject {
  version: number;
  type: VersionType;
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
  /** Versions that failed validation once the booking was known: they never apply (their number stays free). */
  rejectedVersions: { version: number; eventId: string; errors: (DomainError & JsonObject)[] }[];
  /** Non-version events stored before the booking (they apply once it arrives). */
  eventsAwaitingBooking: number;
  /** Events of the contract folded so far: ties the document to the stream it came from. */
  eventCount: number;
}

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
    rejectedVersions: [],
    eventsAwaitingBooking: 0,
    eventCount: 0,
  }),
  evolve: (doc, e) => ({ ...apply(doc, e), eventCount: doc.eventCount + 1 }),
};

function apply(doc: ContractVersions, e: RecordedEvent): ContractVersions {
  if (!isVersionType(e.type)) {
    if (e.type.startsWith('Journal')) return doc;
    return doc.versionInForce === 0 ? { ...doc, eventsAwaitingBooking: doc.eventsAwaitingBooking + 1 } : doc;
  }
  const d = e.data;
  const entry: ContractVersionEntry = {
    version: d.version as number,
    type: e.type,
    effectiveDate: (d.effectiveDate ?? d.bookingDate) as string,
    treatment: (d.treatment as string | undefined) ?? (e.type === 'ContractAmended' ? 'auto' : null),
    lines: (d.lines as JsonObject[] | undefined) ?? null,
    eventId: e.eventId,
    source: (e.metadata.source as unknown as JsonObject | null | undefined) ?? null,
    receivedAt: e.metadata.receivedAt,
  };
  const versions = [...doc.versions.filter((v) => v.eventId !== entry.eventId), entry].sort(compareVersions);
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
  // The versions as sequencing applies them: the chain from the booking up to the first gap or invalid version.
  const sequenced = sequence(
    next.contractId,
    versions.map((v) => summaryOf(next, v)),
  );
  const applied = new Set(sequenced.applied.map((f) => f.eventId));
  let lines: JsonObject[] = [];
  let cancelledOn: string | null = null;
  for (const v of versions) {
    if (!applied.has(v.eventId)) continue;
    if (v.lines) lines = v.lines;
    if (v.type === 'ContractCancelled') cancelledOn = v.effectiveDate;
  }
  const inForce = sequenced.versionInForce;
  const status = cancelledOn !== null ? 'cancelled' : inForce >= 1 ? 'active' : 'awaiting_booking';
  return {
    ...next,
    lines,
    cancelledOn,
    versionInForce: inForce,
    status,
    heldVersions: sequenced.held.map((h) => h.fact.version!),
    rejectedVersions: sequenced.invalid.map((x) => ({
      version: x.fact.version!,
      eventId: x.fact.eventId,
      errors: x.errors as (DomainError & JsonObject)[],
    })),
    eventsAwaitingBooking: inForce >= 1 ? 0 : next.eventsAwaitingBooking,
  };
}

/** A version entry as sequencing reads it (the booking's currency is the document's). */
function summaryOf(doc: ContractVersions, v: ContractVersionEntry) {
  const data: JsonObject =
    v.type === 'ContractBooked'
      ? { version: v.version, bookingDate: v.effectiveDate, currency: doc.currency, lines: v.lines }
      : { version: v.version, effectiveDate: v.effectiveDate, ...(v.lines ? { lines: v.lines } : {}) };
  return summarise(v.type, v.eventId, data, v.receivedAt);
}
