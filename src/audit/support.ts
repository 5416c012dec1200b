// What the audit queries share: reading a contract's stream, an event as an auditor sees it, a contract's journals
// folded from its stream (the status rules are commands/journal.ts's, unchanged), the mapping versions, and finding
// the contract of a journal or the contracts of a legal entity through the read models.
import type { JournalState } from '../../commands/journal.js';
import { JOURNAL_EVENTS, evolveJournals, initialJournalState } from '../../commands/journal.js';
import { contractStream } from '../../commands/contract.js';
import type { ContractVersions, ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { contractVersions, postingStatus, revenueSchedule } from '../../projections/index.js';
import { formatPosition, upcast } from '../../schemas/index.js';
import type { JournalLine, JournalLineage } from '../../schemas/index.js';
import type { ReadStore } from '../readmodel/index.js';
import { dec, formatMoney, sumMoney } from '../revenue/index.js';
import type { EventStore } from '../store/index.js';
import type { JsonObject, RecordedEvent } from '../../schemas/index.js';
import type { AuditDeps, EventRef, JournalSummary, MappingVersionRef, Submission } from './types.js';

export async function streamEvents(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readStream(streamId)) out.push(upcast(e));
  return out;
}

/**
 * A mapping stream's events. Mapping streams are short, append-only and read on every audit query, so the events
 * are kept per store and reused while the stream's last revision is unchanged — checked on every call (one
 * backwards read of one event), so a version published through another node is seen at once. A caller that needs
 * only given versions (`versions`: a journal's lineage names the ones it was prepared with) skips that check when the
 * kept events hold all of them: a published version is an event, never changed.
 */
const mappingCache = new WeakMap<EventStore, Map<string, { revision: number; events: RecordedEvent[] }>>();

export async function mappingEvents(
  store: EventStore,
  streamId: string,
  versions?: readonly number[],
): Promise<RecordedEvent[]> {
  let byStream = mappingCache.get(store);
  if (!byStream) {
    byStream = new Map<string, { revision: number; events: RecordedEvent[] }>();
    mappingCache.set(store, byStream);
  }
  const kept = byStream.get(streamId);
  if (kept && versions && versions.every((v) => kept.events.some((e) => e.data.version === v))) return kept.events;
  let revision = -1;
  for await (const e of store.readStream(streamId, { direction: 'backwards', maxCount: 1 })) revision = e.revision;
  if (kept && kept.revision === revision) return kept.events;
  const events = await streamEvents(store, streamId);
  byStream.set(streamId, { revision: events.at(-1)?.revision ?? -1, events });
  return events;
}

export const contractEvents = (store: EventStore, contractId: string): Promise<RecordedEvent[]> =>
  streamEvents(store, contractStream(contractId));

export function eventRef(e: RecordedEvent): EventRef {
  const m = e.metadata;
  return {
    eventId: e.eventId,
    type: e.type,
    streamId: e.streamId,
    contractId: e.streamId.startsWith('contract-') ? e.streamId.slice('contract-'.length) : null,
    position: formatPosition(e.position),
    revision: e.revision,
    source: m.source ? { system: m.source.system, id: m.source.id, version: m.source.version } : null,
    receivedAt: m.receivedAt,
    recordedAt: e.recordedAt,
    occurredAt: typeof e.data.occurredAt === 'string' ? e.data.occurredAt : null,
    actor: m.actor ?? null,
    correlationId: m.correlationId ?? null,
    contentHash: m.contentHash,
    prevHash: m.prevHash,
  };
}

// ---- journals ----

/** A journal folded from its contract's stream: its summary, its own record (lines, lineage) and its events. */
export interface JournalRecord {
  summary: JournalSummary;
  prepared: RecordedEvent;
  lines: JournalLine[];
  lineage: JournalLineage;
  /** The JournalRejected event the current rejection came from. */
  rejectedBy: RecordedEvent | null;
}

interface Extra {
  prepared: RecordedEvent;
  submissions: Submission[];
  connector: string | null;
  supersededBy: string | null;
  rejectedBy: RecordedEvent | null;
}

const isJournalEvent = (type: string): boolean => (JOURNAL_EVENTS as readonly string[]).includes(type);

/** Every journal of a contract, in preparation order, from the contract's events (any subset, in stream order). */
export function journalsOf(contractId: string, events: readonly RecordedEvent[]): JournalRecord[] {
  let state: JournalState = initialJournalState(contractId);
  const extras = new Map<string, Extra>();
  for (const e of events) {
    if (!isJournalEvent(e.type)) continue;
    state = evolveJournals(state, e);
    const id = e.data.journalId as string;
    if (e.type === 'JournalPrepared') {
      extras.set(id, { prepared: e, submissions: [], connector: null, supersededBy: null, rejectedBy: null });
      const old = e.data.supersedes as string | null | undefined;
      const was = old ? extras.get(old) : undefined;
      if (was) was.supersededBy = id;
      continue;
    }
    const x = extras.get(id);
    if (!x) continue;
    x.connector = (e.data.connector as string | undefined) ?? x.connector;
    const at = e.metadata.receivedAt;
    if (e.type === 'JournalSubmitted') {
      x.submissions.push({
        attempt: (e.data.attempt as number | undefined) ?? x.submissions.length + 1,
        batchId: e.data.batchId as string,
        connector: e.data.connector as string,
        submittedAt: at,
        outcome: null,
        code: null,
        answeredAt: null,
      });
      continue;
    }
    const posted = e.type === 'JournalPosted';
    x.rejectedBy = posted ? null : e;
    const last = x.submissions[x.submissions.length - 1];
    if (last && last.outcome === null) {
      last.outcome = posted ? 'posted' : 'rejected';
      last.code = posted ? null : (e.data.code as string);
      last.answeredAt = at;
    }
  }
  const out: JournalRecord[] = [];
  for (const j of state.journals.values()) {
    const x = extras.get(j.journalId)!;
    const d = x.prepared.data;
    const lineage = d.lineage as unknown as JournalLineage;
    out.push({
      prepared: x.prepared,
      lines: j.lines,
      lineage,
      rejectedBy: j.status === 'rejected' ? x.rejectedBy : null,
      summary: {
        journalId: j.journalId,
        contractId,
        legalEntity: j.legalEntity,
        currency: j.currency,
        period: j.period,
        through: j.through,
        date: j.date,
        status: j.status,
        attempts: j.attempts,
        erpDocumentId: j.erpDocumentId,
        connector: x.connector,
        rejection: j.rejection,
        supersedes: j.supersedes,
        supersededBy: x.supersededBy,
        debit: formatMoney(sumMoney(j.lines.map((l) => dec(l.debit))), j.currency),
        credit: formatMoney(sumMoney(j.lines.map((l) => dec(l.credit))), j.currency),
        productMappingVersion: lineage.productMappingVersion,
        accountMappingVersion: lineage.accountMappingVersion,
        correlationIds: lineage.correlationIds ?? [],
        preparedEventId: x.prepared.eventId,
        preparedAt: x.prepared.metadata.receivedAt,
        submissions: x.submissions,
      },
    });
  }
  return out;
}

