// Ingestion: runs inbound events through schemas -> contract command -> event store, per event in request order.
//
// Concurrency argument: each contract's accepted events of one request are appended as one atomic request at the
// revision the decision was made on (optimistic concurrency); all contracts of a request go in one appendMany.
// On a clash the contract's state catches up from the stream and every event of its group is decided again, so a
// duplicate delivered concurrently becomes `duplicate`, never a second copy. An in-process lock per contract only avoids needless clashes between requests on this node; other
// nodes are handled by the expected revision alone. The state cache is an optimisation checked against the stream
// on every use (we read what was appended after the cached revision), so a second API node needs nothing from it.
import { randomUUID } from 'node:crypto';
import type { ContractState, Decision, Foldable } from '../../commands/contract.js';
import {
  asFoldable,
  contractStream,
  decide,
  fold,
  heldRejections,
  initialContractState,
  proposedAsFoldable,
} from '../../commands/contract.js';
import type { DomainError, InboundEvent } from '../../schemas/index.js';
import { domainError, parseInbound } from '../../schemas/index.js';
import type { EventStore, JsonObject, Position, ProposedEvent } from '../store/index.js';
import { WrongExpectedVersionError, formatPosition } from '../store/index.js';

export { decideOnStream } from './stream.js';

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
}

export interface IngestOptions {
  /** The clock: the only place time enters the write side. */
  now?: () => Date;
  maxRetries?: number;
  cacheSize?: number;
}

type Group = { index: number; event: InboundEvent }[];

/** A refused input kept in rejections-*: one of the request (`index`), or a held event rejected on apply. */
interface Refusal {
  index: number | null;
  input: unknown;
  errors: DomainError[];
  /** A held event rejected on apply: its stored id. */
  heldEventId?: string;
}

interface Prepared {
  contractId: string;
  base: ContractState;
  state: ContractState;
  decided: { index: number; decision: Decision }[];
  toAppend: ProposedEvent[];
  /** Held events this request's events resolved and that failed validation then. */
  heldRejected: Refusal[];
  last: Position | null;
}

/** Serialises async work per key within this process. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Holds every key's lock; taken in sorted order, so two callers never wait on each other in a cycle. */
  async runMany<T>(sortedKeys: readonly string[], work: () => Promise<T>): Promise<T> {
    const [first, ...rest] = sortedKeys;
    if (first === undefined) return work();
    return this.run(first, () => this.runMany(rest, work));
  }
}

export class Ingestor {
  private readonly now: () => Date;
  private readonly maxRetries: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, ContractState>();
  private readonly locks = new KeyedLock();

