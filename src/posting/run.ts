// A posting run: for every contract (of one legal entity, or all), prepare what its balances through the period
// still lack as a journal in its stream, then submit every journal not yet posted to the ERP connector in
// micro-batches, retrying retryable failures with backoff. Each step is an event appended with an expected revision,
// and each event id derives from the journal id and the step, so a run killed anywhere and run again continues where
// it stopped: nothing is prepared twice, and the connector's idempotency by journal id makes a resubmission find the
// ERP document instead of creating a second one.
//
// Cost argument (bench/posting): each contract stream is read once (twice for the contracts with journals to submit
// past the first CURSORS_KEPT, which bounds memory). What the run appends it folds into what it read, and later steps
// decide on that, appending at the revision it stands at; a clash (the stream moved: an ingested event, another run)
// means reading what was appended since and deciding again, in src/handling's command loop (one retry bound). Steps
// are appended for many contracts at once (appendMany: one transaction, one fsync on the embedded store), each at its
// own expected revision, so one contract's clash holds up no other.
import type { JournalEntry, JournalState } from '../../commands/journal.js';
import {
  decideOutcome,
  decidePrepare,
  decideSubmitted,
  evolveJournals,
  initialJournalState,
  journaledLines,
} from '../../commands/journal.js';
import { contractStream } from '../../commands/contract.js';
import type { ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { revenueSchedule } from '../../projections/index.js';
import { nextMonth } from '../revenue/index.js';
import { handleBatch } from '../handling/index.js';
import type { Exhausted } from '../handling/index.js';
import type { AppendRequest, AppendResult, EventStore } from '../store/index.js';
import type { ProposedEvent } from '../../schemas/index.js';
import { eventIdFor } from '../../schemas/index.js';
import type { Connector } from './connectors/index.js';
import type { PostingBlockCode, SubmitOutcome } from '../../schemas/index.js';
import { SimulatedConnector, guardedFind, guardedSubmit } from './connectors/index.js';
import { erpRouter, runNameFor } from './erp.js';
import type { ErpRouter } from './erp.js';
import type { ContractPrepareBase, PostingMappings } from './inputs.js';
import {
  bookedContracts,
  closedPeriodsReader,
  fxRateBlock,
  noteCorrelationId,
  postingInputOf,
  postingMappings,
} from './inputs.js';
import type { PostingLock } from './lock.js';
import { PostingLockLostError } from './lock.js';
import { prepareJournal } from './prepare.js';

export interface PostingRunOptions {
  period: string;
  legalEntity?: string;
  /**
   * Where each legal entity's journals go (the run's ErpRouter, which the caller releases). Without it the run routes
   * over `connector`: every entity's ERP when no entity register is published, and the ERP of the register's
   * `simulated` entries when it is a simulated one.
   */
  erps?: ErpRouter;
  connector?: Connector;
  /** Journals submitted concurrently. */
  batchSize?: number;
  /**
   * Attempts per journal in this run for retryable failures. A journal still CONNECTOR_UNAVAILABLE after them is left
   * for the next run; one still CONNECTOR_ERROR (the connector threw, hung or answered garbage) is rejected.
   */
  maxAttempts?: number;
  backoffMs?: number;
  /** How long one connector call may take before it counts as CONNECTOR_ERROR. */
  timeoutMs?: number;
  now?: () => Date;
  actor?: string;
  /**
   * The posting-run lock the run holds: confirmed before each micro-batch; once lost, the run submits nothing more
   * and throws PostingRunStoppedError with what it did until then.
   */
  lock?: Pick<PostingLock, 'signal' | 'confirm'>;
  /**
   * The run's correlation id, recorded on every journal event it appends (the request's that started it); default:
   * the run id. Each journal's own correlation ids (its source events') are in its lineage and go to the ERP.
   */
  correlationId?: string;
  /**
   * Where the run logs (a pino logger bound to the request's correlation id, or none): a line when it starts and ends,
   * and per journal, through a child logger bound to the journal id, contract and correlation ids, its submission and
   * the ERP's answer.
   */
  log?: PostingLogger;
}

/** The part of a pino logger a run uses. */
export interface PostingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child(bindings: Record<string, unknown>): PostingLogger;
}

const SILENT: PostingLogger = { info() {}, warn() {}, debug() {}, child: () => SILENT };

