// A contract as of a past moment, bitemporally: as the ledger knew it at a recorded time, as in effect on a
// date, or both. Computed in memory from the log through the projections' own pure evolve/derive (contract-versions,
// revenue-schedule), so the past state is what the read models held then, not an approximation of it.
//
// "Known at" is the event's metadata.receivedAt, not the store's recordedAt: receivedAt is when Revtrail accepted the
// event (the ingest clock, the same instant on every adapter, sealed into the hash chain), while recordedAt is the
// backend's own write time (EventStoreDB's commit time, SQLite's clock) and may differ across adapters and restores.
// Mapping publications are cut the same way, so the schedule is computed with the mapping in force at that time.
import { contractVersions, postingStatus, postingTotals } from '../../projections/index.js';
import type {
  ContractVersionEntry,
  ContractVersions,
  PostingStatusDoc,
  ProductsInForce,
  RevenueScheduleDoc,
} from '../../projections/index.js';
import type { Schedule } from '../revenue/index.js';
import type { JsonObject, RecordedEvent, SourceRef } from '../../schemas/index.js';
import { formatPosition } from '../../schemas/index.js';
import { contractEvents, instant, journalsOf, mappingIndex, mappingRef, productsAt, scheduleOf } from './support.js';
import type { AsOfOptions, AuditDeps, ContractAsOf, ContractLine, ScheduleView } from './types.js';

/** The date a contract event takes effect on (its version's effective date, the day a fact happened). */
export function effectiveDateOf(e: RecordedEvent): string {
  const d = e.data;
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) if (typeof d[k] === 'string') return d[k];
    return undefined;
  };
  const date =
    e.type === 'ContractBooked'
      ? pick('bookingDate')
      : e.type === 'UsageRecorded'
        ? pick('periodEnd') // usage is a fact about a completed usage period
        : pick('effectiveDate', 'activatedOn', 'completedOn', 'invoiceDate', 'issuedOn', 'approvedOn', 'date');
  return date ?? (pick('occurredAt') ?? e.metadata.receivedAt).slice(0, 10);
}

/** Journal events follow their journal: in effect when the journal's accounting date is. */
function effectiveFilter(events: readonly RecordedEvent[], date: string): RecordedEvent[] {
  const journalDate = new Map<string, string>();
  for (const e of events)
    if (e.type === 'JournalPrepared') journalDate.set(e.data.journalId as string, e.data.date as string);
  return events.filter((e) => {
    if (e.type.startsWith('Journal')) return (journalDate.get(e.data.journalId as string) ?? '9999-12-31') <= date;
    return effectiveDateOf(e) <= date;
  });
}

const lineOf = (l: JsonObject): ContractLine => ({
  lineId: l.lineId as string,
  sku: l.sku as string,
  quantity: typeof l.quantity === 'number' ? l.quantity.toString() : (l.quantity as string),
  amount: l.amount as string,
  serviceStart: (l.serviceStart as string | undefined) ?? null,
  serviceEnd: (l.serviceEnd as string | undefined) ?? null,
  ssp: (l.ssp as string | undefined) ?? null,
});

export function scheduleView(s: Schedule): ScheduleView {
  return {
    status: s.status,
    currency: s.currency,
    transactionPrice: s.transactionPrice,
    mappingVersion: s.mappingVersion,
    obligations: s.obligations.map((o) => ({
      obligation: o.lineId,
      sku: o.sku,
      pattern: o.pattern,
      allocated: o.allocated,
      variable: o.variable,
      recognised: o.recognised,
      serviceStart: o.serviceStart ?? null,
      serviceEnd: o.serviceEnd ?? null,
      active: o.active,
    })),
    periods: s.periods.map((p) => ({
      period: p.period,
      total: p.total,
      cumulative: p.cumulative,
      obligations: Object.entries(p.lines).map(([obligation, amount]) => ({ obligation, amount })),
    })),
    exceptions: s.exceptions.map((x) => ({
      code: x.code,
      message: x.message,
      obligation: x.lineId ?? null,
      sku: x.sku ?? null,
      eventId: x.eventId ?? null,
    })),
  };
}

/** The contract as of `recordedAt` and/or `effectiveAt` (neither: now); null for a contract the log has never seen. */
/** The contract's read-model documents as of the moment: what contract-versions, revenue-schedule and
 * posting-status held (or would have held) then, and the events they were folded from. */
export interface ContractDocsAsOf {
  recordedAt: string | null;
  effectiveAt: string | null;
  events: RecordedEvent[];
  products: ProductsInForce;
  versions: ContractVersions;
  schedule: RevenueScheduleDoc;
  posting: PostingStatusDoc;
}

export async function contractDocsAsOf(
  deps: AuditDeps,
  contractId: string,
  options: AsOfOptions = {},
): Promise<ContractDocsAsOf | null> {
  const all = await contractEvents(deps.store, contractId);
  if (all.length === 0) return null;
  const recordedAt = options.recordedAt === undefined ? null : instant(options.recordedAt);
  const effectiveAt = options.effectiveAt ?? null;
  let events = recordedAt === null ? all : all.filter((e) => instant(e.metadata.receivedAt) <= recordedAt);
  if (effectiveAt !== null) events = effectiveFilter(events, effectiveAt);
  const products = await productsAt(deps.store, recordedAt);
  let versions = contractVersions.initial(contractId);
  let posting = postingStatus.initial(contractId);
  for (const e of events) {
    versions = contractVersions.evolve(versions, e, {});
    posting = postingStatus.evolve(posting, e, {});
  }
  posting = postingTotals(posting);
  const schedule = scheduleOf(contractId, events, products);
  return { recordedAt, effectiveAt, events, products, versions, schedule, posting };
}

export async function contractAsOf(
  deps: AuditDeps,
  contractId: string,
  options: AsOfOptions = {},
): Promise<ContractAsOf | null> {
  const [docs, index] = await Promise.all([
    contractDocsAsOf(deps, contractId, options),
    mappingIndex(deps.store, 'products'),
  ]);
  if (!docs) return null;
  const { recordedAt, effectiveAt, events, products, versions: cv, schedule: doc } = docs;
  const last = events[events.length - 1];
  const applied = (v: ContractVersionEntry) => v.version <= cv.versionInForce;
  return {
    contractId,
    recordedAt,
    effectiveAt,
    events: events.length,
    lastPosition: last ? formatPosition(last.position) : null,
    status: events.length === 0 ? 'unknown' : cv.status,
    legalEntity: cv.legalEntity,
    customerId: cv.customerId,
    currency: cv.currency,
    versionInForce: cv.versionInForce,
    heldVersions: cv.heldVersions,
    versions: cv.versions.map((v) => ({
      version: v.version,
      type: v.type,
      effectiveDate: v.effectiveDate,
      treatment: v.treatment,
      lines: (v.lines ?? []).map(lineOf),
      eventId: v.eventId,
      source: v.source as unknown as SourceRef | null,
      receivedAt: v.receivedAt,
      applied: applied(v),
    })),
    lines: cv.lines.map(lineOf),
    productMapping: mappingRef(index, 'products', products.version),
    schedule: doc.schedule && events.length > 0 ? scheduleView(doc.schedule) : null,
    balances: doc.balances.map((b) => ({
      period: b.period,
      billed: b.billed,
      recognised: b.recognised,
      billedToDate: b.billedToDate,
      recognisedToDate: b.recognisedToDate,
      deferredRevenue: b.deferredRevenue,
      contractAsset: b.contractAsset,
    })),
    journals: journalsOf(contractId, events).map((j) => j.summary),
  };
}
