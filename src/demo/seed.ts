// Demo data for a first run: a generated SaaS company, its product and account mappings, imported through the
// same command path as real traffic, and its past posted (history.ts). Only ever into an empty store.
import { decidePublish, evolveMapping, initialMappingState, mappingStream } from '../../commands/mapping.js';
import type { MappingKind, MappingSet } from '../../schemas/index.js';
import { DEMO_ENTITIES } from './entities.js';
import { ProductMappingSet as ProductMappingSetSchema } from '../../schemas/index.js';
import { CATALOGUE, generateCompany } from './company.js';
import { decideOnStream } from '../handling/index.js';
import { Ingestor } from '../ingest/index.js';
import type { IngestStatus } from '../ingest/index.js';
import type { EventStore } from '../store/index.js';
import type { SimulatedConnector } from '../posting/index.js';
import { postDemoHistory } from './history.js';
import type { DemoHistory } from './history.js';

export { DEMO_ENTITIES };

/** Publishes a mapping version through its command (the same path as POST /v1/mappings/:kind). */
export async function publishMapping(
  store: EventStore,
  kind: MappingKind,
  set: MappingSet,
  now: Date,
  actor = 'demo',
): Promise<void> {
  await decideOnStream(store, mappingStream(kind), initialMappingState, evolveMapping, (s) =>
    decidePublish(s, kind, set, { receivedAt: now.toISOString(), actor }),
  );
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
  options: { contracts: number; seed: number; now?: () => Date; erp?: SimulatedConnector },
): Promise<DemoSummary | null> {
  if ((await store.headPosition()) !== null) return null;
  const now = options.now ?? (() => new Date());
  const products = ProductMappingSetSchema.parse({ products: CATALOGUE, reason: 'demo catalogue' });
  await publishMapping(store, 'products', products, now());
  await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'demo chart of accounts' }, now());
  let events = 0;
  const counts = await new Ingestor(store, { now }).ingestAll(
    generateCompany({ contracts: options.contracts, seed: options.seed, startDate: `${DEMO_FIRST_MONTH}-01` }),
    { actor: 'demo' },
    { onBatch: (results) => (events += results.length) },
  );
  const history = options.erp ? await postDemoHistory(store, options.erp, { firstMonth: DEMO_FIRST_MONTH, now }) : null;
  return { contracts: options.contracts, events, counts, history };
}
