// What journal preparation reads besides a contract's own journals, shared by posting runs and trial balances: the
// mappings in force, the booked contracts, and a contract's schedule, billing and accounts.
import type { ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { bookingOf, revenueSchedule } from '../../projections/index.js';
import { evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import type { EventStore, JsonObject, RecordedEvent } from '../store/index.js';
import type { EntityAccounts, PrepareInput } from './prepare.js';

/** What a posting run reads besides the contract streams. */
export interface PostingMappings {
  /** The product mapping in force, folded the way the revenue-schedule projection folds it. */
  products: ProductsInForce;
  /** Each legal entity's accounts, from the latest account mapping. */
  entities: Map<string, EntityAccounts>;
  accountMappingVersion: number;
}

/** The part of a contract's PrepareInput that does not depend on the run (its period, what was journaled). */
export type ContractPrepareBase = Omit<PrepareInput, 'journaled' | 'through' | 'postIn'>;

export async function postingMappings(store: EventStore): Promise<PostingMappings> {
  const shared = revenueSchedule.shared!;
  let products = shared.initial();
  for await (const e of store.readStream('mapping-products')) products = shared.evolve(products, e);
  let accountsEvent: RecordedEvent | null = null;
  for await (const e of store.readStream('mapping-accounts', { direction: 'backwards', maxCount: 1 }))
    accountsEvent = e;
  const entities = new Map(
    ((accountsEvent?.data.entities as JsonObject[] | undefined) ?? []).map((x) => [
      x.legalEntity as string,
      x.accounts as unknown as EntityAccounts,
    ]),
  );
  return { products, entities, accountMappingVersion: (accountsEvent?.data.version as number | undefined) ?? 0 };
}

/** Every booked contract, in booking order. */
export async function bookedContracts(store: EventStore): Promise<string[]> {
  const ids = new Set<string>();
  for await (const e of store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['ContractBooked'] },
  }))
    ids.add(e.data.contractId as string);
  return [...ids];
}

/**
 * A contract's schedule, billing and accounts as journal preparation takes them, from its stream's events; null for
 * a contract a posting run passes over (not booked, its legal entity without accounts, no schedule, an exception).
 */
export function contractPrepareBase(
  mappings: PostingMappings,
  contractId: string,
  events: readonly RecordedEvent[],
): ContractPrepareBase | null {
  let doc = revenueSchedule.initial(contractId);
  for (const e of events) doc = revenueSchedule.evolve(doc, e, mappings.products);
  return prepareBaseOf(mappings, doc);
}

/**
 * The same from the contract's folded (not yet derived) schedule document. With `only`, another legal entity's
 * contract is passed over before its schedule is computed.
 */
export function prepareBaseOf(
  mappings: PostingMappings,
  doc: RevenueScheduleDoc,
  only?: string,
): ContractPrepareBase | null {
  const { products } = mappings;
  const contractId = doc.contractId;
  const booking = bookingOf(doc);
  const legalEntity = (booking?.legalEntity as string | undefined) ?? null;
  const accounts = legalEntity === null ? undefined : mappings.entities.get(legalEntity);
  if (!booking || !legalEntity || !accounts || (only !== undefined && only !== legalEntity)) return null;
  const derived = revenueSchedule.derive!(doc, products);
  const schedule = derived.schedule;
  if (!schedule || schedule.currency === null || schedule.status === 'exception') return null;
  return {
    contract: {
      contractId,
      legalEntity,
      customerId: booking.customerId as string,
      currency: schedule.currency,
    },
    schedule,
    billing: derived.billing,
    accounts,
    revenueAccountOf: (sku) =>
      ((products.products[sku]?.mapping.accounts as JsonObject | undefined)?.revenue as string | undefined) ??
      accounts.revenue,
    accountMappingVersion: mappings.accountMappingVersion,
  };
}

/** The periods Revtrail has closed, per legal entity, each read once (for one run). */
export function closedPeriodsReader(store: EventStore): (legalEntity: string) => Promise<Set<string>> {
  const cache = new Map<string, Promise<Set<string>>>();
  return (legalEntity) => {
    let closed = cache.get(legalEntity);
    if (!closed) {
      closed = (async () => {
        let s = initialPeriodsState();
        for await (const e of store.readStream(periodsStream(legalEntity))) s = evolvePeriods(s, e);
        return s.closed;
      })();
      cache.set(legalEntity, closed);
    }
    return closed;
  };
}
