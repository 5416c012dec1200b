// The change subscriptions: `scheduleChanged` and `postingStatusChanged`, resumable from a position. Their
// SDL extends the base schema (schema.ts).
//
// Stateless like `ledgerEvents` (no in-process pubsub, so any API node serves any subscriber): each
// subscription follows the event store from the subscriber's position, keeps the events that change the projection it
// reports on, waits until that projection's read-model checkpoint has passed the event (the runner may live in another
// process, so the checkpoint is polled), then reads the documents and emits one change per affected contract. The
// store delivers every event after the position exactly once and in log order, so resuming from the last change's
// `resumeFrom` is gap-free and duplicate-free by construction. One event may change several contracts (a product
// mapping change reaches every contract using a SKU whose entry changed); those changes are emitted in contract id
// order and each carries `<position>#<contractId>` as its resume point, so a subscriber that drops half-way through
// one mapping change resumes with the next contract of that same change.
import type { IResolvers } from 'mercurius';
import { contractStream } from '../../commands/contract.js';
import { JOURNAL_EVENTS } from '../../commands/journal.js';
import { postingStatus, revenueSchedule } from '../../projections/index.js';
import type { PostingJournal, PostingStatusDoc, ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { comparePositions, formatPosition, parsePosition, upcast } from '../../schemas/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { Schedule } from '../revenue/index.js';
import type { EventStore, Subscription } from '../store/index.js';
import type { AllFilter, JsonObject, Position, RecordedEvent } from '../../schemas/index.js';
import { requireRead } from './auth.js';
import { codedError } from './errors.js';
import { ledgerEvent } from './events.js';
import type { GraphqlContext } from './loader.js';
import { DocLoader } from './loader.js';

export const changeTypeDefs = /* GraphQL */ `
  extend type Subscription {
    """
    A contract's revenue schedule changed: after \`fromPosition\` (exclusive; absent: from the start of the log),
    catch-up then live, one change per contract per cause, each exactly once, in log order. A cause is a contract event
    the schedule reads (booking, amendment, cancellation, activation, milestone, usage, credit, invoice) or a product
    mapping change that concerns the contract. A change is sent once the revenue-schedule projection has applied its
    cause; resume from the last change's \`resumeFrom\`.
    """
    scheduleChanged(contractId: ID, fromPosition: String): ScheduleChange!
    """
    A journal's posting status changed (prepared, submitted, posted, rejected, superseded): after \`fromPosition\`,
    catch-up then live, each exactly once, in log order, once the posting-status projection has applied it; resume
    from the last change's \`resumeFrom\`.
    """
    postingStatusChanged(contractId: ID, fromPosition: String): PostingStatusChange!
  }

  type ScheduleChange {
    "Pass as \`fromPosition\` to resume after this change (\\"C\\", or \\"C#contractId\\" within a mapping change)."
    resumeFrom: String!
    "Position of the cause in the log."
    position: String!
    contractId: ID!
    "The event that changed the schedule: a contract event, or a ProductMappingPublished."
    cause: LedgerEvent!
    "The contract version the schedule applies facts up to."
    versionInForce: Int!
    "Facts waiting for the booking or for an earlier version."
    heldFacts: Int!
    "The schedule as the projection holds it once it has applied the cause (it may already hold later changes)."
    schedule: Schedule
    balances: [PeriodBalance!]!
  }

  type PostingStatusChange {
    "Pass as \`fromPosition\` to resume after this change."
    resumeFrom: String!
    "Position of the cause in the log."
    position: String!
    contractId: ID!
    "The journal event: JournalPrepared, JournalSubmitted, JournalPosted or JournalRejected."
    cause: LedgerEvent!
    "The journal the cause is about, as the projection holds it once it has applied the cause."
    journal: Journal
    "Every journal of the contract, in preparation order."
    journals: [Journal!]!
    counts: JournalCounts!
  }
`;

/** A change as sent: the fields of ScheduleChange or PostingStatusChange. */
type Change = Record<string, unknown>;

interface ChangeArgs {
  contractId?: string | null;
  fromPosition?: string | null;
}

/** Where a subscriber resumes: after a position, and within the changes of the event there, after a contract. */
interface ResumePoint {
  after: Position | null;
  contractId: string | null;
}

function parseResume(text: string | null | undefined): ResumePoint {
  if (!text) return { after: null, contractId: null };
  const hash = text.indexOf('#');
  try {
    if (hash < 0) return { after: parsePosition(text), contractId: null };
    const contractId = text.slice(hash + 1);
    if (contractId === '') throw new Error('empty contract id');
    return { after: parsePosition(text.slice(0, hash)), contractId };
  } catch {
    throw codedError(
      'INVALID_ARGUMENT',
      'fromPosition is a resumeFrom a change carried ("C", "C/P" or "C#contractId")',
    );
  }
}

/** What one subscription reports: the projection it waits for, the events it follows, and the changes they make. */
interface Feed {
  projection: string;
  filter: AllFilter;
  /** True for an event that changes the projection's document of one or more contracts. */
  relevant(e: RecordedEvent): boolean;
  /** The contracts the event changed, in contract id order; asked once the projection has applied the event. */
  contractsOf(e: RecordedEvent): Promise<string[]>;
  /** One change: the cause, the contract and its document as the projection now holds it. */
  change(e: RecordedEvent, contractId: string, doc: JsonObject | null): Change;
}

/** How often a subscription waiting for a projection reads its checkpoint. */
const CHECKPOINT_POLL_MS = 25;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The changes of a feed from a resume point, as an async iterator. `return()` closes the store subscription and stops
 * any wait for the checkpoint at once, so a subscriber that leaves holds nothing open.
 */
function changes(
  read: ReadStore,
  store: EventStore,
  feed: Feed,
  from: ResumePoint,
  resumeEvent: RecordedEvent | null,
): AsyncIterableIterator<Change> {
  const sub: Subscription = store.subscribeToAll({ after: from.after, filter: feed.filter });
  const events = sub[Symbol.asyncIterator]();
  const ready: Change[] = [];
  let first = resumeEvent;
  let closed = false;
  // The projection's checkpoint as last read: events at or before it need no wait (a catch-up reads it once).
  let reached: Position | null = null;

  const applied = async (p: Position): Promise<boolean> => {
    while (reached === null || comparePositions(reached, p) < 0) {
      if (closed) return false;
      reached = await read.checkpoint(feed.projection);
      if (reached !== null && comparePositions(reached, p) >= 0) break;
      await sleep(CHECKPOINT_POLL_MS);
    }
    return !closed;
  };

  const expand = async (e: RecordedEvent, after: string | null): Promise<void> => {
    if (!feed.relevant(e) || !(await applied(e.position))) return;
    const contracts = (await feed.contractsOf(e)).filter((c) => after === null || c > after);
    if (contracts.length === 0) return;
    const docs = await read.getMany(feed.projection, contracts);
    for (const c of contracts) ready.push(feed.change(e, c, docs.get(c) ?? null));
  };

  const done = { done: true as const, value: undefined };
  const iterator: AsyncIterableIterator<Change> = {
    async next() {
      for (;;) {
        if (closed) return done;
        const item = ready.shift();
        if (item !== undefined) return { done: false, value: item };
        if (first !== null) {
          const e = first;
          first = null;
          await expand(e, from.contractId);
          continue;
        }
        const r = await events.next();
        if (r.done) return done;
        await expand(r.value, null);
      }
    },
    async return() {
      closed = true;
      await sub.close();
      return done;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** The schedule as the Schedule type shows it: periods with their lines as a list. */
function scheduleNode(s: Schedule): JsonObject {
  return {
    ...(s as unknown as JsonObject),
    periods: s.periods.map((p) => ({
      period: p.period,
      amount: p.total,
      cumulative: p.cumulative,
      lines: Object.entries(p.lines).map(([lineId, amount]) => ({ lineId, amount })),
    })),
  };
}

/** A journal as the Journal type shows it: its id, contract and accounts as a list. */
function journalNode(contractId: string, j: PostingJournal): JsonObject {
  return {
    ...j,
    id: j.journalId,
    contractId,
    accounts: Object.entries(j.accounts).map(([account, amount]) => ({ account, amount })),
  };
}

const MAPPING_STREAM = 'mapping-products';
/** The revenue-schedule tag of a contract using a SKU (`sku:<SKU>`). */
const SKU_TAG = 'sku:';

/** True when a version of the contract stored before the position uses one of the SKUs. */
async function usedBefore(store: EventStore, contractId: string, skus: ReadonlySet<string>, at: Position) {
  for await (const e of store.readStream(contractStream(contractId))) {
    if (comparePositions(e.position, at) >= 0) return false;
    if (e.type !== 'ContractBooked' && e.type !== 'ContractAmended') continue;
    if ((upcast(e).data.lines as { sku: string }[]).some((l) => skus.has(l.sku))) return true;
  }
  return false;
}
const isJournalEvent = (type: string): boolean => (JOURNAL_EVENTS as readonly string[]).includes(type);

function scheduleFeed(read: ReadStore, store: EventStore, contractId: string | null): Feed {
  const stream = contractId === null ? null : contractStream(contractId);
  const products = revenueSchedule.shared!;
  return {
    projection: revenueSchedule.name,
    filter: { streamPrefixes: [stream ?? 'contract-', MAPPING_STREAM] },
    relevant: (e) =>
      e.streamId === MAPPING_STREAM
        ? products.accepts(e)
        : (stream === null || e.streamId === stream) &&
          // Journal steps are folded into the document (its event count) but change no schedule.
          !isJournalEvent(e.type) &&
          revenueSchedule.keyOf(e) !== null,
    contractsOf: async (e) => {
      if (e.streamId !== MAPPING_STREAM) return [revenueSchedule.keyOf(e)!];
      // The mapping in force before this change, folded from the mapping stream as the projection folds it; the
      // contracts it concerns are those tagged with a SKU whose entry changed.
      let before: ProductsInForce = products.initial();
      if (e.revision > 0)
        for await (const m of store.readStream(MAPPING_STREAM, { maxCount: e.revision }))
          if (products.accepts(m)) before = products.evolve(before, upcast(m));
      const tags = products.affected(before, products.evolve(before, upcast(e)));
      const skus = new Set(tags.map((t) => t.slice(SKU_TAG.length)));
      // Tags are the documents' as they stand now, and a contract's SKUs only grow: a candidate concerned now may not
      // have been when the mapping changed (booked, or the SKU added, later — that event is its own change).
      const candidates = (await read.keysByTag(revenueSchedule.name, tags)).filter(
        (k) => k !== products.key && (contractId === null || k === contractId),
      );
      const concerned: string[] = [];
      for (const c of candidates.sort()) if (await usedBefore(store, c, skus, e.position)) concerned.push(c);
      return concerned;
    },
    change: (e, c, doc) => {
      const d = doc as RevenueScheduleDoc | null;
      return {
        resumeFrom: e.streamId === MAPPING_STREAM ? `${formatPosition(e.position)}#${c}` : formatPosition(e.position),
        position: formatPosition(e.position),
        contractId: c,
        cause: ledgerEvent(e),
        versionInForce: d?.versionInForce ?? 0,
        heldFacts: d?.pending.length ?? 0,
        schedule: d?.schedule ? scheduleNode(d.schedule) : null,
        balances: d?.balances ?? [],
      };
    },
  };
}

function postingFeed(contractId: string | null): Feed {
  const stream = contractId === null ? null : contractStream(contractId);
  return {
    projection: postingStatus.name,
    filter: { streamPrefixes: [stream ?? 'contract-'], eventTypePrefixes: [...JOURNAL_EVENTS] },
    relevant: (e) =>
      (stream === null || e.streamId === stream) && isJournalEvent(e.type) && postingStatus.keyOf(e) !== null,
    contractsOf: async (e) => [postingStatus.keyOf(e)!],
    change: (e, c, doc) => {
      const d = (doc as PostingStatusDoc | null) ?? postingStatus.initial(c);
      const journals = d.journals.map((j) => journalNode(c, j));
      return {
        resumeFrom: formatPosition(e.position),
        position: formatPosition(e.position),
        contractId: c,
        cause: ledgerEvent(e),
        journal: journals.find((j) => j.id === e.data.journalId) ?? null,
        journals,
        counts: d.counts,
      };
    },
  };
}

/** The event a `C#contractId` resume point names: a product mapping change, found in the (short) mapping stream. */
async function mappingEventAt(store: EventStore, at: Position): Promise<RecordedEvent> {
  for await (const e of store.readStream(MAPPING_STREAM))
    if (comparePositions(e.position, at) === 0 && revenueSchedule.shared!.accepts(e)) return e;
  throw codedError('INVALID_ARGUMENT', 'fromPosition names no product mapping change ("C#contractId")');
}

export function changeResolvers({
  read,
  store,
  keys,
}: {
  read: ReadStore;
  store: EventStore;
  keys: KeyRing;
}): IResolvers {
  const subscription = (feedOf: (contractId: string | null) => Feed) => ({
    subscribe: async (_root: unknown, args: ChangeArgs, ctx: GraphqlContext) => {
      await requireRead(keys, ctx.request?.headers.authorization);
      const from = parseResume(args.fromPosition);
      const resumeEvent =
        from.contractId !== null && from.after !== null ? await mappingEventAt(store, from.after) : null;
      return changes(read, store, feedOf(args.contractId ?? null), from, resumeEvent);
    },
    resolve: (change: Change, _args: unknown, ctx: GraphqlContext) => {
      // The subscription's context lives as long as the connection; a fresh loader per change keeps the documents
      // nested fields read (a journal's contract) as new as the change instead of as old as the first one.
      ctx.docs = new DocLoader(read);
      return change;
    },
  });
  return {
    Subscription: {
      scheduleChanged: subscription((c) => scheduleFeed(read, store, c)),
      postingStatusChanged: subscription((c) => postingFeed(c)),
    },
  } as IResolvers;
}
