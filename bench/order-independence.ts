// Order independence, checked over a generated company: every contract delivered in random permutations of its facts,
// with random duplicates (so many facts arrive before their booking or before what they reference), through the
// contract command (decide, fold); then the contract-versions, revenue-schedule and posting-status documents must be
// byte-identical to in-order delivery, the journal of each period identical, and the documents derived after every
// random batch (a live runner) equal to those derived once at the end (a rebuild). Pure code only: no store, no clock.
//
// Used by test/properties/order-independence.test.ts (CI size) and by `node dist/bench/order-independence.js
// [contracts] [permutations]` (a larger run).
import { RateBook } from '../src/revenue/fx.js';
import fc from 'fast-check';
import type { ContractState } from '../commands/contract.js';
import { asFoldable, decide, fold, initialContractState } from '../commands/contract.js';
import type { Projection, ProductsInForce } from '../projections/index.js';
import { contractVersions, postingStatus, revenueSchedule } from '../projections/index.js';
import type { InboundEvent, JsonObject, RecordedEvent } from '../schemas/index.js';
import { idempotencyKey } from '../schemas/index.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany } from '../src/demo/index.js';
import type { PostingMappings } from '../src/posting/index.js';
import { prepareBaseOf, prepareJournal } from '../src/posting/index.js';

const RECEIVED_AT = '2027-01-01T00:00:00Z';

export interface OrderReport {
  contracts: number;
  /** Deliveries checked per contract besides the in-order one. */
  deliveries: number;
  /** Distinct facts, per type, and amendments per treatment. */
  byType: Record<string, number>;
  treatments: Record<string, number>;
  /** Events answered `held` and `duplicate` over all deliveries. */
  held: number;
  duplicates: number;
  seconds: number;
}

/** The company's contracts, each its distinct facts in delivery order; a third of the price changes made catch-ups. */
function contractsOf(contracts: number, seed: number): InboundEvent[][] {
  const byContract = new Map<string, InboundEvent[]>();
  const seen = new Set<string>();
  for (const e of generateCompany({ contracts, seed })) {
    const key = idempotencyKey(e);
    if (seen.has(key)) continue;
    seen.add(key);
    if (e.type === 'ContractAmended' && e.data.treatment !== 'separate' && Number(e.contractId.slice(-1)) % 3 === 0)
      e.data.treatment = 'cumulative_catch_up';
    byContract.set(e.contractId, [...(byContract.get(e.contractId) ?? []), e]);
  }
  return [...byContract.values()];
}

const PRODUCTS: ProductsInForce = {
  version: 1,
  products: Object.fromEntries(CATALOGUE.map((m) => [m.sku, { since: 1, mapping: m as unknown as JsonObject }])),
};
const MAPPINGS: PostingMappings = {
  products: PRODUCTS,
  entities: new Map(DEMO_ENTITIES.map((x) => [x.legalEntity, x.accounts])),
  entityCurrencies: new Map(),
  accountMappingVersion: 1,
  rates: new RateBook([]),
  register: null,
};

/** Delivers events one by one through the contract command; the stream it writes and each answer. */
function deliver(contractId: string, events: readonly InboundEvent[]): { stream: RecordedEvent[]; statuses: string[] } {
  let state: ContractState = initialContractState(contractId);
  const stream: RecordedEvent[] = [];
  const statuses: string[] = [];
  for (const event of events) {
    const decision = decide(state, { event, receivedAt: RECEIVED_AT, actor: 'order' });
    statuses.push(decision.outcome);
    if (decision.outcome !== 'appended' && decision.outcome !== 'held') continue;
    const foldable = asFoldable(decision, stream.length);
    state = fold(state, [foldable]);
    stream.push({
      ...foldable,
      streamId: `contract-${contractId}`,
      position: { commit: BigInt(stream.length + 1), prepare: BigInt(stream.length + 1) },
      recordedAt: RECEIVED_AT,
    });
  }
  return { stream, statuses };
}

const PROJECTIONS = [contractVersions, revenueSchedule, postingStatus] as unknown as Projection[];

/** Each projection's document: derived once at the end (rebuild) and after every batch of the given sizes (live). */
function documents(contractId: string, stream: readonly RecordedEvent[], cuts: readonly number[]): string[] {
  return PROJECTIONS.map((p) => {
    let rebuilt = p.initial(contractId);
    let live = p.initial(contractId);
    let inBatch = 0;
    let cut = 0;
    for (const e of stream) {
      if (p.keyOf(e) === null) continue;
      rebuilt = p.evolve(rebuilt, e, PRODUCTS);
      live = p.evolve(live, e, PRODUCTS);
      if (++inBatch >= (cuts[cut % Math.max(cuts.length, 1)] ?? 1)) {
        live = p.derive ? p.derive(live, PRODUCTS) : live;
        inBatch = 0;
        cut++;
      }
    }
    if (p.derive) {
      rebuilt = p.derive(rebuilt, PRODUCTS);
      live = p.derive(live, PRODUCTS);
    }
    const [a, b] = [JSON.stringify(rebuilt), JSON.stringify(live)];
    if (a !== b) throw new Error(`${p.name} ${contractId}: the live document differs from the rebuilt one`);
    // Where the document stands in its stream (the revision of the last event it folded) is arrival, not state.
    return JSON.stringify({ ...rebuilt, streamRevision: undefined });
  });
}

