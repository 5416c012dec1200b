// EventStoreDB adapter: the event store port over @eventstore/db-client (gRPC). Selected by an `esdb://` REVTRAIL_STORE.
//
// The hash chain is sealed here, on the client: an append first reads the event it goes after (to hash it into the
// new events' prevHash), then appends with that event's revision as the expected revision. EventStoreDB's optimistic
// concurrency check is what makes the pair safe: if anything lands in between, the append is refused and no event
// points at a stale predecessor. That is why 'any' and 'stream_exists' are turned into the concrete revision that was
// read (and retried a bounded number of times on a clash): a blind append could break the chain.
//
// Idempotent retries rely on EventStoreDB itself: the same event ids at the same expected revision are acknowledged
// without writing (documented server behaviour; sealing is deterministic, so a retry proposes identical events).
//
// Integrity: EventStoreDB assigns an event's log position when it commits, after the client sealed it, and has no
// transaction spanning a stream and a record beside it; so this adapter keeps the per-stream chains only — no stored
// chain over the log, no head table. `verify` still computes the log's chain for an anchor (see verify.ts).
//
// Positions: the client's readAll (6.x) has no server-side filter, so readAll pages through $all and filters here;
// subscriptions use the server's stream-name / event-type prefix filters. Reads from a position are inclusive in
// EventStoreDB and subscriptions exclusive; the port's `after` is exclusive for both, and every event at or before the
// last position handed out is dropped here, so neither difference nor a server-side replay can cause a duplicate.
import type * as Esdb from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  EventStoreDBClient,
  Filter,
  ReadPosition,
  ResolvedEvent,
} from '@eventstore/db-client';
import { createRequire } from 'node:module';
import { GENESIS_HASH, eventHash, sealEvents } from './chain.js';
import type {
  AppendRequest,
  AppendResult,
  EventStore,
  ExpectedRevision,
  IntegrityView,
  LogEntry,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from './types.js';
import type {
  AllFilter,
  EventMetadata,
  JsonObject,
  Position,
  ProposedEvent,
  RecordedEvent,
} from '../../schemas/index.js';
import { WrongExpectedVersionError } from './types.js';
import { comparePositions, matchesFilter } from '../../schemas/index.js';

let library: typeof Esdb | undefined;
/**
 * The EventStoreDB client library (gRPC), loaded when a store first needs it: a process on the embedded store, such as
 * every CLI command there, does not pay the ~0.15 s it takes to load.
 */
function esdb(): typeof Esdb {
  library ??= createRequire(import.meta.url)('@eventstore/db-client') as typeof Esdb;
  return library;
}

/** Events per $all read call (readAll filters client-side, so each page is bounded rather than the whole log). */
const PAGE = 500;
/** Events per backwards page when looking for the newest user event (usually the first one read). */
const HEAD_PAGE = 32;
/** Attempts for 'any' / 'stream_exists' appends, which re-read the head and retry when another writer got there first. */
const MAX_APPEND_ATTEMPTS = 10;

/** What the client hands back for a recorded event (JSON or binary), reduced to the fields read here. */
interface WireEvent {
  streamId: string;
  id: string;
  isJson: boolean;
  revision: bigint;
  type: string;
  created: Date | number;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

/** A client read: a Node Readable (object mode) of resolved events, which can cancel its gRPC call. */
interface ClientRead<T> extends AsyncIterable<T> {
  cancel(): Promise<void>;
  iterator(options: { destroyOnReturn: false }): AsyncIterator<T>;
  resume(): unknown;
}

/** EventStoreDB's own streams and events ($users, $settings, $stats-…, `$>` links, `$metadata`) start with `$`. */
function isSystem(e: WireEvent): boolean {
  return e.streamId.startsWith('$') || e.type.startsWith('$');
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The event's log position: stream reads carry it from EventStoreDB 22.6 on, the commit position on older servers. */
function positionOf(e: WireEvent, commitPosition: bigint | undefined): Position {
  const position =
    e.position ?? (commitPosition === undefined ? undefined : { commit: commitPosition, prepare: commitPosition });
  if (!position) throw new Error(`event ${e.id}: the server returned no log position (EventStoreDB >= 22.6 needed)`);
  return { commit: position.commit, prepare: position.prepare };
}

/** The port's event from the client's; throws on an event this store did not write (it cannot be verified). */
function toRecordedEvent(e: WireEvent, commitPosition: bigint | undefined): RecordedEvent {
  if (!e.isJson || !isJsonObject(e.data) || !isJsonObject(e.metadata)) {
    throw new Error(`event ${e.id} (${e.streamId}@${e.revision}) is not a Revtrail event: data or metadata not JSON`);
  }
  const position = positionOf(e, commitPosition);
  return {
    eventId: e.id,
    type: e.type,
    data: e.data,
    metadata: e.metadata as unknown as EventMetadata,
    streamId: e.streamId,
    revision: Number(e.revision),
    position,
    recordedAt: new Date(e.created).toISOString(),
  };
}

/** What `verify` reads: an event this store did not write is handed out as unreadable, at its stream and revision. */
function toLogEntry(e: WireEvent, commitPosition: bigint | undefined): LogEntry {
  const at = {
    position: positionOf(e, commitPosition),
    streamId: e.streamId,
    revision: Number(e.revision),
    eventId: e.id,
    // EventStoreDB assigns positions when it commits, after the client sealed the events: no stored global chain.
    logPrev: null,
    logHash: null,
  };
  try {
    return { ...at, event: toRecordedEvent(e, commitPosition) };
  } catch (err) {
    return { ...at, event: null, unreadable: (err as Error).message };
  }
}

function wireEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): WireEvent | undefined {
  return resolved.event;
}

/** The server-side part of a filter: one kind of prefix (the client sends one); system events out when no prefix. */
function serverFilter(filter: AllFilter | undefined): Filter {
  if (filter?.streamPrefixes && filter.streamPrefixes.length > 0) {
    return esdb().streamNameFilter({ prefixes: [...filter.streamPrefixes] });
  }
  if (filter?.eventTypePrefixes && filter.eventTypePrefixes.length > 0) {
    return esdb().eventTypeFilter({ prefixes: [...filter.eventTypePrefixes] });
  }
  return esdb().excludeSystemEvents();
}

function isAfter(p: Position, after: Position | null): boolean {
  return after === null || comparePositions(p, after) > 0;
}

function streamTail(events: readonly RecordedEvent[], proposed: readonly ProposedEvent[]): boolean {
  // `events` is read backwards: the stream's newest first.
  if (proposed.length === 0 || events.length < proposed.length) return false;
  return proposed.every((p, i) => events[proposed.length - 1 - i]!.eventId === p.eventId);
}

class EsdbEventStore implements EventStore {
  readonly kind = 'esdb' as const;
  private closed = false;
  /** Ends open reads and subscriptions when the store closes. */
  private readonly open = new Set<() => Promise<void>>();

  constructor(private readonly client: EventStoreDBClient) {}

  // No multi-stream transactions in EventStoreDB: one append per stream, in order; each is atomic on its own.
  async appendMany(requests: readonly AppendRequest[]): Promise<(AppendResult | WrongExpectedVersionError)[]> {
    const results: (AppendResult | WrongExpectedVersionError)[] = [];
    for (const r of requests) {
      try {
        results.push(await this.append(r.streamId, r.events, { expectedRevision: r.expectedRevision }));
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError)) throw err;
        results.push(err);
      }
    }
    return results;
  }

  async append(
    streamId: string,
    events: readonly ProposedEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    this.assertOpen();
    const expected = options.expectedRevision;
    if (events.length === 0) return this.appendNothing(streamId, expected);
    if (expected === 'no_stream') return this.write(streamId, events, 'no_stream', GENESIS_HASH, expected);
    if (typeof expected === 'number') {
      if (!Number.isSafeInteger(expected)) throw new TypeError(`not a stream revision: ${expected}`);
      const previous = expected < 0 ? undefined : (await this.readTail(streamId, expected, 1))[0];
      if (!previous || previous.revision !== expected) {
        throw new WrongExpectedVersionError(streamId, expected, await this.streamRevision(streamId));
      }
      return this.write(streamId, events, expected, eventHash(previous, streamId, expected), expected);
    }
    for (let attempt = 1; ; attempt++) {
      const tail = await this.readTail(streamId, 'end', expected === 'any' ? events.length : 1);
      const head = tail[0];
      if (!head && expected === 'stream_exists') throw new WrongExpectedVersionError(streamId, expected, null);
      // A retried 'any' append whose events already form the stream's tail (as sqlite.ts): EventStoreDB only
      // promises best-effort idempotence under 'any', and we append at a concrete revision anyway.
      if (head && expected === 'any' && streamTail(tail, events)) {
        return { nextExpectedRevision: head.revision, position: null, noop: true };
      }
      try {
        return head
          ? await this.write(streamId, events, head.revision, eventHash(head, streamId, head.revision), expected)
          : await this.write(streamId, events, 'no_stream', GENESIS_HASH, expected);
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError) || attempt >= MAX_APPEND_ATTEMPTS) throw err;
      }
    }
  }

  /** An empty append writes nothing; it still checks the expectation, as the embedded store does. */
  private async appendNothing(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const current = await this.streamRevision(streamId);
    const holds =
      expected === 'any' ||
      (expected === 'no_stream' && current === null) ||
      (expected === 'stream_exists' && current !== null) ||
      expected === current;
    if (!holds) throw new WrongExpectedVersionError(streamId, expected, current);
    return { nextExpectedRevision: current ?? -1, position: null, noop: false };
  }

  /** Seals the events after `prevHash` and appends them at exactly `after` (a revision, or no stream). */
  private async write(
    streamId: string,
    events: readonly ProposedEvent[],
    after: number | 'no_stream',
    prevHash: string,
    reportAs: ExpectedRevision,
  ): Promise<AppendResult> {
    const first = after === 'no_stream' ? 0 : after + 1;
    const { sealed } = sealEvents(streamId, events, first, prevHash);
    // Metadata goes as the canonical bytes the chain hashed (a Buffer is sent as is); data as JSON.
    const proposed = sealed.map((e) =>
      esdb().jsonEvent({ id: e.eventId, type: e.type, data: e.data, metadata: Buffer.from(e.metadataJson, 'utf8') }),
    );
    try {
      const result = await this.client.appendToStream(streamId, proposed, {
        expectedRevision: after === 'no_stream' ? esdb().NO_STREAM : BigInt(after),
      });
      // An append acknowledged without a position wrote nothing (idempotent retry), so it is reported as a no-op;
      // where a server does report a position for such a retry, it reads as a write (noop stays unknown).
      return result.position
        ? {
            nextExpectedRevision: Number(result.nextExpectedRevision),
            position: { commit: result.position.commit, prepare: result.position.prepare },
          }
        : { nextExpectedRevision: Number(result.nextExpectedRevision), position: null, noop: true };
    } catch (err) {
      if (err instanceof esdb().WrongExpectedVersionError) {
        const actual = typeof err.actualVersion === 'bigint' ? Number(err.actualVersion) : null;
        throw new WrongExpectedVersionError(streamId, reportAs, actual);
      }
      throw err;
    }
  }

  /** Up to `count` events backwards from `from` (a revision or the end); empty for an absent stream. */
  private async readTail(streamId: string, from: number | 'end', count: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    for await (const e of this.readStream(streamId, { fromRevision: from, direction: 'backwards', maxCount: count })) {
      out.push(e);
    }
    return out;
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 'end' : 'start');
    if (!backwards && from === 'end') return;
    if (options.maxCount !== undefined && options.maxCount <= 0) return;
    const read = this.client.readStream(streamId, {
      direction: backwards ? esdb().BACKWARDS : esdb().FORWARDS,
      fromRevision: from === 'start' ? esdb().START : from === 'end' ? esdb().END : BigInt(from),
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    for await (const { e, commitPosition } of this.streamEvents(read)) yield toRecordedEvent(e, commitPosition);
  }

  async streamRevision(streamId: string): Promise<number | null> {
    this.assertOpen();
    const [head] = await this.readTail(streamId, 'end', 1);
    return head ? head.revision : null;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    let remaining = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (remaining <= 0) return;
    for await (const { e, commitPosition } of this.userEvents(options.after ?? null)) {
      if (!matchesFilter(e.streamId, e.type, options.filter)) continue;
      yield toRecordedEvent(e, commitPosition);
      if (--remaining === 0) return;
    }
  }

  /** EventStoreDB keeps no heads beside the log (see the top of this file): the view is the log itself. */
  async integrity(): Promise<IntegrityView> {
    this.assertOpen();
    return Promise.resolve({
      readLog: (options?: { streamId?: string }) => this.readLog(options),
      close: () => Promise.resolve(),
    });
  }

  private async *readLog(options: { streamId?: string } = {}): AsyncIterable<LogEntry> {
    if (options.streamId === undefined) {
      for await (const { e, commitPosition } of this.userEvents(null)) yield toLogEntry(e, commitPosition);
      return;
    }
    const read = this.client.readStream(options.streamId, { direction: esdb().FORWARDS, fromRevision: esdb().START });
    for await (const { e, commitPosition } of this.streamEvents(read)) yield toLogEntry(e, commitPosition);
  }

  /** The events of one stream's read; a stream that does not exist reads as empty, as the port says. */
  private async *streamEvents(
    read: ClientRead<ResolvedEvent>,
  ): AsyncGenerator<{ e: WireEvent; commitPosition: bigint | undefined }> {
    try {
      for await (const resolved of this.track<ResolvedEvent>(read)) {
        const e = wireEvent(resolved);
        if (e) yield { e, commitPosition: resolved.commitPosition };
      }
    } catch (err) {
      if (err instanceof esdb().StreamNotFoundError) return;
      throw err;
    }
  }

  /** The user events of $all after `after`, in position order, paged. */
  private async *userEvents(
    after: Position | null,
  ): AsyncGenerator<{ e: WireEvent; commitPosition: bigint | undefined }> {
    let cursor = after;
    for (;;) {
      const read = this.client.readAll({
        direction: esdb().FORWARDS,
        fromPosition: cursor ?? esdb().START,
        maxCount: PAGE,
      });
      let seen = 0;
      for await (const resolved of this.track<AllStreamResolvedEvent>(read)) {
        seen++;
        const e = wireEvent(resolved);
        // fromPosition is inclusive: the event at the cursor was handed out already (or is the caller's checkpoint).
        if (!e?.position || !isAfter(e.position, cursor)) continue;
        cursor = e.position;
        if (!isSystem(e)) yield { e, commitPosition: resolved.commitPosition };
      }
      if (seen < PAGE) return;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    let last = options.after ?? null;
    const sub = this.client.subscribeToAll({
      fromPosition: last ?? esdb().START,
      filter: serverFilter(options.filter),
    });
    const events = sub[Symbol.asyncIterator]();
    let ended = false;
    let signalEnd: () => void = () => undefined;
    const endSignal = new Promise<IteratorReturnResult<undefined>>((resolve) => {
      signalEnd = () => resolve({ done: true, value: undefined });
    });
    const end = async (): Promise<void> => {
      if (ended) return;
      ended = true;
      signalEnd();
      this.open.delete(end);
      // unsubscribe cancels the gRPC call; the client's stream does not end on its own after that.
      await sub.unsubscribe().catch(() => undefined);
      sub.destroy();
    };
    this.open.add(end);

    const iterator: AsyncIterator<RecordedEvent, undefined> = {
      next: async () => {
        while (!ended) {
          let r: IteratorResult<AllStreamResolvedEvent>;
          try {
            // Racing against `end` lets close() finish a next() that is waiting for a live event.
            r = await Promise.race([events.next(), endSignal]);
          } catch (err) {
            await end();
            throw err;
          }
          if (ended) break;
          if (r.done) {
            await end();
            break;
          }
          const e = wireEvent(r.value);
          if (!e?.position || !isAfter(e.position, last)) continue;
          last = e.position;
          if (isSystem(e) || !matchesFilter(e.streamId, e.type, options.filter)) continue;
          return { done: false, value: toRecordedEvent(e, r.value.commitPosition) };
        }
        return { done: true, value: undefined };
      },
      return: async () => {
        await end();
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator, close: end };
  }

  async countAfter(): Promise<number | null> {
    this.assertOpen();
    return Promise.resolve(null); // positions are byte offsets in the transaction log: counting means reading
  }

  async headPosition(): Promise<Position | null> {
    this.assertOpen();
    // $all ends with system events on a live node (stats, scavenges…): page backwards to the newest user event.
    let from: ReadPosition = esdb().END;
    let bound: Position | null = null;
    for (;;) {
      const read = this.client.readAll({ direction: esdb().BACKWARDS, fromPosition: from, maxCount: HEAD_PAGE });
      let seen = 0;
      let found: Position | null = null;
      for await (const resolved of this.track<AllStreamResolvedEvent>(read)) {
        seen++;
        const e = wireEvent(resolved);
        if (!e?.position || (bound && comparePositions(e.position, bound) >= 0)) continue;
        bound = e.position;
        if (!isSystem(e)) {
          found = e.position;
          break;
        }
      }
      if (found) return { commit: found.commit, prepare: found.prepare };
      if (seen < HEAD_PAGE || !bound) return null;
      from = bound;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.open].map((end) => end()));
    await this.client.dispose();
  }

  /**
   * Iterates a client read, registered so close() can end it.
   *
   * Stopping early must not destroy the client's stream: it is piped from the gRPC call's stream, and a call that has
   * already completed leaves its last messages buffered there; destroyed downstream, they are never read, the gRPC
   * stream never ends, and client.dispose() (which waits for every stream it handed out to finish) never returns.
   * So an early stop cancels the call (a no-op when it has completed) and lets the rest drain.
   */
  private async *track<T>(read: ClientRead<T>): AsyncGenerator<T> {
    const items = read.iterator({ destroyOnReturn: false });
    let phase: 'idle' | 'waiting' | 'done' = 'idle';
    let closing = false;
    const drain = async (): Promise<void> => {
      await read.cancel().catch(() => undefined);
      await items.return?.();
      read.resume();
    };
    const stop = async (): Promise<void> => {
      closing = true;
      // A consumer waiting in next() gets its item (or the end) first and then the error below; otherwise drain now.
      if (phase === 'idle') await drain();
      else await read.cancel().catch(() => undefined);
    };
    this.open.add(stop);
    try {
      for (;;) {
        phase = 'waiting';
        const r = await items.next();
        phase = 'idle';
        if (closing) throw new Error('event store is closed');
        if (r.done) {
          phase = 'done';
          return;
        }
        yield r.value;
      }
    } finally {
      this.open.delete(stop);
      if (phase !== 'done') await drain();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event store is closed');
  }
}

/** Opens the adapter over `esdb://…` (or `esdb+discover://…`); connects lazily, on the first call. */
export function openEsdbStore(connectionString: string): EventStore {
  return new EsdbEventStore(esdb().EventStoreDBClient.connectionString(connectionString));
}
