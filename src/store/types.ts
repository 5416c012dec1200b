// The event store port: one interface, implemented by the embedded SQLite adapter and the EventStoreDB adapter.
// Every guarantee listed here is checked against both adapters by test/eventstore/conformance.ts. The events
// themselves (ProposedEvent, RecordedEvent, Position, AllFilter) are pure data in schemas/envelope.ts.
import type { AllFilter, Position, ProposedEvent, RecordedEvent } from '../../schemas/index.js';

/**
 * Expected stream revision for optimistic concurrency (EventStoreDB semantics):
 * a number = the revision of the stream's last event; 'no_stream' = the stream must not exist;
 * 'stream_exists' = it must exist; 'any' = no check.
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextExpectedRevision: number;
  /** Position of the last event appended; null when nothing was written. */
  position: Position | null;
  /**
   * True when the adapter knows nothing was written because these event ids were already there (idempotent retry).
   * Absent where the backend cannot tell (EventStoreDB answers an idempotent append like a write).
   */
  noop?: boolean;
}

/** One stream's part of an appendMany call. */
export interface AppendRequest {
  streamId: string;
  events: readonly ProposedEvent[];
  expectedRevision: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** First revision to read: for forwards reads the lowest, for backwards reads the highest. Default: start / end. */
  fromRevision?: number | 'start' | 'end';
  direction?: 'forwards' | 'backwards';
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Default: from the very start. */
  after?: Position | null;
  filter?: AllFilter;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events strictly after it. Default: from the very start. */
  after?: Position | null;
  filter?: AllFilter;
}

/** Catch-up then live subscription, as an async iterator; `close()` (or breaking the loop) ends it. */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'esdb';
  /**
   * Appends atomically (all events or none). Throws WrongExpectedVersionError on a concurrency clash.
   * Re-appending the same event ids at the same expected revision after they were written is a no-op that succeeds.
   */
  append(
    streamId: string,
    events: readonly ProposedEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult>;
  /**
   * Appends to several streams. Each request is atomic and checked against its own expected revision; a clash fails
   * only that request, whose slot in the result holds the WrongExpectedVersionError. Any other error rejects the call.
   * The embedded store commits all requests in one transaction (one fsync for the lot); EventStoreDB, which has no
   * multi-stream transactions, appends them one after the other — so across streams this is a batch, not a unit.
   */
  appendMany(requests: readonly AppendRequest[]): Promise<(AppendResult | WrongExpectedVersionError)[]>;
  /** Events of one stream; an absent stream reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** Revision of the stream's last event, or null when the stream does not exist. */
  streamRevision(streamId: string): Promise<number | null>;
  /** The global log in position order (user events only: no system streams). */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Every event after the checkpoint exactly once, in position order: catch-up, then live. */
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /** Position of the newest event in the log, or null for an empty log. */
  headPosition(): Promise<Position | null>;
  /**
   * How many events of the log lie after the position (all of it for null) — a projection's lag in events — or null
   * where the backend cannot count without reading them (EventStoreDB positions are byte offsets).
   */
  countAfter(after: Position | null): Promise<number | null>;
  /**
   * Optional (the embedded store has it): the events of every stream whose id starts with `streamPrefix`, stream
   * after stream in stream-id order and each stream in revision order, keeping only those at or before `upTo`, and
   * starting after the stream `afterStream`. A rebuild folds one stream's documents at a time this way instead of
   * holding every document until the end of the log.
   */
  readByStream?(options: ReadByStreamOptions): AsyncIterable<RecordedEvent>;
  /**
   * Optional (the embedded store has it): another connection to the same store (a thread or process) has appended;
   * this connection's subscriptions look now rather than at their next poll.
   */
  appendedElsewhere?(): void;
  /** Optional, beside readByStream: the streams whose id starts with the prefix and their head revisions, in id order. */
  listStreams?(streamPrefix: string): Promise<{ streamId: string; revision: number }[]>;
  /**
   * What `verify` reads (see IntegrityView), from one consistent snapshot where the backend can take one, so appends
   * made meanwhile neither show nor race the heads. The caller closes it.
   */
  integrity(): Promise<IntegrityView>;
  close(): Promise<void>;
}

export interface IntegrityView {
  /**
   * Every stored event of the log (or of one stream) in position order, with rows that no longer parse handed out as
   * such instead of ending the read, and each row's global-chain link where the adapter keeps one.
   */
  readLog(options?: { streamId?: string }): AsyncIterable<LogEntry>;
  /**
   * Optional (the embedded store has it): the head table, which records each stream's newest revision and its hash in
   * the append transaction, so a stream's missing tail or a missing stream shows. All streams, or the one asked for.
   */
  streamHeads?(streamId?: string): AsyncIterable<StreamHead>;
  /** Optional (the embedded store has it): the recorded head of the stored global chain. */
  logHead?(): Promise<LogHead>;
  close(): Promise<void>;
}

/** One stored row as `verify` sees it. */
export interface LogEntry {
  position: Position;
  streamId: string;
  revision: number;
  eventId: string;
  /** The event, or null when its data or metadata is not a JSON object (`unreadable` says why). */
  event: RecordedEvent | null;
  unreadable?: string;
  /**
   * The global chain (embedded store): `logPrev` is the chain hash of the event appended before this one, and
   * `logHash` this event's own (see chain.ts logLinkHash). Null where the adapter keeps no global chain and for rows
   * stored before the chain started.
   */
  logPrev: string | null;
  logHash: string | null;
}

export interface StreamHead {
  streamId: string;
  /** The stream's newest revision. */
  revision: number;
  /** The newest event's hash (chain.ts eventHash): what the next event's prevHash will be. */
  hash: string;
}

export interface LogHead {
  /** First position covered by the stored global chain (a store created before the chain existed starts it later). */
  chainStart: Position;
  /** The newest position appended through the store, or null before the first append. */
  position: Position | null;
  /** Its chain hash (GENESIS_HASH before the first chained append). */
  hash: string;
}

export interface ReadByStreamOptions {
  /** Not empty. */
  streamPrefix: string;
  /** Inclusive: events at later positions are left out. */
  upTo: Position;
  /** Exclusive: resume after this stream. */
  afterStream?: string;
  /** Exclusive: stop before this stream. */
  beforeStream?: string;
}

export class WrongExpectedVersionError extends Error {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Actual revision of the stream's last event, or null if it does not exist (null also when unknown). */
    readonly actual: number | null,
  ) {
    super(
      `stream ${streamId}: expected revision ${String(expected)}, actual ${actual === null ? 'no stream' : actual}`,
    );
  }
}
