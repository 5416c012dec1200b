// revenue-schedule: per contract, the ASC 606 schedule the revenue engine computes from the contract's facts and
// the product mapping in force, with balances (billed / recognised / deferred revenue / contract asset) per period.
//
// The document keeps the contract's facts as commands/versions.ts sequences them — applied facts in application order
// (versions in version order, every other fact at its business date between them), held facts in `pending`, facts
// that failed validation on apply in `rejected` — so the schedule can be recomputed when the mapping changes without
// reading the stream. `evolve` only adds the event to `pending`; `derive` sequences the whole set, so the document is
// the same whatever order the events arrived in. Publishing a product mapping reaches exactly the contracts that use a
// SKU whose entry changed (tag `sku:<SKU>`); the schedule records per line the mapping version its SKU's entry was
// published in, so a contract the change does not concern keeps its lineage.
import type { DomainError, InboundType, JsonObject, ProductMapping, RecordedEvent } from '../schemas/index.js';
import type { FactSummary, HoldReason } from '../commands/versions.js';
import { isContractFactType, sequence, summarise } from '../commands/versions.js';
import type { BillingEntry, PeriodBalance, Schedule } from '../src/revenue/index.js';
import { LastSchedules, balancesOf, billedByGroup, diffSchedules, presentationGroups } from '../src/revenue/index.js';
import { canonicalJson } from '../schemas/index.js';
import { linesTotal } from './billing.js';
import type { Projection, SharedState } from './types.js';

/** The product mapping in force: each SKU's entry and the version that published it as it now stands. */
export interface ProductsInForce extends JsonObject {
  version: number;
  products: { [sku: string]: { since: number; mapping: JsonObject } };
}

interface Fact extends JsonObject {
  type: string;
  eventId: string;
  data: JsonObject;
}

/** A fact not applied yet: when it arrived (held too long is an exception) and what it waits for. */
export interface PendingFact extends Fact {
  receivedAt: string;
  reason: HoldReason | null;
  message: string | null;
}

/** A fact that failed validation once its references arrived: it never applies. */
export interface RejectedFact extends Fact {
  receivedAt: string;
  errors: (DomainError & JsonObject)[];
}

export interface RevenueScheduleDoc extends JsonObject {
  contractId: string;
  /** Contract version the facts are applied up to (0 before the booking). */
  versionInForce: number;
  /** Facts the revenue engine reads, applied, in the order they apply. */
  facts: Fact[];
  /** Invoices applied, in the order they apply (billing only: they do not shape revenue). */
  invoices: Fact[];
  /** Facts not applied yet (waiting for the booking, an earlier version, a line or an invoice), by event id. */
  pending: PendingFact[];
  /** Facts rejected on apply, by event id. */
  rejected: RejectedFact[];
  /** Every SKU any version of the contract used. */
  skus: string[];
  /** Invoices (positive, excluding tax) and credit memos (negative), for the balances; tax apart, for journals. */
  billing: (BillingEntry & { tax: string } & JsonObject)[];
  eventCount: number;
  /** Derived: the schedule (null until derived) and the balances at each period end. */
  schedule: (Schedule & JsonObject) | null;
  balances: (PeriodBalance & JsonObject)[];
}

const productsInForce: SharedState<ProductsInForce> = {
  key: '$products',
  initial: () => ({ version: 0, products: {} }),
  accepts: (e) => e.streamId === 'mapping-products' && e.type === 'ProductMappingPublished',
  evolve: (state, e) => {
    const version = e.data.version as number;
    const products: ProductsInForce['products'] = {};
    for (const m of e.data.products as JsonObject[]) {
      const sku = m.sku as string;
      const was = state.products[sku];
      const same = was !== undefined && canonicalJson(was.mapping) === canonicalJson(m);
      products[sku] = { since: same ? was.since : version, mapping: m };
    }
    return { version, products };
  },
  affected: (before, after) => {
    const skus = new Set([...Object.keys(before.products), ...Object.keys(after.products)]);
    return [...skus]
      .filter((sku) => before.products[sku]?.since !== after.products[sku]?.since || !after.products[sku])
      .sort()
      .map(skuTag);
  },
};

/** The derived part as `evolve` leaves it: `derive` fills it from the facts. */
const UNDERIVED = { schedule: null, balances: [] } as const satisfies Partial<RevenueScheduleDoc>;