/**
 * The contract a journal belongs to: the posting-status read model's `journal:<id>` tag, else (a journal prepared
 * after the read model's checkpoint, or a read model built before the tag existed) one filtered pass over the log's
 * JournalPrepared events.
 */
export async function contractOfJournal(deps: AuditDeps, journalId: string): Promise<string | null> {
  const [key] = await deps.read.keysByTag(postingStatus.name, [`journal:${journalId}`]);
  if (key !== undefined) return key;
  for await (const e of deps.store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['JournalPrepared'] },
  })) {
    if (e.data.journalId === journalId) return e.data.contractId as string;
  }
  return null;
}

// ---- mappings ----

export type MappingIndex = Map<number, MappingVersionRef>;

/** Every published version of a mapping, by version number (at least `versions`, when given: see mappingEvents). */
export async function mappingIndex(
  store: EventStore,
  kind: 'products' | 'accounts',
  versions?: readonly number[],
): Promise<MappingIndex> {
  const out: MappingIndex = new Map();
  for (const e of await mappingEvents(store, `mapping-${kind}`, versions)) {
    const version = e.data.version as number;
    out.set(version, {
      kind,
      version,
      eventId: e.eventId,
      position: formatPosition(e.position),
      publishedAt: e.metadata.receivedAt,
      reason: (e.data.reason as string | undefined) ?? null,
      actor: e.metadata.actor ?? null,
    });
  }
  return out;
}

export function mappingRef(index: MappingIndex, kind: 'products' | 'accounts', version: number): MappingVersionRef {
  return (
    index.get(version) ?? {
      kind,
      version,
      eventId: null,
      position: null,
      publishedAt: null,
      reason: null,
      actor: null,
    }
  );
}

// ---- contracts of a legal entity ----

const PAGE = 500;

/**
 * The contract-versions documents of a legal entity (every one when absent), in key order. The read models carry no
 * legal-entity tag yet, so this pages through the contract-versions documents (the smallest per contract).
 */
export async function contractsOf(read: ReadStore, legalEntity?: string): Promise<ContractVersions[]> {
  const out: ContractVersions[] = [];
  let afterKey: string | undefined;
  for (;;) {
    const page = await read.list(contractVersions.name, { limit: PAGE, ...(afterKey ? { afterKey } : {}) });
    for (const { key, doc } of page) {
      if (key.startsWith('$')) continue;
      const cv = doc as ContractVersions;
      if (legalEntity === undefined || cv.legalEntity === legalEntity) out.push(cv);
    }
    if (page.length < PAGE) return out;
    afterKey = page[page.length - 1]!.key;
  }
}

export async function docsOf<D extends JsonObject>(
  read: ReadStore,
  projection: string,
  keys: readonly string[],
): Promise<Map<string, D>> {
  const out = new Map<string, D>();
  for (let i = 0; i < keys.length; i += PAGE) {
    const got = await read.getMany(projection, keys.slice(i, i + PAGE));
    for (const [k, v] of got) out.set(k, v as D);
  }
  return out;
}

// ---- computing projections in memory ----

/** An instant in one spelling (ISO 8601 UTC with milliseconds), so instants compare as strings. */
export function instant(text: string): string {
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) throw new Error(`not an instant: ${JSON.stringify(text)}`);
  return t.toISOString();
}

/**
 * The product mapping in force, folded the way the revenue-schedule projection folds its `$products` shared state:
 * from every publication, or from those Revtrail had received by `recordedAt`.
 */
export async function productsAt(store: EventStore, recordedAt: string | null): Promise<ProductsInForce> {
  const shared = revenueSchedule.shared!;
  let state = shared.initial();
  for (const e of await mappingEvents(store, 'mapping-products')) {
    if (recordedAt !== null && instant(e.metadata.receivedAt) > recordedAt) continue;
    if (shared.accepts(e)) state = shared.evolve(state, e);
  }
  return state;
}

/** The revenue-schedule document the projection would hold for these events under this mapping, derived. */
export function scheduleOf(
  contractId: string,
  events: readonly RecordedEvent[],
  products: ProductsInForce,
): RevenueScheduleDoc {
  let doc: RevenueScheduleDoc = revenueSchedule.initial(contractId);
  for (const e of events) doc = revenueSchedule.evolve(doc, e, products);
  return revenueSchedule.derive!(doc, products);
}
