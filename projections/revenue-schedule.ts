// revenue-schedule: per contract, the ASC 606 schedule the revenue engine computes from the contract's facts and
// the product mapping in force, with balances (billed / recognised / deferred revenue / contract asset) per period.
//
// The document keeps the contract's facts in application order (versions in version order; events that arrived
// before the booking or ahead of a missing version wait in `pending`), so the schedule can be recomputed when the
// mapping changes without reading the stream. Publishing a product mapping reaches exactly the contracts that use a
// SKU whose entry changed (tag `sku:<SKU>`); the schedule records per line the mapping version its SKU's entry was
// published in, so a contract the change does not concern keeps its lineage.
import type { ProductMapping } from '../schemas/index.js';
import type { BillingEntry, PeriodBalance, Schedule } from '../src/revenue/index.js';
import { balancesOf, computeSchedule, diffSchedules } from '../src/revenue/index.js';
import { canonicalJson } from '../src/store/chain.js';
import type { JsonObject, RecordedEvent } from '../src/store/types.js';
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

export interface RevenueScheduleDoc extends JsonObject {
  contractId: string;
  /** Contract version the facts are applied up to (0 before the booking). */
  versionInForce: number;
  /** Facts in the order they apply. */
  facts: Fact[];
  /** Facts waiting for the booking or for an earlier version, in arrival order. */
  pending: Fact[];
  /** Every SKU any version of the contract used. */
  skus: string[];
  /** Invoices (positive, excluding tax) and credit memos (negative), for the balances; tax apart, for journals. */
  billing: (BillingEntry & { tax: string } & JsonObject)[];
  eventCount: number;
  /** Derived: the schedule (null until derived) and the balances at each period end. */
  schedule: (Schedule & JsonObject) | null;
  balances: (PeriodBalance & JsonObject)[];
}

const VERSIONS = new Set(['ContractBooked', 'ContractAmended', 'ContractCancelled']);
/** Facts the revenue engine reads; invoices only feed billing, journal events are issue-5 business. */
const ENGINE_FACTS = new Set([
  ...VERSIONS,
  'ServiceActivated',
  'MilestoneCompleted',
  'UsageRecorded',
  'ServiceCreditApproved',
  'CreditMemoIssued',
]);

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
    pending: [],
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
  ],
  derive: (doc, shared, budget) => {
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
    const computed = computeSchedule({
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
    return {
      ...doc,
      schedule: schedule as Schedule & JsonObject,
      balances: balancesOf(schedule, doc.billing) as (PeriodBalance & JsonObject)[],
    };
  },
  diff: (before, after) => diffSchedules(before?.schedule ?? null, after?.schedule ?? null),
};

function fold(doc: RevenueScheduleDoc, e: RecordedEvent): RevenueScheduleDoc {
  const { contractId: _c, occurredAt: _o, ...data } = e.data;
  let next = doc;
  if (e.type === 'InvoiceIssued' || e.type === 'CreditMemoIssued') {
    // Billed revenue excludes tax; a credit memo takes back what it credits whether or not it reduces the price.
    const total = linesTotal(e);
    const date = (e.type === 'InvoiceIssued' ? data.invoiceDate : data.issuedOn) as string;
    next = {
      ...next,
      billing: [
        ...next.billing,
        {
          date,
          amount: (e.type === 'InvoiceIssued' ? total : total.neg()).toString(),
          tax: e.type === 'InvoiceIssued' ? ((data.taxAmount as string | undefined) ?? '0') : '0',
          eventId: e.eventId,
        },
      ],
    };
  }
  if (!ENGINE_FACTS.has(e.type)) return next;
  if (e.type === 'ContractBooked' || e.type === 'ContractAmended') {
    const skus = new Set([...next.skus, ...(data.lines as { sku: string }[]).map((l) => l.sku)]);
    next = { ...next, skus: [...skus].sort() };
  }
  return drain({ ...next, pending: [...next.pending, { type: e.type, eventId: e.eventId, data }] });
}

/** Applies every pending fact that may now apply, in arrival order, until none can. */
function drain(doc: RevenueScheduleDoc): RevenueScheduleDoc {
  let { versionInForce, facts, pending } = doc;
  for (let progressed = true; progressed;) {
    progressed = false;
    const waiting: Fact[] = [];
    for (const f of pending) {
      const applies = VERSIONS.has(f.type) ? (f.data.version as number) === versionInForce + 1 : versionInForce >= 1;
      if (!applies) {
        waiting.push(f);
        continue;
      }
      if (VERSIONS.has(f.type)) versionInForce = f.data.version as number;
      facts = [...facts, f];
      progressed = true;
    }
    pending = waiting;
  }
  return { ...doc, versionInForce, facts, pending };
}