  constructor(
    private readonly store: EventStore,
    options: IngestOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxRetries = options.maxRetries ?? 20;
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** Validates and applies a batch; one result per input, in input order. */
  async ingest(inputs: readonly unknown[], ctx: IngestContext): Promise<IngestResult[]> {
    const receivedAt = this.now().toISOString();
    const results: IngestResult[] = new Array<IngestResult>(inputs.length);
    const groups = new Map<string, Group>();
    const rejected: Refusal[] = [];

    inputs.forEach((input, index) => {
      const parsed = parseInbound(input);
      if (!parsed.ok) {
        rejected.push({ index, input, errors: parsed.errors });
        return;
      }
      const group = groups.get(parsed.event.contractId) ?? [];
      group.push({ index, event: parsed.event });
      groups.set(parsed.event.contractId, group);
    });

    const contractIds = [...groups.keys()].sort();
    const outcomes = await this.locks.runMany(contractIds, () => this.commit(groups, receivedAt, ctx, rejected));
    for (const o of outcomes) {
      if (o.status === 'rejected') rejected.push({ index: o.index, input: inputs[o.index], errors: o.errors! });
      else results[o.index] = o;
    }

    if (rejected.length > 0) await this.keepRejections(rejected, receivedAt, ctx);
    for (const r of rejected)
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
   * one fsync, on the embedded store). Groups whose append clashed, or turned out to be already written by another
   * delivery, are decided again on the caught-up state; the others are final. Held events they rejected on apply go
   * to `kept`.
   */
  private async commit(
    groups: Map<string, Group>,
    receivedAt: string,
    ctx: IngestContext,
    kept: Refusal[],
  ): Promise<IngestResult[]> {
    const out: IngestResult[] = [];
    let pending = [...groups.entries()];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > this.maxRetries) {
        for (const [, group] of pending) out.push(...this.exhausted(group));
        break;
      }
      const prepared = await Promise.all(
        pending.map(([contractId, group]) => this.prepare(contractId, group, receivedAt, ctx)),
      );
      const writes = prepared.filter((p) => p.toAppend.length > 0);
      const appended = await this.store.appendMany(
        writes.map((p) => ({
          streamId: contractStream(p.contractId),
          events: p.toAppend,
          expectedRevision: p.base.revision ?? 'no_stream',
        })),
      );
      const retry = new Set<string>();
      writes.forEach((p, i) => {
        const r = appended[i]!;
        // A clash, or these very events already written by a concurrent delivery: decide again (-> duplicate).
        if (r instanceof WrongExpectedVersionError || r.noop) {
          this.cache.delete(p.contractId);
          retry.add(p.contractId);
          return;
        }
        p.last = r.position;
      });
      for (const p of prepared) {
        if (retry.has(p.contractId)) continue;
        // The stream now holds exactly what `state` folded (at the same revisions): it is the cache's new entry.
        this.remember(p.contractId, p.state);
        kept.push(...p.heldRejected);
        out.push(...p.decided.map(({ index, decision }) => toResult(index, decision, p.toAppend, p.last)));
      }
      pending = pending.filter(([contractId]) => retry.has(contractId));
    }
    return out;
  }

  /** Decides a contract's events of this request, in request order, each seeing the ones before it. */
  private async prepare(contractId: string, group: Group, receivedAt: string, ctx: IngestContext): Promise<Prepared> {
    const base = await this.loadState(contractId);
    let state = base;
    const toAppend: ProposedEvent[] = [];
    const decided: Prepared['decided'] = [];
    const owed: ProposedEvent[] = [];
    for (const { index, event } of group) {
      const decision = decide(state, { event, receivedAt, actor: ctx.actor, correlationId: event.correlationId });
      decided.push({ index, decision });
      if (decision.outcome === 'appended' || decision.outcome === 'held') {
        // Later events of the same request see this one (a booking then its invoice, a repeat in one batch).
        state = fold(state, [asFoldable(decision, (state.revision ?? -1) + 1)]);
        toAppend.push(decision.event);
        // Held events it resolved that fail validation now: their rejection goes in the same append.
        const rejections = heldRejections(state, { receivedAt, actor: ctx.actor });
        if (rejections.length > 0) {
          state = fold(
            state,
            rejections.map((r, i) => proposedAsFoldable(r, (state.revision ?? -1) + 1 + i)),
          );
          toAppend.push(...rejections);
          owed.push(...rejections);
        }
      }
    }
    const heldRejected = owed.length === 0 ? [] : await this.refusalsOf(contractId, owed, toAppend);
    return { contractId, base, state, decided, toAppend, heldRejected, last: null };
  }

  /** The inputs behind HeldEventRejected events, as they were sent, for rejections-*. */
  private async refusalsOf(contractId: string, owed: ProposedEvent[], appending: ProposedEvent[]): Promise<Refusal[]> {
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

  /** The contract's state at its stream's head: cached state caught up with whatever was appended since. */
  async loadState(contractId: string): Promise<ContractState> {
    const cached = this.cache.get(contractId) ?? initialContractState(contractId);
    const from = cached.revision === null ? 0 : cached.revision + 1;
    const fresh: Foldable[] = [];
    for await (const e of this.store.readStream(contractStream(contractId), { fromRevision: from })) fresh.push(e);
    const state = fresh.length === 0 ? cached : fold(cached, fresh);
    this.remember(contractId, state);
    return state;
  }

  private remember(contractId: string, state: ContractState): void {
    this.cache.delete(contractId);
    this.cache.set(contractId, state); // least recently used first
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Refused inputs are kept for audit in rejections-<yyyy-mm-dd>: what came, when, from whom, and why. */
  private async keepRejections(rejected: Refusal[], receivedAt: string, ctx: IngestContext): Promise<void> {
    const events: ProposedEvent[] = rejected.map((r) => ({
      eventId: randomUUID(),
      type: 'InputRejected',
      data: {
        index: r.index,
        input: jsonOrText(r.input),
        errors: r.errors as unknown as JsonObject[],
        requestId: ctx.requestId ?? null,
        ...(r.heldEventId === undefined ? {} : { heldEventId: r.heldEventId }),
      },
      metadata: {
        schemaVersion: 1,
        source: null,
        receivedAt,
        correlationId: null,
        causationId: null,
        actor: ctx.actor,
      },
    }));
    await this.store.append(`rejections-${receivedAt.slice(0, 10)}`, events, { expectedRevision: 'any' });
  }
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

function jsonOrText(input: unknown): JsonObject | string {
  return input !== null && typeof input === 'object' && !Array.isArray(input)
    ? (input as JsonObject)
    : (JSON.stringify(input) ?? 'undefined');
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
