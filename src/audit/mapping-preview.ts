// The effect of a proposed product mapping before it is published (`rebuild --dry-run --diff` for one proposal): the
// product mapping in force is folded from the log, the proposal is applied to it as its publication would be, and
// every contract using a SKU whose entry the proposal adds, changes or removes (the same tags a publication reaches,
// projections/revenue-schedule.ts) has its schedule derived again from the facts the revenue-schedule read model
// holds — the same `derive` the live projection runs after a publication. Nothing is written: the documents derived
// here are compared with the stored ones and dropped.
import type { ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { bookingOf, revenueSchedule } from '../../projections/index.js';
import { MAPPING_EVENT, mappingStream } from '../../commands/mapping.js';
import type { DomainError, ProductMappingSet, RecordedEvent } from '../../schemas/index.js';
import { formatPosition } from '../../schemas/index.js';
import type { Dec, Schedule } from '../revenue/index.js';
import { ZERO, dec, diffSchedules, formatMoney, minus, plus } from '../revenue/index.js';
import type { DeriveBudget } from '../../projections/index.js';
import type { Erp } from '../posting/erp.js';
import { unpostableAccounts } from '../posting/mapping-check.js';
import { decidePublicationNow } from '../posting/register.js';
import type { AuditDeps } from './types.js';

/** Revenue of one period in one currency, with and without the proposal. */
export interface PeriodEffect {
  period: string;
  currency: string;
  before: string;
  after: string;
  delta: string;
}

/** A contract whose schedule the proposal changes: its periods whose revenue changes, and the changes in words. */
export interface ContractEffect {
  contractId: string;
  legalEntity: string | null;
  currency: string | null;
  statusBefore: string | null;
  /** Null when the schedule could not be derived within the derivation budget (it would be quarantined). */
  statusAfter: string | null;
  periods: PeriodEffect[];
  changes: string[];
}

export interface MappingPreviewSummary {
  /** Contracts using a SKU whose entry changes, each derived again. */
  examined: number;
  /** Of those, the contracts whose revenue per period or schedule status changes. */
  changed: number;
  /** Per period and currency, over every changed contract. */
  totals: PeriodEffect[];
}

export interface MappingPreview {
  currentVersion: number;
  proposedVersion: number;
  /** SKUs whose entry the proposal adds, changes or removes. */
  changedSkus: string[];
  /** The revenue-schedule read model's position the facts were read at (null: it has applied nothing). */
  asOf: string | null;
  /** On the first page only (no `after`): it needs every examined contract, later pages only theirs. */
  summary: MappingPreviewSummary | null;
  /** Changed contracts in contract id order, after `after`, at most `limit`. */
  contracts: ContractEffect[];
  /** The `after` of the next page; null on the last. */
  next: string | null;
}

/**
 * A proposal checked as its publication would be (after its schema): account codes the connector cannot post, and
 * the publication's own decision folded from the mapping stream and not appended (a stale `basedOnVersion`). Answers
 * the refusal, or whether the proposal is the version in force already.
 */
export async function checkProposal(
  deps: AuditDeps,
  connector: Erp['kind'],
  set: ProductMappingSet,
): Promise<{ refused: 'invalid' | 'conflict'; errors: DomainError[] } | { refused: null; unchanged: boolean }> {
  const unpostable = unpostableAccounts(connector, 'products', set);
  if (unpostable.length > 0) return { refused: 'invalid', errors: unpostable };
  // The decision reads neither the time nor the actor; they only stamp the event it would append.
  const decision = await decidePublicationNow(deps.store, 'products', set, {
    receivedAt: new Date(0).toISOString(),
    actor: 'preview',
  });
  if (decision.outcome === 'rejected') return { refused: 'conflict', errors: decision.errors };
  return { refused: null, unchanged: decision.outcome === 'unchanged' };
}

/** The product mapping in force as the projection folds it, from the mapping stream in the log. */
async function productsInForceNow(deps: AuditDeps): Promise<ProductsInForce> {
  const shared = revenueSchedule.shared!;
  let state = shared.initial();
  for await (const e of deps.store.readStream(mappingStream('products')))
    if (shared.accepts(e)) state = shared.evolve(state, e);
  return state;
}

/** Keys read a chunk at a time, so a large store is never held at once. */
const CHUNK = 200;

export async function previewProductMapping(
  deps: AuditDeps,
  set: ProductMappingSet,
  page: { limit: number; after?: string | null },
  budget: DeriveBudget,
): Promise<MappingPreview> {
  const shared = revenueSchedule.shared!;
  const current = await productsInForceNow(deps);
  const proposedVersion = current.version + 1;
  // Only `data` is read by the fold: the event the publication would append, as far as the projection sees it.
  const publication = {
    streamId: mappingStream('products'),
    type: MAPPING_EVENT.products,
    data: { version: proposedVersion, products: set.products },
  } as unknown as RecordedEvent;
  const proposed = shared.evolve(current, publication);
  const tags = shared.affected(current, proposed);
  const [checkpoint, tagged] = await Promise.all([
    deps.read.checkpoint(revenueSchedule.name),
    tags.length === 0 ? Promise.resolve([]) : deps.read.keysByTag(revenueSchedule.name, tags),
  ]);
  const after = page.after ?? null;
  const keys = tagged.filter((k) => !k.startsWith('$') && (after === null || k > after));
  const wanted = page.limit + 1;
  const found: ContractEffect[] = [];
  const totals = new Map<string, { period: string; currency: string; before: Dec; after: Dec }>();
  let examined = 0;
  let changed = 0;
  for (let i = 0; i < keys.length && (after === null || found.length < wanted); i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const docs = await deps.read.getMany(revenueSchedule.name, chunk);
    for (const key of chunk) {
      const doc = docs.get(key) as RevenueScheduleDoc | undefined;
      if (!doc) continue;
      examined++;
      const effect = effectOf(doc, current, proposed, budget);
      if (effect === null) continue;
      changed++;
      if (found.length < wanted) found.push(effect);
      if (after === null) addTo(totals, effect.periods);
    }
  }
  const contracts = found.slice(0, page.limit);
  return {
    currentVersion: current.version,
    proposedVersion,
    changedSkus: tags.map((t) => t.slice('sku:'.length)),
    asOf: checkpoint === null ? null : formatPosition(checkpoint),
    summary: after === null ? { examined, changed, totals: totalsOf(totals) } : null,
    contracts,
    next: found.length > page.limit ? contracts[contracts.length - 1]!.contractId : null,
  };
}

type Totals = Map<string, { period: string; currency: string; before: Dec; after: Dec }>;

function addTo(totals: Totals, periods: readonly PeriodEffect[]): void {
  for (const p of periods) {
    const key = `${p.period}|${p.currency}`;
    const sum = totals.get(key) ?? { period: p.period, currency: p.currency, before: ZERO, after: ZERO };
    totals.set(key, { ...sum, before: plus(sum.before, dec(p.before)), after: plus(sum.after, dec(p.after)) });
  }
}

function totalsOf(totals: Totals): PeriodEffect[] {
  return [...totals.values()]
    .sort((a, b) => a.period.localeCompare(b.period) || a.currency.localeCompare(b.currency))
    .map((t) => periodEffect(t.period, t.currency, t.before, t.after));
}

function periodEffect(period: string, currency: string, before: Dec, after: Dec): PeriodEffect {
  const fmt = (d: Dec) => formatMoney(d, currency);
  return { period, currency, before: fmt(before), after: fmt(after), delta: fmt(minus(after, before)) };
}

/** The schedule derived with a shared state, or null when it exceeds the derivation budget. */
function scheduleWith(doc: RevenueScheduleDoc, shared: ProductsInForce, budget: DeriveBudget): Schedule | null {
  try {
    return revenueSchedule.derive!(doc, shared, budget).schedule;
  } catch {
    // The live runner would quarantine this document (src/runner/quarantine.ts): the preview says so as a null.
    return null;
  }
}

/** What the proposal changes in one contract's schedule, or null when neither its revenue nor its status changes. */
function effectOf(
  doc: RevenueScheduleDoc,
  current: ProductsInForce,
  proposed: ProductsInForce,
  budget: DeriveBudget,
): ContractEffect | null {
  const before = doc.schedule ?? scheduleWith(doc, current, budget);
  const after = scheduleWith(doc, proposed, budget);
  const booking = bookingOf(doc);
  const currency = after?.currency ?? before?.currency ?? (booking?.currency as string | undefined) ?? null;
  const periods: PeriodEffect[] = [];
  if (currency !== null) {
    const total = (s: Schedule | null, period: string) =>
      dec(s?.periods.find((p) => p.period === period)?.total ?? '0');
    const all = new Set([...(before?.periods ?? []), ...(after?.periods ?? [])].map((p) => p.period));
    for (const period of [...all].sort()) {
      const effect = periodEffect(period, currency, total(before, period), total(after, period));
      if (!dec(effect.delta).isZero()) periods.push(effect);
    }
  }
  const codes = (s: Schedule | null) =>
    s === null ? null : `${s.status}:${[...new Set(s.exceptions.map((x) => x.code))].sort().join(',')}`;
  if (periods.length === 0 && codes(before) === codes(after)) return null;
  return {
    contractId: doc.contractId,
    legalEntity: (booking?.legalEntity as string | undefined) ?? null,
    currency,
    statusBefore: before?.status ?? null,
    statusAfter: after?.status ?? null,
    periods,
    changes: after === null ? ['over the derivation budget: it would be quarantined'] : diffSchedules(before, after),
  };
}