/**
 * A run stopped part-way because it lost the posting-run lock (POSTING_RUN_LOCK_LOST). Every journal it submitted
 * has its answer recorded, or is left submitted for the next run to settle with the ERP; none is sent twice.
 */
export class PostingRunStoppedError extends Error {
  override readonly name = 'PostingRunStoppedError';
  constructor(
    readonly code: PostingLockLostError['code'],
    message: string,
    /** What the run did before it stopped. */
    readonly summary: PostingRunSummary,
  ) {
    super(message);
  }
}

/** What a run did, in total and per legal entity. */
export interface PostingCounts {
  contracts: number;
  prepared: number;
  posted: number;
  rejected: Record<string, number>;
  /** Still failing retryably after the run's attempts: the next run tries them again. */
  retrying: number;
  /** Booked contracts in the run's scope that cannot be journaled now, per cause (listed by postingFailures). */
  blocked: Partial<Record<PostingBlockCode, number>>;
}

/** One legal entity's part of a run, and the connector its journals went to (null: none was needed). */
export interface EntityPostingOutcome extends PostingCounts {
  connector: string | null;
  /**
   * Why its journals could not be sent (ERP_NOT_CONFIGURED: a variable its register entry names is not set). They
   * stay prepared, counted in `retrying`, and the next run sends them once the cause is fixed.
   */
  erpUnavailable?: string;
}

export interface PostingRunSummary extends PostingCounts {
  runId: string;
  period: string;
  /** The entity register version the run routed by; null: none is published, every entity went to the configured ERP. */
  registerVersion: number | null;
  /** Per legal entity in the run's scope with a contract booked. */
  entities: Record<string, EntityPostingOutcome>;
}

const noCounts = (): PostingCounts => ({
  contracts: 0,
  prepared: 0,
  posted: 0,
  rejected: {},
  retrying: 0,
  blocked: {},
});

/** Counts something in the run's totals and in its legal entity's outcome alike. */
function tally(summary: PostingRunSummary, legalEntity: string, add: (counts: PostingCounts) => void): void {
  add(summary);
  add((summary.entities[legalEntity] ??= { connector: null, ...noCounts() }));
}

/** Contracts whose preparations are appended together (one appendMany). */
const PREPARE_CHUNK = 200;
/**
 * Contracts whose journal state is kept from preparation to submission; past this many, a contract's journals are
 * read again when submitted, so that memory stays bounded on a large company.
 */
const CURSORS_KEPT = 20_000;

type Context = () => { receivedAt: string; actor: string; correlationId: string };

/** A contract stream's journals as this run last read or wrote them, and the stream revision that state is at. */
interface Cursor {
  journals: JournalState;
  revision: number | null;
}

/** A contract's preparation: the JournalPrepared event, if anything moved, and the cursor it was decided on. */
interface Preparation {
  legalEntity: string;
  cursor: Cursor;
  events: ProposedEvent[];
}

interface Pending {
  contractId: string;
  journalId: string;
  legalEntity: string;
  /** Its legal entity's ERP. */
  connector: Connector;
}

/** The child logger of one journal's lines. */
const journalLog = (log: PostingLogger, p: Pending, j: JournalEntry | undefined): PostingLogger =>
  log.child({ journalId: p.journalId, contractId: p.contractId, correlationIds: j?.correlationIds ?? [] });

/** One read of a contract's stream: its schedule document (not yet derived), its journals, the revision read. */
async function readContract(
  store: EventStore,
  contractId: string,
  products: ProductsInForce,
): Promise<{ doc: RevenueScheduleDoc; cursor: Cursor; correlationIds: Map<string, string> }> {
  let doc = revenueSchedule.initial(contractId);
  let journals = initialJournalState(contractId);
  let revision: number | null = null;
  const correlationIds = new Map<string, string>();
  for await (const e of store.readStream(contractStream(contractId))) {
    doc = revenueSchedule.evolve(doc, e, products);
    journals = evolveJournals(journals, e);
    noteCorrelationId(correlationIds, e);
    revision = e.revision;
  }
  return { doc, cursor: { journals, revision }, correlationIds };
}

/** The cursor with whatever was appended to the stream after it folded in. */
async function catchUp(store: EventStore, cursor: Cursor): Promise<Cursor> {
  let { journals, revision } = cursor;
  const stream = contractStream(journals.contractId);
  for await (const e of store.readStream(stream, { fromRevision: (revision ?? -1) + 1 })) {
    journals = evolveJournals(journals, e);
    revision = e.revision;
  }
  return { journals, revision };
}