/** The journal every period of the schedule would get from nothing journaled yet, as JSON. */
function journals(contractId: string, stream: readonly RecordedEvent[]): string {
  let doc = revenueSchedule.initial(contractId);
  for (const e of stream) if (revenueSchedule.keyOf(e) !== null) doc = revenueSchedule.evolve(doc, e, PRODUCTS);
  const base = prepareBaseOf(MAPPINGS, doc);
  if (base === null) return 'null';
  return JSON.stringify(
    base.schedule.periods.map((p) => prepareJournal({ ...base, journaled: [], through: p.period, postIn: p.period })),
  );
}

function outcome(contractId: string, events: readonly InboundEvent[], cuts: readonly number[]) {
  const { stream, statuses } = deliver(contractId, events);
  return { statuses, documents: documents(contractId, stream, cuts), journals: journals(contractId, stream) };
}

/** The top-level fields two JSON documents differ in, each with both values. */
function differences(a: string, b: string): string {
  const [x, y] = [JSON.parse(a) as JsonObject, JSON.parse(b) as JsonObject];
  return Object.keys({ ...x, ...y })
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .map((k) => `${k}: ${JSON.stringify(x[k])} vs in order ${JSON.stringify(y[k])}`)
    .join('; ');
}

/** Throws on the first contract whose outcome depends on the delivery; returns what was checked. */
export function runOrderIndependence(options: {
  contracts: number;
  seed: number;
  permutations: number;
  assert?: typeof fc.assert;
}): OrderReport {
  const started = performance.now();
  const contracts = contractsOf(options.contracts, options.seed);
  const byType: Record<string, number> = {};
  const treatments: Record<string, number> = {};
  const expected = contracts.map((events) => {
    for (const e of events) {
      byType[e.type] = (byType[e.type] ?? 0) + 1;
      if (e.type === 'ContractAmended')
        treatments[e.data.treatment ?? 'auto'] = (treatments[e.data.treatment ?? 'auto'] ?? 0) + 1;
    }
    const o = outcome(events[0]!.contractId, events, [1]);
    const refused = o.statuses.filter((s) => s === 'rejected').length;
    if (refused > 0) throw new Error(`${events[0]!.contractId}: ${refused} events refused in order`);
    return o;
  });
  let held = 0;
  let duplicates = 0;
  (options.assert ?? fc.assert)(
    fc.property(fc.gen(), (g) => {
      contracts.forEach((events, c) => {
        // A random permutation, then up to three duplicates anywhere.
        const order = [...events];
        for (let i = order.length - 1; i > 0; i--) {
          const j = g(fc.nat, { max: i });
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        for (let d = g(fc.nat, { max: 3 }); d > 0; d--) {
          const copy = structuredClone(order[g(fc.nat, { max: order.length - 1 })]!);
          order.splice(g(fc.nat, { max: order.length }), 0, copy);
        }
        const cuts = g(fc.array, fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 });
        const o = outcome(events[0]!.contractId, order, cuts);
        held += o.statuses.filter((s) => s === 'held').length;
        duplicates += o.statuses.filter((s) => s === 'duplicate').length;
        const want = expected[c]!;
        const name = events[0]!.contractId;
        if (o.statuses.includes('rejected')) throw new Error(`${name}: an event was refused out of order`);
        o.documents.forEach((doc, i) => {
          if (doc !== want.documents[i])
            throw new Error(
              `${name}: ${PROJECTIONS[i]!.name} differs from in-order delivery in ${differences(doc, want.documents[i]!)}`,
            );
        });
        if (o.journals !== want.journals) throw new Error(`${name}: the journals differ from in-order delivery`);
      });
    }),
    { numRuns: options.permutations, seed: options.seed },
  );
  return {
    contracts: contracts.length,
    deliveries: options.permutations,
    byType,
    treatments,
    held,
    duplicates,
    seconds: (performance.now() - started) / 1000,
  };
}

// `node dist/bench/order-independence.js [contracts] [permutations]`
if (process.argv[1]?.endsWith('order-independence.js')) {
  const contracts = Number(process.argv[2] ?? 2000);
  const permutations = Number(process.argv[3] ?? 10);
  const report = runOrderIndependence({ contracts, seed: 18, permutations });
  console.log(JSON.stringify(report, null, 2));
}
