// Lineage both ways (docs/graphql.md): backward from an ERP journal to the schedule lines,
// the exact source events and the mapping versions it was prepared from; forward from a source record (its system
// and id) to the events it became, the contract versions they made, the schedule periods they move, and the journals
// and ERP documents whose lineage names them. The contract stream is the truth read here: a journal's lines and
// lineage live in its JournalPrepared event, its fate in the events after it.
import type { RevenueScheduleDoc } from '../../projections/index.js';
import { contractVersions, lineageIndex, sourceTag } from '../../projections/index.js';
import type { EntityAccounts } from '../posting/index.js';
import { pairRates } from '../posting/index.js';
import type { Dec } from '../revenue/index.js';
import { dec, formatMoney, minus } from '../revenue/index.js';
import type { JournalLine, RecordedEvent } from '../../schemas/index.js';
import { comparePositions, upcast } from '../../schemas/index.js';
import { isVersionType } from '../../commands/versions.js';
import {
  contractEvents,
  contractOfJournal,
  eventRef,
  journalsOf,
  mappingIndex,
  mappingRef,
  productsAt,
  scheduleOf,
  mappingEvents,
} from './support.js';
import type { JournalRecord } from './support.js';
import type {
  AccountRole,
  AuditDeps,
  EventRef,
  Lineage,
  ObligationChange,
  PeriodChange,
  ScheduleLineRef,
  Trace,
  TracedContract,
  TracedVersion,
} from './types.js';

const BILLING = new Set(['InvoiceIssued', 'CreditMemoIssued']);

/** True when the event shapes the revenue of the obligation (contract line) `lineId`. */
function shapesObligation(e: RecordedEvent, lineId: string): boolean {
  const d = e.data;
  if (e.type === 'InvoiceIssued') return false; // billing is not performance (ASC 606-10-25-23)
  if (e.type === 'CreditMemoIssued' && d.reducesTransactionPrice !== true) return false;
  const lines = d.lines as { lineId: string }[] | undefined;
  if (lines) return lines.some((l) => l.lineId === lineId);
  if (typeof d.lineId === 'string') return d.lineId === lineId;
  // A cancellation, a contract-level service credit: every obligation.
  return true;
}

async function entityAccountsAt(deps: AuditDeps, version: number, legalEntity: string): Promise<EntityAccounts | null> {
  for (const e of await mappingEvents(deps.store, 'mapping-accounts', [version])) {
    if (e.data.version !== version) continue;
    const entity = (e.data.entities as unknown as { legalEntity: string; accounts: EntityAccounts }[]).find(
      (x) => x.legalEntity === legalEntity,
    );
    return entity?.accounts ?? null;
  }
  return null;
}

function roleOf(account: string, obligation: string | null, accounts: EntityAccounts | null): AccountRole {
  if (obligation !== null) return 'revenue';
  if (!accounts) return 'other';
  for (const role of ['receivable', 'taxPayable', 'deferredRevenue', 'contractAsset'] as const)
    if (accounts[role] === account) return role;
  return 'other';
}

/** The FxRatesPublished events a journal's translated lines name, read from their pairs' streams, by event id. */
async function rateEventsOf(
  deps: AuditDeps,
  lines: readonly JournalLine[],
  functional: string,
): Promise<Map<string, EventRef>> {
  const wanted = new Set(lines.flatMap((l) => (l.fx ? [l.fx.rateEventId] : [])));
  const out = new Map<string, EventRef>();
  for (const currency of new Set(lines.flatMap((l) => (l.fx ? [l.fx.currency] : []))))
    for (const e of await pairRates(deps.store, currency, functional))
      if (wanted.has(e.eventId)) out.set(e.eventId, eventRef(e));
  return out;
}

/**
 * Backward from a journal: each line to its schedule line and source events, the mapping versions, the ERP document
 * and posting status. `contractId`, when the caller knows it, saves finding the journal's contract. Null for an
 * unknown journal.
 */
