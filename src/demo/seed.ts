// Demo data for a first run: a generated SaaS company, its product and account mappings, imported through the
// same command path as real traffic. Only ever into an empty store.
import { decidePublish, evolveMapping, initialMappingState, mappingStream } from '../../commands/mapping.js';
import type { AccountMappingSet, MappingKind, ProductMappingSet } from '../../schemas/index.js';
import { ProductMappingSet as ProductMappingSetSchema } from '../../schemas/index.js';
import { CATALOGUE, generateCompany } from './company.js';
import { decideOnStream } from '../handling/index.js';
import { Ingestor } from '../ingest/index.js';
import type { IngestStatus } from '../ingest/index.js';
import type { EventStore } from '../store/index.js';

export const DEMO_ENTITIES: AccountMappingSet['entities'] = [
  ['US01', 'USD'],
  ['DE01', 'EUR'],
  ['JP01', 'JPY'],
  ['BH01', 'BHD'],
].map(([legalEntity, currency]) => ({
  legalEntity: legalEntity!,
  currency: currency!,
  accounts: { receivable: '1100', deferredRevenue: '2400', contractAsset: '1300', revenue: '4000', taxPayable: '2200' },
}));

/** Publishes a mapping version through its command (the same path as POST /v1/mappings/:kind). */
export async function publishMapping(
  store: EventStore,
  kind: MappingKind,
  set: ProductMappingSet | AccountMappingSet,
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
}

/** Seeds an empty store; returns null (and writes nothing) when the store already holds events. */
export async function seedDemo(
  store: EventStore,
  options: { contracts: number; seed: number; now?: () => Date },
): Promise<DemoSummary | null> {
  if ((await store.headPosition()) !== null) return null;
  const now = options.now ?? (() => new Date());
  const products = ProductMappingSetSchema.parse({ products: CATALOGUE, reason: 'demo catalogue' });
  await publishMapping(store, 'products', products, now());
  await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'demo chart of accounts' }, now());
  let events = 0;
  const counts = await new Ingestor(store, { now }).ingestAll(
    generateCompany({ contracts: options.contracts, seed: options.seed }),
    { actor: 'demo' },
    { onBatch: (results) => (events += results.length) },
  );
  return { contracts: options.contracts, events, counts };
}