const skuTag = (sku: string): string => `sku:${sku}`;

/**
 * Each contract's last schedule: a batch of invoices changes the billing and the balances, not the schedule, so
 * deriving the contract again reuses it (src/revenue/last-schedule.ts). A contract caught up or followed live is
 * derived after every batch that touches it; 25,000 is the live runner's document cache (src/runner/cache.ts). Past
 * that, a contract dropped to make room is computed again when it comes round; which one is dropped is random, so a
 * busy period that touches more contracts in turn still finds about the share the cache holds.
 */
const lastSchedules = new LastSchedules(25_000);

export const revenueSchedule: Projection<RevenueScheduleDoc, ProductsInForce> = {
  name: 'revenue-schedule',
  filter: { streamPrefixes: ['contract-', 'mapping-products'] },
  documentsByStream: 'contract-',
  shared: productsInForce,
  keyOf: (e) =>
    e.streamId.startsWith('contract-') && typeof e.data.contractId === 'string' ? e.data.contractId : null,
  initial: (contractId) => ({
    contractId,
    versionInForce: 0,
    facts: [],
    invoices: [],
    pending: [],
    rejected: [],
    skus: [],
    billing: [],
    eventCount: 0,
    schedule: null,
    balances: [],
  }),
  evolve: (doc, e) => {
    // A mapping change that concerns the contract changes nothing in its facts: `derive` recomputes the schedule.
    if (!e.streamId.startsWith('contract-')) return { ...doc, ...UNDERIVED };
    return { ...fold(doc, e), eventCount: doc.eventCount + 1, ...UNDERIVED };
  },
  tagsOf: (doc) => [
    ...doc.skus.map(skuTag),
    ...new Set((doc.schedule?.exceptions ?? []).map((x) => `exception:${x.code}`)),
    ...(doc.rejected.length > 0 ? [`exception:${HELD_EVENT_REJECTED_CODE}`] : []),
    ...(doc.pending.length > 0 ? [HELD_TAG] : []),
  ],
  derive: (sequenced, shared, budget) => {
    const doc = sequenceFacts(sequenced);
    const products: ProductMapping[] = [];
    let mappingVersion = 0;
    const since = new Map<string, number>();
    for (const sku of doc.skus) {
      const entry = shared.products[sku];
      if (!entry) continue;
      products.push(entry.mapping as unknown as ProductMapping);
      since.set(sku, entry.since);
      mappingVersion = Math.max(mappingVersion, entry.since);
    }
    const computed = lastSchedules.compute({
      contractId: doc.contractId,
      events: doc.facts,
      products,
      mappingVersion,
      ...(budget ? { maxSteps: budget.maxSteps } : {}),
    });
    const skuOf = new Map(computed.obligations.map((o) => [o.lineId, o.sku]));
    const schedule: Schedule = {
      ...computed,
      // Per line: the version that published the entry of the line's SKU as used here (its lineage).
      lineage: computed.lineage.map((l) => ({ ...l, mappingVersion: since.get(skuOf.get(l.lineId) ?? '') ?? 0 })),
    };
    const billing = billingByGroup(doc, schedule);
    return {
      ...doc,
      billing,
      schedule: schedule as Schedule & JsonObject,
      balances: balancesOf(schedule, billing) as (PeriodBalance & JsonObject)[],
    };
  },
  diff: (before, after) => diffSchedules(before?.schedule ?? null, after?.schedule ?? null),
};

/** The exception code of a fact rejected on apply (the document's tag `exception:HELD_EVENT_REJECTED`). */
export const HELD_EVENT_REJECTED_CODE = 'HELD_EVENT_REJECTED';
/** The tag of a contract with facts not applied yet (the candidates for HELD_TOO_LONG). */
export const HELD_TAG = 'held';

function fold(doc: RevenueScheduleDoc, e: RecordedEvent): RevenueScheduleDoc {
  // A HeldEventRejected records what sequencing decides from the facts themselves: nothing to fold.
  if (!isContractFactType(e.type)) return doc;
  const { contractId: _c, occurredAt: _o, ...data } = e.data;
  let next = doc;
  if (e.type === 'ContractBooked' || e.type === 'ContractAmended') {
    const skus = new Set([...next.skus, ...(data.lines as { sku: string }[]).map((l) => l.sku)]);
    next = { ...next, skus: [...skus].sort() };
  }
  const fact: PendingFact = {
    type: e.type,
    eventId: e.eventId,
    data,
    receivedAt: e.metadata.receivedAt,
    reason: null,
    message: null,
  };
  return { ...next, pending: [...next.pending, fact] };
}