/** A contract's events to append, decided on the cursor they are appended at. */
interface Write {
  cursor: Cursor;
  events: ProposedEvent[];
}

/** The append of a write at the revision its cursor stands at; null when it has nothing to append. */
function appendAt(w: Write): AppendRequest | null {
  if (w.events.length === 0) return null;
  const streamId = contractStream(w.cursor.journals.contractId);
  return { streamId, events: w.events, expectedRevision: w.cursor.revision ?? 'no_stream' };
}

/**
 * The cursor after a write that stands: unchanged when it appended nothing, its events folded in when they landed
 * right after it. Where the store cannot vouch that exactly these events landed right after the cursor (an idempotent
 * no-op: another run wrote the same ids), the cursor catches up from the stream instead.
 */
async function cursorAfter(store: EventStore, w: Write, result: AppendResult | null): Promise<Cursor> {
  if (result === null) return w.cursor;
  const from = w.cursor.revision ?? -1;
  if (result.noop || result.nextExpectedRevision !== from + w.events.length) return catchUp(store, w.cursor);
  return { journals: w.events.reduce(evolveJournals, w.cursor.journals), revision: result.nextExpectedRevision };
}

/** The contracts the command loop gave up on (their streams moved on every attempt). */
function keptChanging(exhausted: readonly Exhausted<string>[]): Error {
  return new Error(`posting run: contract streams kept changing: ${exhausted.map((e) => e.key).join(', ')}`);
}

/**
 * Prepares a chunk of contracts through the command loop: each decided on one read of its stream, all appended in one
 * appendMany, a contract whose stream moved read and decided again in full (its schedule may have moved too).
 * `settle` gets every contract the run does not pass over, with its cursor after the preparation.
 */
async function prepareChunk(
  store: EventStore,
  contractIds: readonly string[],
  decide: (contractId: string) => Promise<Preparation | null>,
  settle: (contractId: string, preparation: Preparation, cursor: Cursor) => void,
): Promise<void> {
  const exhausted = await handleBatch<string, Preparation | null>(store, contractIds, {
    decide: async (ids) => {
      const decided: (Preparation | null)[] = [];
      for (const id of ids) decided.push(await decide(id));
      return decided;
    },
    appendOf: (d) => (d === null ? null : appendAt(d)),
    settled: async (id, d, result) => {
      if (d !== null) settle(id, d, await cursorAfter(store, d, result));
    },
  });
  if (exhausted.length > 0) throw keptChanging(exhausted);
}

export async function postingRun(store: EventStore, options: PostingRunOptions): Promise<PostingRunSummary> {
  const now = options.now ?? (() => new Date());
  const runId = eventIdFor(`posting-run|${options.period}|${options.legalEntity ?? '*'}|${now().toISOString()}`);
  const correlationId = options.correlationId ?? runId;
  const ctx: Context = () => ({
    receivedAt: now().toISOString(),
    actor: options.actor ?? 'posting-run',
    correlationId,
  });
  const log = (options.log ?? SILENT).child({ runId });
  log.info({ period: options.period, legalEntity: options.legalEntity ?? null }, 'posting run started');
  const mappings = await postingMappings(store);
  const contracts = await bookedContracts(store);

  const registerVersion = mappings.register?.version ?? null;
  const summary: PostingRunSummary = { runId, period: options.period, registerVersion, ...noCounts(), entities: {} };
  const erps = options.erps ?? defaultRouter(options, now());
  try {
    await prepareAndSubmit(store, options, { runId, ctx, log, mappings, contracts, summary, erps });
  } finally {
    if (!options.erps) await erps.release();
  }
  // An entity with nothing to send still shows where it posts.
  for (const [legalEntity, outcome] of Object.entries(summary.entities))
    outcome.connector ??= mappings.register?.entities.get(legalEntity)?.erp.connector ?? null;
  log.info({ ...summary }, 'posting run finished');
  return summary;
}

