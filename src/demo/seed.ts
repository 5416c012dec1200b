// Demo data for a first run: a generated SaaS company, its product and account mappings, imported through the
// same command path as real traffic, and its past posted (history.ts). Only ever into an empty store.
import type { EntityRegisterSet, MappingKind, MappingSet } from '../../schemas/index.js';
import { DEMO_ENTITIES } from './entities.js';
import { ProductMappingSet as ProductMappingSetSchema } from '../../schemas/index.js';
import { CATALOGUE, generateCompany } from './company.js';
import { generateRates } from './rates.js';
import { publishMappingSet } from '../posting/register.js';
import { Ingestor } from '../ingest/index.js';
import type { IngestStatus } from '../ingest/index.js';
import type { EventStore } from '../store/index.js';
import type { SimulatedConnector } from '../posting/index.js';
import { postDemoHistory } from './history.js';
import type { DemoHistory } from './history.js';

export { DEMO_ENTITIES };

/** The demo group's entity register: each entity in its currency, on the simulated ERP, reporting in USD. */
export const DEMO_REGISTER: EntityRegisterSet = {
  entities: DEMO_ENTITIES.map((e) => ({
    legalEntity: e.legalEntity,
    functionalCurrency: e.currency,
    erp: { connector: 'simulated' },
  })),
  reportingCurrency: 'USD',
  reason: 'demo group: every entity on the simulated ERP',
};

/** Publishes a mapping version through its command (the same path as POST /v1/mappings/:kind). */
export async function publishMapping(
  store: EventStore,
  kind: MappingKind,
  set: MappingSet,
  now: Date,
  actor = 'demo',
): Promise<void> {
  await publishMappingSet(store, kind, set, { receivedAt: now.toISOString(), actor });
}

export interface DemoSummary {
  contracts: number;
  events: number;
  counts: Record<IngestStatus, number>;
  /** Its past posted, closed and left with exceptions (history.ts); null without an ERP to post to. */
  history: DemoHistory | null;
}

/** The demo company's first month: bookings start here, and its posted history. */
export const DEMO_FIRST_MONTH = '2026-01';

/**
 * Seeds an empty store; returns null (and writes nothing) when the store already holds events. Given the simulated
 * ERP, also posts the demo's past to it, closes it and leaves its exceptions (history.ts).
 */
export async function seedDemo(
  store: EventStore,
  options: {
    contracts: number;
    seed: number;
    now?: () => Date;
    erp?: SimulatedConnector;
    /** The share of USD contracts DE01 sells (books in EUR): seeds the rates they are translated at too. */
    crossBorder?: number;
    /** How many months of rates from the first booking (default 60: as far as a contract's billing and revenue run). */
    rateMonths?: number;
  },
): Promise<DemoSummary | null> {
  if ((await store.headPosition()) !== null) return null;
  const now = options.now ?? (() => new Date());
  const products = ProductMappingSetSchema.parse({ products: CATALOGUE, reason: 'demo catalogue' });
  await publishMapping(store, 'products', products, now());
  await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'demo chart of accounts' }, now());
  // Posting to the simulated ERP, the demo routes every entity there through a register, as a group would; on
  // another ERP it publishes none, and its entities stay on the configured connector (docs/posting.md).
  if (options.erp) await publishMapping(store, 'entities', DEMO_REGISTER, now());
  let events = 0;
  const ingestor = new Ingestor(store, { now });
  const crossBorder = options.crossBorder ?? 0;
  const rates = crossBorder > 0 ? generateRates(`${DEMO_FIRST_MONTH}-01`, options.rateMonths ?? 60) : [];
  await ingestor.ingestAll(rates, { actor: 'demo' }, { onBatch: (results) => (events += results.length) });
  const counts = await ingestor.ingestAll(
    generateCompany({
      contracts: options.contracts,
      seed: options.seed,
      startDate: `${DEMO_FIRST_MONTH}-01`,
      rates: { crossBorder },
    }),
    { actor: 'demo' },
    { onBatch: (results) => (events += results.length) },
  );
  const history = options.erp ? await postDemoHistory(store, options.erp, { firstMonth: DEMO_FIRST_MONTH, now }) : null;
  return { contracts: options.contracts, events, counts, history };
}