/**
 * Sequences every fact of the document (commands/versions.ts): applied facts in application order, billing from the
 * applied invoices and credit memos, the rest held or rejected. A function of the set of facts.
 */
function sequenceFacts(doc: RevenueScheduleDoc): RevenueScheduleDoc {
  const all = new Map<string, Fact & { receivedAt?: string }>();
  for (const f of [...doc.facts, ...doc.invoices, ...doc.pending, ...doc.rejected]) all.set(f.eventId, f);
  const summaries: FactSummary[] = [];
  for (const f of all.values())
    summaries.push(summarise(f.type as InboundType, f.eventId, f.data, f.receivedAt ?? null));
  const sequenced = sequence(doc.contractId, summaries);
  const plain = (id: string): Fact => {
    const { type, eventId, data } = all.get(id)!;
    return { type, eventId, data };
  };
  const receivedAt = (id: string): string => all.get(id)!.receivedAt ?? '';
  const facts: Fact[] = [];
  const invoices: Fact[] = [];
  const billing: RevenueScheduleDoc['billing'] = [];
  for (const s of sequenced.applied) {
    const fact = plain(s.eventId);
    if (s.type === 'InvoiceIssued') invoices.push(fact);
    else facts.push(fact);
    if (s.type === 'InvoiceIssued' || s.type === 'CreditMemoIssued') billing.push(billingOf(fact));
  }
  return {
    ...doc,
    versionInForce: sequenced.versionInForce,
    facts,
    invoices,
    pending: sequenced.held.map((h) => ({
      ...plain(h.fact.eventId),
      receivedAt: receivedAt(h.fact.eventId),
      reason: h.reason,
      message: h.message,
    })),
    rejected: sequenced.invalid.map((x) => ({
      ...plain(x.fact.eventId),
      receivedAt: receivedAt(x.fact.eventId),
      errors: x.errors as (DomainError & JsonObject)[],
    })),
    billing,
  };
}

/** Billed revenue excludes tax; a credit memo takes back what it credits whether or not it reduces the price. */
function billingOf(f: Fact): RevenueScheduleDoc['billing'][number] {
  const invoice = f.type === 'InvoiceIssued';
  const total = linesTotal({ data: f.data } as RecordedEvent);
  return {
    date: (invoice ? f.data.invoiceDate : f.data.issuedOn) as string,
    amount: (invoice ? total : total.neg()).toString(),
    tax: invoice ? ((f.data.taxAmount as string | undefined) ?? '0') : '0',
    eventId: f.eventId,
  };
}

/**
 * A contract with a separate modification presents each group apart: each bill carries its amount per group, by its
 * lines. A contract without one keeps its bills as they are.
 */
function billingByGroup(doc: RevenueScheduleDoc, schedule: Schedule): RevenueScheduleDoc['billing'] {
  const groups = presentationGroups(schedule);
  if (groups === null) return doc.billing;
  const bills = new Map(
    [...doc.invoices, ...doc.facts].filter((f) => BILLS.has(f.type)).map((f) => [f.eventId, f] as const),
  );
  return doc.billing.map((b) => {
    const f = bills.get(b.eventId);
    if (!f) return b;
    const lines = f.data.lines as { lineId: string; amount: string }[];
    return { ...b, groups: billedByGroup(groups, lines, f.type === 'InvoiceIssued' ? 1 : -1) };
  });
}

const BILLS = new Set(['InvoiceIssued', 'CreditMemoIssued']);

/**
 * The bills that apply (invoices positive, credit memos negative, excluding tax): the derived document's `billing`,
 * else (not derived: a derivation that failed, e.g. over its budget) sequenced from its facts, which is what `derive`
 * would have made of them. Posting status reads what was billed from here.
 */
export function appliedBilling(doc: RevenueScheduleDoc): readonly BillingEntry[] {
  return doc.schedule !== null ? doc.billing : sequenceFacts(doc).billing;
}

/** True when the document holds the contract's booking (applied or not yet sequenced). */
export function bookingOf(doc: RevenueScheduleDoc): JsonObject | null {
  return [...doc.facts, ...doc.pending].find((f) => f.type === 'ContractBooked')?.data ?? null;
}
