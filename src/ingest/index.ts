// Ingestion: runs inbound events through schemas -> contract command -> event store, per event in request order.
//
// Concurrency argument: each contract's accepted events of one request are appended as one atomic request at the
// revision the decision was made on (optimistic concurrency); all contracts of a request go in one appendMany.
// On a clash the contract's state catches up from the stream and every event of its group is decided again, so a
// duplicate delivered concurrently becomes `duplicate`, never a second copy. An in-process lock per contract only avoids needless clashes between requests on this node; other
// nodes are handled by the expected revision alone. The state cache is an optimisation checked against the stream
// on every use (we read what was appended after the cached revision), so a second API node needs nothing from it.
import type { ContractState, Decision, Foldable, ReplayLineage } from '../../commands/contract.js';
import {
  asFoldable,
  contractStream,
  decide,
  draftOf,
  fold,
  foldInto,
  heldRejections,
  initialContractState,
  proposedAsFoldable,
} from '../../commands/contract.js';
import type { DomainError, InboundEvent, JsonObject, Limits, Position, ProposedEvent } from '../../schemas/index.js';
import { DEFAULT_LIMITS, domainError, formatPosition, parseInbound } from '../../schemas/index.js';
import type { FxRatesPublished } from '../../schemas/index.js';
import { isFxRatesInput, parseFxRates } from '../../schemas/index.js';
import { decideFxRate, evolveFxRates, fxRateStreamOf, initialFxRateStreamState } from '../../commands/fx-rates.js';
import type { AppendRequest, EventStore } from '../store/index.js';
import { RandomReplacementCache } from '../cache/index.js';
import { decideOnStream, handleBatch } from '../handling/index.js';
import type { Refusal } from './rejection.js';
import { rejectionEvents, rejectionStream } from './rejection.js';

export { MAX_KEPT_INPUT_BYTES, keptInput } from './rejection.js';

export type IngestStatus = 'appended' | 'duplicate' | 'held' | 'rejected';

export interface IngestResult {
  index: number;
  status: IngestStatus;
  eventId?: string;
  position?: string;
  errors?: DomainError[];
}

export interface IngestContext {
  /** Who sent it (API key name); recorded on every event. */
  actor: string;
  requestId?: string;
  /**
   * The request's correlation id: recorded on every event the request causes whose input carries none of its own
   * (the events it appends, the held events it rejects, the refusals it keeps).
   */
  correlationId?: string;
  /** A replay of a refused input: the lineage every event and refusal of the request carries. */
  lineage?: ReplayLineage;
  /** Where a failure to keep refusals after a commit is reported (the request's answer stands). */
  log?: { error(obj: object, msg: string): void };
}

export interface IngestOptions {
  /** The clock: the only place time enters the write side. */
  now?: () => Date;
  /** Contracts whose state is kept between requests (default 10,000); past that, one chosen at random makes room. */
  cacheSize?: number;
  /** Bounds on each event and contract; default DEFAULT_LIMITS. */
  limits?: Limits;
}

type Group = { index: number; event: InboundEvent }[];

interface Prepared {
  contractId: string;
  /** The stream's revision the decisions were made on (null: no stream yet). */
  baseRevision: number | null;
  /** The state with the request's accepted events folded in. */
  state: ContractState;
  decided: { index: number; decision: Decision }[];
  toAppend: ProposedEvent[];
  /** Held events this request's events resolved and that failed validation then. */
  heldRejected: Refusal[];
  last: Position | null;
}

/**
 * A large request is validated and decided in slices, each followed by a turn of the event loop: on the embedded
 * store every step of it is synchronous, and without the turns a 500-event request held the API's event loop for its
 * whole length, so a read arriving meanwhile waited for every request ahead of it (bench/graphql-ingest).
 */
const YIELD_EVERY_EVENTS = 50;
const YIELD_EVERY_CONTRACTS = 10;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Serialises async work per key within this process. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Waits for the key's lock; answers its release. */
  private async acquire(key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.runMany([key], work);
  }

  /**
   * Holds every key's lock; taken in sorted order, so two callers never wait on each other in a cycle. One after the
   * other in a loop: taking each inside the previous one's work nested a request of n contracts n async frames deep,
   * and copying the rest of the keys at each level cost n²/2 array slots.
   */
  async runMany<T>(sortedKeys: readonly string[], work: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const key of sortedKeys) releases.push(await this.acquire(key));
      return await work();
    } finally {
      for (const release of releases) release();
    }
  }
}

export class Ingestor {
  private readonly now: () => Date;
  private readonly limits: Limits;
  private readonly cache: RandomReplacementCache<ContractState>;
  private readonly locks = new KeyedLock();