export async function lineage(
  deps: AuditDeps,
  journalId: string,
  options: { contractId?: string } = {},
): Promise<Lineage | null> {
  const contractId = options.contractId ?? (await contractOfJournal(deps, journalId));
  if (contractId === null) return null;
  const events = await contractEvents(deps.store, contractId);
  const record = journalsOf(contractId, events).find((j) => j.summary.journalId === journalId);
  if (!record) return null;
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const sources = record.lineage.sourceEventIds
    .map((id) => byId.get(id))
    .filter((e): e is RecordedEvent => e !== undefined)
    .sort((a, b) => a.revision - b.revision);
  const productVersions = [
    record.lineage.productMappingVersion,
    ...record.lineage.scheduleLines.map((l) => l.mappingVersion),
  ];
  const [products, accountsIndex] = await Promise.all([
    mappingIndex(deps.store, 'products', productVersions),
    mappingIndex(deps.store, 'accounts', [record.lineage.accountMappingVersion]),
  ]);
  const accounts = await entityAccountsAt(deps, record.lineage.accountMappingVersion, record.summary.legalEntity);
  const scheduleLines: ScheduleLineRef[] = record.lineage.scheduleLines.map((l) => ({
    obligation: l.lineId,
    sku: l.sku,
    through: l.through,
    recognisedToDate: l.recognisedToDate,
    mappingVersion: l.mappingVersion,
    productMapping: mappingRef(products, 'products', l.mappingVersion),
  }));
  const rateEvents = await rateEventsOf(deps, record.lines, record.summary.currency);
  const lines = record.lines.map((l, index) => {
    const obligation = l.dimensions.obligation ?? null;
    const role = roleOf(l.account, obligation, accounts);
    const mine =
      role === 'revenue'
        ? sources.filter((e) => shapesObligation(e, obligation!))
        : role === 'receivable' || role === 'taxPayable'
          ? sources.filter((e) => BILLING.has(e.type))
          : sources;
    return {
      index,
      account: l.account,
      role,
      debit: l.debit,
      credit: l.credit,
      description: l.description,
      dimensions: Object.entries(l.dimensions)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, value })),
      obligation,
      sku: l.dimensions.sku ?? null,
      scheduleLine: obligation === null ? null : (scheduleLines.find((s) => s.obligation === obligation) ?? null),
      sourceEvents: mine.map(eventRef),
      fx: l.fx ? { ...l.fx, rateEvent: rateEvents.get(l.fx.rateEventId) ?? null } : null,
    };
  });
  return {
    journal: record.summary,
    prepared: eventRef(record.prepared),
    lines,
    scheduleLines,
    sourceEvents: sources.map(eventRef),
    productMapping: mappingRef(products, 'products', record.lineage.productMappingVersion),
    accountMapping: mappingRef(accountsIndex, 'accounts', record.lineage.accountMappingVersion),
  };
}

// ---- trace ----

const money = (value: Dec, currency: string | null): string =>
  currency === null ? value.toFixed() : formatMoney(value, currency);

/** Per period: how the schedule (per obligation) and the billing with the events differ from those without them. */
function periodChanges(without: RevenueScheduleDoc, withEvents: RevenueScheduleDoc): PeriodChange[] {
  const currency = withEvents.schedule?.currency ?? without.schedule?.currency ?? null;
  const skuOf = new Map<string, string>();
  for (const o of [...(without.schedule?.obligations ?? []), ...(withEvents.schedule?.obligations ?? [])])
    skuOf.set(o.lineId, o.sku);
  const periodsOf = (d: RevenueScheduleDoc) => new Map((d.schedule?.periods ?? []).map((p) => [p.period, p]));
  const billedOf = (d: RevenueScheduleDoc) => new Map(d.balances.map((b) => [b.period, b.billed]));
  const [pa, pb, ba, bb] = [periodsOf(without), periodsOf(withEvents), billedOf(without), billedOf(withEvents)];
  const periods = [...new Set([...pa.keys(), ...pb.keys(), ...ba.keys(), ...bb.keys()])].sort();
  const out: PeriodChange[] = [];
  for (const period of periods) {
    const a = pa.get(period);
    const b = pb.get(period);
    const obligations: ObligationChange[] = [];
    for (const lineId of [...new Set([...Object.keys(a?.lines ?? {}), ...Object.keys(b?.lines ?? {})])].sort()) {
      const x = dec(a?.lines[lineId] ?? '0');
      const y = dec(b?.lines[lineId] ?? '0');
      if (x.eq(y)) continue;
      obligations.push({
        obligation: lineId,
        sku: skuOf.get(lineId) ?? '',
        without: money(x, currency),
        with: money(y, currency),
        change: money(minus(y, x), currency),
      });
    }
    const recognised = minus(dec(b?.total ?? '0'), dec(a?.total ?? '0'));
    const billed = minus(dec(bb.get(period) ?? '0'), dec(ba.get(period) ?? '0'));
    if (obligations.length === 0 && recognised.isZero() && billed.isZero()) continue;
    out.push({
      period,
      recognisedChange: money(recognised, currency),
      billedChange: money(billed, currency),
      obligations,
    });
  }
  return out;
}