/** The router of a run given only a connector: that connector, and it again for `simulated` entries if it is one. */
function defaultRouter(options: PostingRunOptions, at: Date): ErpRouter {
  const connector = options.connector;
  if (!connector) throw new Error('posting run: give `erps` or `connector`');
  return erpRouter({
    runName: runNameFor(options.period, options.legalEntity, at),
    configured: () => connector,
    releaseConfigured: async () => undefined,
    simulated: () => (connector instanceof SimulatedConnector ? connector : new SimulatedConnector()),
    journalCode: 'LSYNC',
  });
}

interface RunState {
  runId: string;
  ctx: Context;
  log: PostingLogger;
  mappings: PostingMappings;
  contracts: readonly string[];
  summary: PostingRunSummary;
  erps: ErpRouter;
}

/** Prepares every contract's journal, then submits every open one to its legal entity's ERP in micro-batches. */
async function prepareAndSubmit(store: EventStore, options: PostingRunOptions, run: RunState): Promise<void> {
  const { runId, ctx, log, mappings, contracts, summary, erps } = run;
  const products = mappings.products;
  const closedIn = closedPeriodsReader(store);

  /** A contract's preparation, decided on one read of its stream; null for a contract the run passes over. */
  const decide = async (contractId: string): Promise<Preparation | null> => {
    const { doc, cursor, correlationIds } = await readContract(store, contractId, products);
    const input = postingInputOf(mappings, doc, options.legalEntity);
    if (!input) return null;
    // A translated contract with a rate missing through the period waits for it: the first run after it is
    // published prepares the journal.
    const blocked = 'blocked' in input ? input.blocked : fxRateBlock(input.base, options.period);
    if (blocked) {
      const code = blocked.code;
      tally(summary, blocked.legalEntity, (c) => (c.blocked[code] = (c.blocked[code] ?? 0) + 1));
      return null;
    }
    const base = (input as { base: ContractPrepareBase }).base;
    const le = base.contract.legalEntity;
    // The period to post in: the run's period, or the first open one after it when Revtrail has closed it.
    const closed = await closedIn(le);
    let postIn = options.period;
    while (closed.has(postIn)) postIn = nextMonth(postIn);
    const journal = prepareJournal({
      ...base,
      journaled: journaledLines(cursor.journals),
      through: options.period,
      postIn,
      correlationIds,
    });
    const event = decidePrepare(cursor.journals, journal, ctx());
    return { legalEntity: le, cursor, events: event ? [event] : [] };
  };

  // Every journal of a contract not yet posted (this run's, and any an earlier run left behind), and the contract's
  // cursor kept to submit them. The cursor keeps only those journals: the submission steps decide on the journal at
  // hand alone, and catching up folds in whatever else happens meanwhile, so the rest of the history is dead weight.
  const pending: Pending[] = [];
  const cursors = new Map<string, Cursor>();
  const ids = contracts;
  const settle = (id: string, d: Preparation, cursor: Cursor): void => {
    tally(summary, d.legalEntity, (c) => {
      c.contracts++;
      if (d.events.length > 0) c.prepared++;
    });
    const open = [...cursor.journals.journals.values()].filter(
      (j) => j.status === 'prepared' || j.status === 'submitted' || (j.status === 'rejected' && j.rejection?.retryable),
    );
    if (open.length === 0) return;
    const connector = connectorOf(erps, mappings, summary, d.legalEntity, open.length);
    if (connector === null) return;
    for (const j of open)
      pending.push({ contractId: id, journalId: j.journalId, legalEntity: d.legalEntity, connector });
    if (cursors.size < CURSORS_KEPT)
      cursors.set(id, {
        journals: { contractId: id, journals: new Map(open.map((j) => [j.journalId, j])) },
        revision: cursor.revision,
      });
  };
  for (let i = 0; i < ids.length; i += PREPARE_CHUNK)
    await prepareChunk(store, ids.slice(i, i + PREPARE_CHUNK), decide, settle);

  const batchSize = options.batchSize ?? 50;
  for (let i = 0; i < pending.length; i += batchSize) {
    await options.lock?.confirm();
    const reason: unknown = options.lock?.signal.reason;
    if (reason instanceof PostingLockLostError) throw new PostingRunStoppedError(reason.code, reason.message, summary);
    options.lock?.signal.throwIfAborted();
    const batch = pending.slice(i, i + batchSize);
    await submitBatch(store, { ...options, log }, batch, cursors, runId, ctx, summary);
    // A contract's journals are contiguous in `pending`: only the batch's last contract may have more to come.
    for (const p of batch) if (pending[i + batchSize]?.contractId !== p.contractId) cursors.delete(p.contractId);
  }
}