  constructor(
    private readonly store: EventStore,
    options: IngestOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.cache = new RandomReplacementCache(options.cacheSize ?? 10_000);
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /**
   * Validates and applies a batch; one result per input, in input order. Refusals are kept in rejections-<day>:
   * those known before the append in the same appendMany as the accepted events (one transaction on the embedded
   * store), so an answer never follows a commit without them; only refusals that depend on the append's outcome are
   * kept after it, and a failure to keep those is logged rather than turning a committed request into an error.
   */
  async ingest(inputs: readonly unknown[], ctx: IngestContext): Promise<IngestResult[]> {
    const receivedAt = this.now().toISOString();
    const results: IngestResult[] = new Array<IngestResult>(inputs.length);
    const groups = new Map<string, Group>();
    const refused: Refusal[] = [];
    const rates: { index: number; event: FxRatesPublished }[] = [];

    for (const [index, input] of inputs.entries()) {
      if (index > 0 && index % YIELD_EVERY_EVENTS === 0) await yieldToEventLoop();
      if (isFxRatesInput(input)) {
        const rate = parseFxRates(input);
        if (rate.ok) rates.push({ index, event: rate.event });
        else refused.push({ index, input, errors: rate.errors });
        continue;
      }
      const parsed = parseInbound(input, this.limits);
      if (!parsed.ok) {
        refused.push({ index, input, errors: parsed.errors });
        continue;
      }
      const group = groups.get(parsed.event.contractId) ?? [];
      group.push({ index, event: parsed.event });
      groups.set(parsed.event.contractId, group);
    }

    const contractIds = [...groups.keys()].sort();
    const run = { inputs, receivedAt, ctx, unkept: refused };
    for (const { index, event } of rates) {
      const r = await this.publishRate(index, event, run);
      if (r.status === 'rejected') refused.push({ index, input: inputs[index], errors: r.errors! });
      else results[index] = r;
    }
    if (groups.size === 0) {
      // Nothing to commit: keeping the refusals is the whole request, and a failure to keep them is its failure.
      await this.store.appendMany(this.keepRequest(refused, run));
    } else {
      const outcomes = await this.locks.runMany(contractIds, () => this.commit(groups, run));
      for (const o of outcomes) results[o.index] = o;
      if (run.unkept.length > 0) await this.keepAfterCommit(run.unkept, run);
    }
    for (const r of refused)
      if (r.index !== null) results[r.index] = { index: r.index, status: 'rejected', errors: r.errors };
    return results;
  }

  /**
   * Feeds a sequence of inbound events (a file, a generator) through `ingest` in batches. `onBatch` sees each
   * batch's results, in order, and the running count per status.
   */
  async ingestAll(
    events: Iterable<unknown> | AsyncIterable<unknown>,
    ctx: IngestContext,
    options: {
      batchSize?: number;
      onBatch?: (results: IngestResult[], counts: Record<IngestStatus, number>) => void;
    } = {},
  ): Promise<Record<IngestStatus, number>> {
    const batchSize = options.batchSize ?? 500;
    const counts: Record<IngestStatus, number> = { appended: 0, duplicate: 0, held: 0, rejected: 0 };
    let batch: unknown[] = [];
    const flush = async (): Promise<void> => {
      const results = await this.ingest(batch, ctx);
      for (const r of results) counts[r.status]++;
      batch = [];
      options.onBatch?.(results, counts);
    };
    for await (const e of events) {
      batch.push(e);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    return counts;
  }

  /**
   * Decides every contract group on its current state and appends all of them in one appendMany (one transaction,
   * one fsync, on the embedded store) through the command loop, with the refusals already final. Groups whose append
   * clashed, or turned out to be already written by another delivery, are decided again on the caught-up state; the
   * others are final. Refusals of groups that appended are final only once their append succeeded: they are left in
   * `run.unkept`.
   */
  private async commit(groups: Map<string, Group>, run: Run): Promise<IngestResult[]> {
    const out: IngestResult[] = [];
    const exhausted = await handleBatch<string, Prepared>(this.store, [...groups.keys()], {
      decide: async (contractIds) => {
        const prepared: Prepared[] = [];
        for (let i = 0; i < contractIds.length; i += YIELD_EVERY_CONTRACTS) {
          if (i > 0) await yieldToEventLoop();
          const chunk = contractIds.slice(i, i + YIELD_EVERY_CONTRACTS);
          prepared.push(
            ...(await Promise.all(chunk.map((id) => this.prepare(id, groups.get(id)!, run.receivedAt, run.ctx)))),
          );
        }
        return prepared;
      },
      appendOf: (p) => (p.toAppend.length === 0 ? null : appendRequestOf(p)),
      alongside: (prepared) => {
        const final = [
          ...run.unkept,
          ...prepared.filter((p) => p.toAppend.length === 0).flatMap((p) => refusalsOf(p, run)),
        ];
        run.unkept = [];
        return this.keepRequest(final, run);
      },
      // These very events already written by a concurrent delivery: decide again (-> duplicate).
      again: (_, result) => result.noop === true,
      retry: (contractId) => {
        this.cache.delete(contractId);
      },
      settled: (contractId, p, result) => {
        if (result !== null) {
          p.last = result.position;
          run.unkept.push(...refusalsOf(p, run), ...p.heldRejected);
        }
        // The stream now holds exactly what `state` folded (at the same revisions): it is the cache's new entry.
        this.remember(contractId, p.state);
        out.push(...p.decided.map(({ index, decision }) => toResult(index, decision, p.toAppend, p.last)));
      },
    });
    for (const { key } of exhausted) {
      const refused = this.exhausted(groups.get(key)!);
      out.push(...refused);
      run.unkept.push(...refused.map((r) => ({ index: r.index, input: run.inputs[r.index], errors: r.errors! })));
    }
    return out;
  }

  /**
   * Appends a rate publication to its pair's stream (commands/fx-rates.ts), one at a time and in request order, each
   * through the command loop at the revision it was decided on; the pair's lock spares this node needless clashes.
   */
  private async publishRate(index: number, event: FxRatesPublished, run: Run): Promise<IngestResult> {
    const stream = fxRateStreamOf(event);
    const command = { event, receivedAt: run.receivedAt, actor: run.ctx.actor, correlationId: run.ctx.correlationId };
    const { decision } = await this.locks.run(stream, () =>
      decideOnStream(this.store, stream, initialFxRateStreamState(), evolveFxRates, (s) => decideFxRate(s, command)),
    );
    if (decision.outcome === 'rejected') return { index, status: 'rejected', errors: decision.errors };
    if (decision.outcome === 'duplicate') return { index, status: 'duplicate', eventId: decision.eventId };
    return { index, status: 'appended', eventId: decision.event.eventId };
  }

  /** Decides a contract's events of this request, in request order, each seeing the ones before it. */
  private async prepare(contractId: string, group: Group, receivedAt: string, ctx: IngestContext): Promise<Prepared> {
    // Later events of the same request see the ones before (a booking then its invoice, a repeat in one batch):
    // each accepted one is folded into the state, which this request owns until it settles.
    const state = await this.takeState(contractId);
    const baseRevision = state.revision;
    const toAppend: ProposedEvent[] = [];
    const decided: Prepared['decided'] = [];
    const owed: ProposedEvent[] = [];
    for (const { index, event } of group) {
      // The event's own correlation id (the source's), else the request's.
      const correlationId = event.correlationId ?? ctx.correlationId;
      const command = { event, receivedAt, actor: ctx.actor, correlationId, lineage: ctx.lineage };
      const decision = decide(state, command, this.limits);
      decided.push({ index, decision });
      if (decision.outcome === 'appended' || decision.outcome === 'held') {
        foldInto(state, [asFoldable(decision, (state.revision ?? -1) + 1)]);
        toAppend.push(decision.event);
        // Held events it resolved that fail validation now: their rejection goes in the same append.
        const rejections = heldRejections(state, { receivedAt, actor: ctx.actor, correlationId });
        if (rejections.length > 0) {
          const first = (state.revision ?? -1) + 1;
          foldInto(
            state,
            rejections.map((r, i) => proposedAsFoldable(r, first + i)),
          );
          toAppend.push(...rejections);
          owed.push(...rejections);
        }
      }
    }
    const heldRejected = owed.length === 0 ? [] : await this.heldRefusalsOf(contractId, owed, toAppend);
    return { contractId, baseRevision, state, decided, toAppend, heldRejected, last: null };
  }

  /** The inputs behind HeldEventRejected events, as they were sent, for rejections-*. */
  private async heldRefusalsOf(
    contractId: string,
    owed: ProposedEvent[],
    appending: ProposedEvent[],
  ): Promise<Refusal[]> {
    const wanted = new Set(owed.map((r) => r.data.rejectedEventId as string));
    const found = new Map<string, Pick<ProposedEvent, 'type' | 'data' | 'metadata'>>();
    for (const e of appending) if (wanted.has(e.eventId)) found.set(e.eventId, e);
    if (found.size < wanted.size)
      for await (const e of this.store.readStream(contractStream(contractId)))
        if (wanted.has(e.eventId)) found.set(e.eventId, e);
    return owed.map((r) => {
      const heldEventId = r.data.rejectedEventId as string;
      const stored = found.get(heldEventId);
      return {
        index: null,
        input: stored ? inboundOf(stored) : { eventId: heldEventId },
        errors: r.data.errors as unknown as DomainError[],
        heldEventId,
      };
    });
  }

  private exhausted(group: Group): IngestResult[] {
    return group.map(({ index }) => ({
      index,
      status: 'rejected' as const,
      errors: [
        domainError(
          'CONCURRENCY_RETRIES_EXHAUSTED',
          'the contract kept changing under this request; retry it',
          'contractId',
        ),
      ],
    }));
  }

  /**
   * The contract's state at its stream's head, as a copy of its own for the caller: the cached state itself is
   * handed to the next request on the contract, which folds its events into it.
   */
  async loadState(contractId: string): Promise<ContractState> {
    return draftOf(await this.stateAtHead(contractId));
  }

  /**
   * The contract's state at its stream's head for the request holding the contract's lock, to fold its own events
   * into: taken out of the cache, so no one else sees it change, and put back when the request settles. A request
   * that fails or clashes leaves no entry, and the next one reads the stream.
   */
  private async takeState(contractId: string): Promise<ContractState> {
    const state = await this.stateAtHead(contractId);
    this.cache.delete(contractId);
    return state;
  }

  /** Cached state caught up with whatever was appended since (the cache's entry after). */
  private async stateAtHead(contractId: string): Promise<ContractState> {
    const cached = this.cache.get(contractId) ?? initialContractState(contractId);
    // A cached state is usually current (this node appended last): one look at the stream's revision says so, which
    // costs the embedded store a row lookup where an empty read from the next revision cost a query and an iterator.
    const current =
      cached.revision !== null && (await this.store.streamRevision(contractStream(contractId))) === cached.revision;
    const fresh: Foldable[] = [];
    if (!current) {
      const from = cached.revision === null ? 0 : cached.revision + 1;
      for await (const e of this.store.readStream(contractStream(contractId), { fromRevision: from })) fresh.push(e);
    }
    const state = fresh.length === 0 ? cached : fold(cached, fresh);
    this.remember(contractId, state);
    return state;
  }

  /** When the cache is full, a new contract takes the place of one chosen at random (src/cache). */
  private remember(contractId: string, state: ContractState): void {
    this.cache.set(contractId, state);
  }

  /** The append request keeping refusals (rejections-<day> takes any revision, so it never clashes). */
  private keepRequest(refusals: readonly Refusal[], run: Run): AppendRequest[] {
    if (refusals.length === 0) return [];
    const events = rejectionEvents(refusals, run.receivedAt, run.ctx);
    return [{ streamId: rejectionStream(run.receivedAt), events, expectedRevision: 'any' }];
  }

  /**
   * Keeps refusals that were final only after a commit. The accepted events are stored and answered either way:
   * a failure here is logged with what was refused, not turned into an error for a request that was committed.
   */
  private async keepAfterCommit(refusals: readonly Refusal[], run: Run): Promise<void> {
    const [request] = this.keepRequest(refusals, run);
    try {
      await this.store.appendMany([request!]);
    } catch (err) {
      const refused = refusals.map((r) => ({ index: r.index, errors: r.errors }));
      run.ctx.log?.error({ err, refused }, 'could not keep refused inputs after the accepted ones were committed');
    }
  }
}

/** One request's inputs and context through the commit loop; `unkept` holds refusals not yet appended. */
interface Run {
  inputs: readonly unknown[];
  receivedAt: string;
  ctx: IngestContext;
  unkept: Refusal[];
}

function appendRequestOf(p: Prepared): AppendRequest {
  return {
    streamId: contractStream(p.contractId),
    events: p.toAppend,
    expectedRevision: p.baseRevision ?? 'no_stream',
  };
}

function refusalsOf(p: Prepared, run: Run): Refusal[] {
  return p.decided.flatMap(({ index, decision }) =>
    decision.outcome === 'rejected' ? [{ index, input: run.inputs[index], errors: decision.errors }] : [],
  );
}

/** A stored contract event in the form it was sent (POST /v1/events). */
function inboundOf(e: Pick<ProposedEvent, 'type' | 'data' | 'metadata'>): JsonObject {
  const { contractId, occurredAt, ...data } = e.data;
  return {
    type: e.type,
    contractId: contractId ?? null,
    source: (e.metadata.source as unknown as JsonObject | null) ?? null,
    occurredAt: occurredAt ?? null,
    data,
  };
}

function toResult(index: number, decision: Decision, appended: ProposedEvent[], last: Position | null): IngestResult {
  switch (decision.outcome) {
    case 'duplicate':
      return { index, status: 'duplicate', eventId: decision.eventId };
    case 'rejected':
      return { index, status: 'rejected', errors: decision.errors };
    default: {
      const r: IngestResult = { index, status: decision.outcome, eventId: decision.event.eventId };
      // Positions are known per event only where the store assigns them contiguously (the embedded store); the
      // last event of the append carries the append's position everywhere.
      if (last && appended[appended.length - 1] === decision.event) r.position = formatPosition(last);
      return r;
    }
  }
}