/**
 * Forward from a source record: every event carrying `source {system, id}` (any source version), and per contract
 * the versions they made, the schedule periods they change, and the journals whose lineage names them with their
 * ERP documents. The events are found in the streams of the contracts the lineage-index projection names for the
 * source record, and in the log after that projection's checkpoint.
 */
export async function trace(deps: AuditDeps, system: string, id: string): Promise<Trace> {
  // The contracts the source record touched, from the lineage index; then only their streams are read.
  const tag = sourceTag(system, id);
  const found: RecordedEvent[] = [];
  const isIt = (raw: RecordedEvent) => raw.metadata.source?.system === system && raw.metadata.source.id === id;
  // The checkpoint first: an event the index reaches after it is read is then found in its stream, and skipped below.
  const checkpoint = await deps.read.checkpoint(lineageIndex.name);
  for (const contractId of await deps.read.keysByTag(lineageIndex.name, [tag])) {
    for (const raw of await contractEvents(deps.store, contractId)) if (isIt(raw)) found.push(upcast(raw));
  }
  // Events the index has not reached yet (projection lag): the log after its checkpoint.
  const seen = new Set(found.map((e) => e.eventId));
  for await (const raw of deps.store.readAll({ after: checkpoint, filter: { streamPrefixes: ['contract-'] } })) {
    if (isIt(raw) && !seen.has(raw.eventId)) found.push(upcast(raw));
  }
  found.sort((a, b) => comparePositions(a.position, b.position));
  return { system, id, events: found.map(eventRef), contracts: await tracedContracts(deps, found) };
}

/**
 * Per contract of the traced events (contract events, in log order): the versions they made, the schedule periods
 * they change, and the journals whose lineage names them with their ERP documents. `alsoJournal` keeps a journal
 * whose lineage names none of them (a trace by correlation id keeps those carrying the id).
 */
export async function tracedContracts(
  deps: AuditDeps,
  found: readonly RecordedEvent[],
  alsoJournal: (j: JournalRecord) => boolean = () => false,
): Promise<TracedContract[]> {
  const byContract = new Map<string, RecordedEvent[]>();
  for (const e of found) {
    const contractId = e.data.contractId as string;
    byContract.set(contractId, [...(byContract.get(contractId) ?? []), e]);
  }
  const products = await productsAt(deps.store, null);
  const contracts: TracedContract[] = [];
  for (const [contractId, mine] of byContract) {
    const ids = new Set(mine.map((e) => e.eventId));
    const events = await contractEvents(deps.store, contractId);
    let cv = contractVersions.initial(contractId);
    for (const e of events) cv = contractVersions.evolve(cv, e, {});
    const versions: TracedVersion[] = mine
      .filter((e) => isVersionType(e.type))
      .map((e) => {
        const version = e.data.version as number;
        const rejected = cv.rejectedVersions.some((r) => r.eventId === e.eventId);
        return {
          version,
          type: e.type,
          effectiveDate: (e.data.effectiveDate ?? e.data.bookingDate) as string,
          eventId: e.eventId,
          applied: !rejected && version <= cv.versionInForce,
          inForce: !rejected && version === cv.versionInForce,
        };
      });
    const withEvents = scheduleOf(contractId, events, products);
    const without = scheduleOf(
      contractId,
      events.filter((e) => !ids.has(e.eventId)),
      products,
    );
    const journals = journalsOf(contractId, events)
      .map((j) => ({ j, eventIds: j.lineage.sourceEventIds.filter((x) => ids.has(x)) }))
      .filter(({ j, eventIds }) => eventIds.length > 0 || alsoJournal(j))
      .map(({ j, eventIds }) => ({ journal: j.summary, eventIds }));
    contracts.push({
      contractId,
      legalEntity: cv.legalEntity,
      currency: cv.currency,
      events: mine.map(eventRef),
      versions,
      scheduleChanges: periodChanges(without, withEvents),
      journals,
    });
  }
  return contracts;
}