/**
 * The connector a legal entity's open journals go to, noted in its outcome; null when its ERP cannot be reached in
 * this run (a variable its register entry names is not set), its `open` journals then counted as retrying: one
 * entity's missing configuration holds up no other entity's posting.
 */
function connectorOf(
  erps: ErpRouter,
  mappings: PostingMappings,
  summary: PostingRunSummary,
  legalEntity: string,
  open: number,
): Connector | null {
  const routed = erps.connectorFor(legalEntity, mappings.register?.entities.get(legalEntity));
  const outcome = summary.entities[legalEntity]!;
  if ('code' in routed) {
    outcome.connector = mappings.register?.entities.get(legalEntity)?.erp.connector ?? null;
    outcome.erpUnavailable = routed.message;
    tally(summary, legalEntity, (c) => (c.retrying += open));
    return null;
  }
  outcome.connector = routed.name;
  return routed;
}

/**
 * For each journal, in order, the event `step` decides on its contract's state (each seeing the ones before it),
 * appended per contract at its cursor's revision; a contract whose stream moved catches up and decides again.
 * Returns each journal's entry as the step found it.
 */
async function appendSteps(
  store: EventStore,
  cursors: Map<string, Cursor>,
  journals: readonly Pending[],
  step: (state: JournalState, p: Pending, index: number) => ProposedEvent | null,
): Promise<JournalEntry[]> {
  const seen: JournalEntry[] = new Array<JournalEntry>(journals.length);
  const byContract = new Map<string, number[]>();
  journals.forEach((p, k) => byContract.set(p.contractId, [...(byContract.get(p.contractId) ?? []), k]));
  const contractIds = [...byContract.keys()];
  for (const contractId of contractIds) {
    if (!cursors.has(contractId))
      cursors.set(contractId, await catchUp(store, { journals: initialJournalState(contractId), revision: null }));
  }
  const exhausted = await handleBatch<string, Write>(store, contractIds, {
    decide: async (ids) =>
      ids.map((contractId) => {
        const cursor = cursors.get(contractId)!;
        let state = cursor.journals;
        const events: ProposedEvent[] = [];
        for (const k of byContract.get(contractId)!) {
          seen[k] = state.journals.get(journals[k]!.journalId)!;
          const event = step(state, journals[k]!, k);
          if (!event) continue;
          events.push(event);
          state = evolveJournals(state, event);
        }
        return { cursor, events };
      }),
    appendOf: appendAt,
    // The stream moved: catch up with what was appended and decide again.
    retry: async (contractId, w) => {
      cursors.set(contractId, await catchUp(store, w.cursor));
    },
    settled: async (contractId, w, result) => {
      cursors.set(contractId, await cursorAfter(store, w, result));
    },
  });
  if (exhausted.length > 0) throw keptChanging(exhausted);
  return seen;
}

/**
 * Settles the journals of the batch left `submitted` with no answer recorded (a process killed between the ERP call
 * and its record, an answer lost) by asking the ERP for the document under the journal id before anything is sent
 * again: found, the journal is posted with that document; absent, it is submitted as usual. When the ERP cannot say,
 * nothing may be concluded and nothing is resubmitted: the journal is left for the next run. Returns the journals to
 * submit.
 */
async function resolveInDoubt(
  store: EventStore,
  options: PostingRunOptions,
  batch: readonly Pending[],
  cursors: Map<string, Cursor>,
  ctx: Context,
  summary: PostingRunSummary,
): Promise<Pending[]> {
  const entries = await appendSteps(store, cursors, batch, () => null);
  const inDoubt = batch.filter((_, k) => entries[k]!.status === 'submitted');
  if (inDoubt.length === 0) return [...batch];
  const answers = await Promise.all(inDoubt.map((p) => guardedFind(p.connector, p.journalId, options.timeoutMs)));
  const found = new Map<string, string>();
  const unknown = new Set<string>();
  for (const [k, answer] of answers.entries()) {
    if (typeof answer === 'string') found.set(inDoubt[k]!.journalId, answer);
    else if (answer !== null) unknown.add(inDoubt[k]!.journalId);
  }
  const settled = inDoubt.filter((p) => found.has(p.journalId));
  for (const p of settled)
    journalLog(options.log ?? SILENT, p, entries[batch.indexOf(p)]).info(
      { erpDocumentId: found.get(p.journalId)!, alreadyPosted: true },
      'journal found posted in the ERP',
    );
  await appendSteps(store, cursors, settled, (s, p) =>
    decideOutcome(
      s,
      p.journalId,
      { status: 'posted', erpDocumentId: found.get(p.journalId)!, alreadyPosted: true },
      p.connector.name,
      ctx(),
    ),
  );
  for (const p of settled) tally(summary, p.legalEntity, (c) => c.posted++);
  for (const p of inDoubt) if (unknown.has(p.journalId)) tally(summary, p.legalEntity, (c) => c.retrying++);
  return batch.filter((p) => !found.has(p.journalId) && !unknown.has(p.journalId));
}

