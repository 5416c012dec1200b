// What journal preparation reads besides a contract's own journals, shared by posting runs and trial balances: the
// mappings in force, the booked contracts, and a contract's schedule, billing and accounts.
import type { ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { bookingOf, revenueSchedule } from '../../projections/index.js';
import { contractStream } from '../../commands/contract.js';
import { evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import type { EventStore } from '../store/index.js';
import type { JsonObject, PostingBlockCode, RecordedEvent } from '../../schemas/index.js';
import type { EntityAccounts, PrepareInput } from './prepare.js';
import { fxRateMissing } from './prepare.js';
import type { RateBook } from '../revenue/fx.js';
import { previousMonth } from '../revenue/index.js';
import { rateBook } from './fx-rates.js';
import { entityRegister } from './register.js';
import type { EntityRegister } from './register.js';

/** What a posting run reads besides the contract streams. */
export interface PostingMappings {
  /** The product mapping in force, folded the way the revenue-schedule projection folds it. */
  products: ProductsInForce;
  /** Each legal entity's accounts, from the latest account mapping. */
  entities: Map<string, EntityAccounts>;
  /**
   * Each legal entity's functional currency: the register's `functionalCurrency` once an entity register is
   * published, else the `currency` its entry in the account mapping names. Its journals are kept in it; a contract
   * in another currency is translated into it.
   */
  entityCurrencies: Map<string, string>;
  accountMappingVersion: number;
  /** The exchange rates published so far (FxRatesPublished), for translated contracts. */
  rates: RateBook;
  /**
   * The entity register in force, or null when none was ever published. Once one is, a legal entity outside it is
   * UNMAPPED_ENTITY and each entity posts to the ERP it names; before, every entity posts to the configured connector,
   * as stores and deployments that predate the register expect.
   */
  register: EntityRegister | null;
}

export interface PostingBlock {
  contractId: string;
  legalEntity: string;
  code: PostingBlockCode;
  message: string;
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
  const published = (accountsEvent?.data.entities as JsonObject[] | undefined) ?? [];
  const register = await entityRegister(store);
  const currencies: [string, string][] = register
    ? [...register.entities.values()].map((x) => [x.legalEntity, x.functionalCurrency])
    : published.flatMap((x) => (typeof x.currency === 'string' ? [[x.legalEntity as string, x.currency]] : []));
  return {
    products,
    entities: new Map(published.map((x) => [x.legalEntity as string, x.accounts as unknown as EntityAccounts])),
    entityCurrencies: new Map(currencies),
    accountMappingVersion: (accountsEvent?.data.version as number | undefined) ?? 0,
    rates: await rateBook(store),
    register,
  };
}

/** Notes the correlation id an event carries, by event id (what journal preparation carries onto its journals). */
export function noteCorrelationId(into: Map<string, string>, e: RecordedEvent): void {
  const id = e.metadata.correlationId;
  if (typeof id === 'string') into.set(e.eventId, id);
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
  const outcome = postingInputOf(mappings, doc, only);
  return outcome !== null && 'base' in outcome ? outcome.base : null;
}

/**
 * What a posting run does with a contract: prepare from `base`; report it `blocked` (booked in the run's scope but
 * not journalable now, so it is never passed over in silence); or nothing (null: not booked, another legal entity's,
 * or no schedule yet).
 */
export function postingInputOf(
  mappings: PostingMappings,
  doc: RevenueScheduleDoc,
  only?: string,
): { base: ContractPrepareBase } | { blocked: PostingBlock } | null {
  const { products } = mappings;
  const contractId = doc.contractId;
  const booking = bookingOf(doc);
  const legalEntity = (booking?.legalEntity as string | undefined) ?? null;
  if (!booking || !legalEntity || (only !== undefined && only !== legalEntity)) return null;
  const block = (code: PostingBlockCode, message: string) => ({ blocked: { contractId, legalEntity, code, message } });
  if (mappings.register && !mappings.register.entities.has(legalEntity))
    return block('UNMAPPED_ENTITY', `legal entity ${legalEntity} is not in the entity register`);
  const accounts = mappings.entities.get(legalEntity);
  if (!accounts) return block('UNMAPPED_ENTITY', `legal entity ${legalEntity} has no entry in the account mapping`);
  const derived = revenueSchedule.derive!(doc, products);
  const schedule = derived.schedule;
  if (schedule?.status === 'exception') {
    const codes = [...new Set(schedule.exceptions.map((x) => x.code))].join(', ');
    return block('SCHEDULE_EXCEPTION', `the revenue schedule is in exception (${codes})`);
  }
  if (!schedule || schedule.currency === null) return null;
  // A contract in another currency than its legal entity's is translated into that one (its functional currency);
  // whether the rates it needs are published depends on the period journaled (fxRateBlock).
  const entityCurrency = mappings.entityCurrencies.get(legalEntity);
  const fx =
    entityCurrency !== undefined && entityCurrency !== schedule.currency
      ? { fx: { functionalCurrency: entityCurrency, rates: mappings.rates } }
      : {};
  const base: ContractPrepareBase = {
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
    ...fx,
  };
  return { base };
}

/**
 * FX_RATE_MISSING when a translated contract needs a rate through `through` that is not published (the message names
 * the pair, the rate type and the date or period); null when it can be journaled through it.
 */
export function fxRateBlock(base: ContractPrepareBase, through: string): PostingBlock | null {
  const missing = fxRateMissing({ ...base, through });
  if (!missing) return null;
  const { contractId, legalEntity } = base.contract;
  return { contractId, legalEntity, code: 'FX_RATE_MISSING', message: `contract ${contractId}: ${missing.message}` };
}

/**
 * The booked contracts a posting run would report blocked now, with why, in booking order. Asked of the log (each
 * contract's stream folded once), so the answer follows a published mapping at once, as the next run does. Rates
 * are checked through `through`: callers pass the last complete month (a month's average is published at its end);
 * default, the latest period the contract has billing or revenue in.
 */
export async function postingBlocks(
  store: EventStore,
  code?: PostingBlockCode,
  through?: string,
): Promise<PostingBlock[]> {
  const mappings = await postingMappings(store);
  const out: PostingBlock[] = [];
  for (const contractId of await bookedContracts(store)) {
    let doc = revenueSchedule.initial(contractId);
    for await (const e of store.readStream(contractStream(contractId)))
      doc = revenueSchedule.evolve(doc, e, mappings.products);
    const input = postingInputOf(mappings, doc);
    const blocked =
      input && ('blocked' in input ? input.blocked : fxRateBlock(input.base, through ?? lastPeriodOf(input.base)));
    if (blocked && (code === undefined || blocked.code === code)) out.push(blocked);
  }
  return out;
}

/** The month before the one `now` falls in: the latest a posting run normally journals, rates published. */
export function lastCompleteMonth(now: Date): string {
  return previousMonth(now.toISOString().slice(0, 7));
}

/** The latest month a contract has a bill or a schedule period in. */
function lastPeriodOf(base: ContractPrepareBase): string {
  const months = [...base.billing.map((b) => b.date.slice(0, 7)), ...base.schedule.periods.map((p) => p.period)];
  return months.reduce((a, b) => (b > a ? b : a), '0000-01');
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