/**
 * Submits a micro-batch concurrently. Each attempt is recorded (JournalSubmitted) before the ERP is called and its
 * answer after, so a run killed in between resubmits, and the connector's idempotency finds the document.
 */
async function submitBatch(
  store: EventStore,
  options: PostingRunOptions,
  batch: readonly Pending[],
  cursors: Map<string, Cursor>,
  runId: string,
  ctx: Context,
  summary: PostingRunSummary,
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 4;
  let round = await resolveInDoubt(store, options, batch, cursors, ctx, summary);
  for (let attempt = 1; round.length > 0; attempt++) {
    const found = await appendSteps(store, cursors, round, (s, p) => {
      const submitted = decideSubmitted(s, p.journalId, { batchId: runId, connector: p.connector.name }, ctx());
      return 'eventId' in submitted ? submitted : null;
    });
    // A journal another process posted, or an accountant superseded, since this run listed it is not sent.
    const live = round.flatMap((p, k) =>
      found[k]!.status === 'posted' || found[k]!.status === 'superseded' ? [] : [{ p, j: found[k]! }],
    );
    round = live.map((x) => x.p);
    const journals = live.map((x) => x.j);
    const logs = round.map((p, k) => journalLog(options.log ?? SILENT, p, journals[k]));
    const answers: SubmitOutcome[] = await Promise.all(
      round.map((p, k) => {
        const j = journals[k]!;
        logs[k]!.debug({ attempt, connector: p.connector.name }, 'journal submitted');
        return guardedSubmit(
          p.connector,
          {
            journalId: j.journalId,
            legalEntity: p.legalEntity,
            currency: j.currency,
            date: j.date,
            period: j.period,
            description: `${p.contractId} through ${j.through}`,
            lines: j.lines,
            correlationIds: j.correlationIds,
          },
          options.timeoutMs,
        );
      }),
    );
    // A connector that keeps failing on a journal gets it rejected once the attempts are spent: a coded refusal an
    // accountant sees and re-prepares, rather than a journal retried forever.
    const outcomes = answers.map((o) =>
      o.status === 'rejected' && o.code === 'CONNECTOR_ERROR' && attempt >= maxAttempts
        ? { ...o, retryable: false }
        : o,
    );
    await appendSteps(store, cursors, round, (s, p, k) =>
      decideOutcome(s, p.journalId, outcomes[k]!, p.connector.name, ctx()),
    );
    const again: Pending[] = [];
    for (const [k, outcome] of outcomes.entries()) {
      if (outcome.status === 'posted')
        logs[k]!.info(
          { attempt, erpDocumentId: outcome.erpDocumentId, alreadyPosted: outcome.alreadyPosted },
          'journal posted',
        );
      else
        logs[k]!.warn(
          { attempt, code: outcome.code, retryable: outcome.retryable, message: outcome.message },
          'journal refused',
        );
      const p = round[k]!;
      if (outcome.status === 'posted') tally(summary, p.legalEntity, (c) => c.posted++);
      else if (outcome.retryable && attempt < maxAttempts) again.push(p);
      else if (outcome.retryable) tally(summary, p.legalEntity, (c) => c.retrying++);
      else tally(summary, p.legalEntity, (c) => (c.rejected[outcome.code] = (c.rejected[outcome.code] ?? 0) + 1));
    }
    if (again.length > 0) await new Promise((r) => setTimeout(r, (options.backoffMs ?? 200) * 2 ** (attempt - 1)));
    round = again;
  }
}
