// TEST SUPPORT ONLY — never the runtime store. An in-process, in-memory stand-in for the slice of EventStoreDB's gRPC
// protocol that src/store/esdb.ts drives through @eventstore/db-client, so the conformance suite can run the EventStoreDB
// adapter without a database server. Production (and docker-compose) always talk to a real EventStoreDB.
//
// It serves the service definitions shipped in the client package (generated from EventStoreDB's own .proto files):
// - ServerFeatures.GetSupportedMethods, answered with a version and no methods, so the client keeps to the classic
//   Streams.Append instead of BatchAppend.
// - Streams.Append (client streaming: options first, then one proposed message per event), atomic per call.
// - Streams.Read: stream reads, $all reads, and catch-up-then-live subscriptions to $all.
// Everything else answers UNIMPLEMENTED (grpc-js's default for methods left out of an implementation).
//
// Semantics follow EventStoreDB's documentation, not invention:
// - expected revision (docs "Optimistic concurrency and idempotence"): a number = revision of the stream's last
//   event, no_stream, stream_exists, any; a clash answers `wrong_expected_version` with the current revision.
// - idempotence: re-appending events whose ids are already committed right after the expected revision is acknowledged
//   without writing; if none or only some of them are there it is a wrong expected version. Under `any` the check is
//   best effort in EventStoreDB; here it looks the first id up in the stream.
// - reads of an absent stream answer `stream_not_found`; $all reads forwards from a position include the event at that
//   position; subscriptions from a position are exclusive ("The positions provided to the subscriptions are exclusive",
//   docs "Catch-up subscriptions").
// - server-side filters on $all by stream-name or event-type prefix (or regex).
// State is one in-memory log: each event's commit position equals its prepare position, and positions grow like
// byte offsets in a transaction file (gaps between consecutive events), so adapters cannot assume "+1" arithmetic.
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb.js';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb.js';

const { ReadDirection, StreamOptionCase, CountOptionCase, FilterOptionCase } = streamsPb.ReadReq.Options;
const { RevisionOptionCase } = streamsPb.ReadReq.Options.StreamOptions;
const { AllOptionCase } = streamsPb.ReadReq.Options.AllOptions;
const { ExpectedStreamRevisionCase } = streamsPb.AppendReq.Options;

/** Reported by GetSupportedMethods; the client only logs it. */
const SERVER_VERSION = '24.10.0-revtrail-test';
/** Where user events start, as on a real node whose log opens with its own system records. */
const FIRST_POSITION = 1024n;
/** Ticks (100 ns) since the Unix epoch: the unit of the `created` metadata entry. */
const TICKS_PER_MS = 10_000n;

interface StoredEvent {
  id: string;
  streamId: string;
  revision: number;
  /** Commit = prepare position. */
  position: bigint;
  type: string;
  contentType: string;
  created: bigint;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

interface Proposed {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

type Expected = { kind: 'revision'; revision: number } | { kind: 'no_stream' | 'any' | 'stream_exists' };

type Decision =
  | { kind: 'write' }
  | { kind: 'idempotent'; lastRevision: number }
  | { kind: 'wrong_expected_version'; current: number | null };

type Matcher = (e: StoredEvent) => boolean;

export interface EsdbTestServer {
  /** `esdb://127.0.0.1:<port>?tls=false` */
  connectionString: string;
  /**
   * Appends an event to a system stream (stream id starting with `$`) or with a system type, as EventStoreDB itself
   * writes them ($users, $settings, $stats-…): lets tests check that adapters skip them.
   */
  appendSystemEvent(streamId: string, type: string): void;
  /** Stops the server, ending every open call. */
  close(): Promise<void>;
}

class InMemoryLog {
  readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private nextPosition = FIRST_POSITION;
  private readonly listeners = new Set<() => void>();

  stream(streamId: string): readonly StoredEvent[] | undefined {
    return this.streams.get(streamId);
  }

  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The EventStoreDB expected-revision and idempotence rules (see the header). */
  decide(streamId: string, expected: Expected, ids: readonly string[]): Decision {
    const events = this.streams.get(streamId) ?? [];
    const current = events.length > 0 ? events.length - 1 : null;
    const clash: Decision = { kind: 'wrong_expected_version', current };
    const committedAfter = (after: number): Decision => {
      // Every id must sit right after `after`, in order; none or some of them there is a clash.
      if (ids.length === 0 || after + ids.length > (current ?? -1)) return clash;
      const all = ids.every((id, i) => events[after + 1 + i]!.id === id);
      return all ? { kind: 'idempotent', lastRevision: after + ids.length } : clash;
    };
    switch (expected.kind) {
      case 'revision':
        if (expected.revision === current) return { kind: 'write' };
        return current !== null && expected.revision < current ? committedAfter(expected.revision) : clash;
      case 'no_stream':
        return current === null ? { kind: 'write' } : committedAfter(-1);
      case 'stream_exists':
      case 'any': {
        if (expected.kind === 'stream_exists' && current === null) return clash;
        // Unsure how closely this matches EventStoreDB's best-effort check under `any` (it consults a cache of
        // recent commits): here the first id is looked up in the stream and the rest must follow it.
        const at = ids.length > 0 ? events.findIndex((e) => e.id === ids[0]) : -1;
        return at < 0 ? { kind: 'write' } : committedAfter(at - 1);
      }
    }
  }

  /** Writes all events or none (nothing can fail between the decision and the pushes). */
  write(streamId: string, proposed: readonly Proposed[]): StoredEvent[] {
    let events = this.streams.get(streamId);
    if (!events) this.streams.set(streamId, (events = []));
    const created = BigInt(Date.now()) * TICKS_PER_MS;
    const written = proposed.map((p): StoredEvent => {
      const e: StoredEvent = { ...p, streamId, revision: events.length, position: this.nextPosition, created };
      events.push(e);
      this.events.push(e);
      // A record's size in the transaction file: positions are byte offsets, not counters.
      this.nextPosition +=
        64n + BigInt(p.data.byteLength + p.customMetadata.byteLength + streamId.length + p.type.length);
      return e;
    });
    for (const listener of [...this.listeners]) listener();
    return written;
  }

  /** Index of the first event at or after `position` in the global log. */
  indexAtOrAfter(position: bigint): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.position < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function utf8(bytes: Uint8Array | string): string {
  return typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');
}

function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

function uuidText(uuid: UUID | undefined): string {
  if (!uuid) throw statusError(grpc.status.INVALID_ARGUMENT, 'event id missing');
  if (!uuid.hasStructured()) return uuid.getString();
  const s = uuid.getStructured()!;
  const hex =
    BigInt.asUintN(64, BigInt(s.getMostSignificantBits())).toString(16).padStart(16, '0') +
    BigInt.asUintN(64, BigInt(s.getLeastSignificantBits())).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidMessage(id: string, structured: boolean): UUID {
  const uuid = new sharedPb.UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replaceAll('-', '');
  const bits = new sharedPb.UUID.Structured();
  // The structured form carries the two halves as signed int64 (decimal strings in this generated code).
  bits.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
  bits.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  return uuid.setStructured(bits);
}

function streamIdentifier(streamId: string): StreamIdentifier {
  return new sharedPb.StreamIdentifier().setStreamName(Buffer.from(streamId, 'utf8'));
}

function eventResp(e: StoredEvent, structuredIds: boolean): ReadResp {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(e.id, structuredIds))
    .setStreamIdentifier(streamIdentifier(e.streamId))
    .setStreamRevision(String(e.revision))
    .setCommitPosition(e.position.toString())
    .setPreparePosition(e.position.toString())
    .setData(e.data)
    .setCustomMetadata(e.customMetadata);
  // The client reads type, content type and creation time from this map; `created` is ticks since the Unix epoch.
  const metadata = recorded.getMetadataMap();
  metadata.set('type', e.type);
  metadata.set('content-type', e.contentType);
  metadata.set('created', e.created.toString());
  const event = new streamsPb.ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(e.position.toString());
  return new streamsPb.ReadResp().setEvent(event);
}

function matcher(options: ReadReq.Options): Matcher {
  if (options.getFilterOptionCase() !== FilterOptionCase.FILTER) return () => true;
  const filter = options.getFilter()!;
  const onStream = filter.hasStreamIdentifier();
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return () => true;
  const field = (e: StoredEvent): string => (onStream ? e.streamId : e.type);
  const prefixes = expression.getPrefixList();
  // Unsure which one EventStoreDB prefers when a client sends both; the Node client only ever sends one.
  if (prefixes.length > 0) return (e) => prefixes.some((p) => field(e).startsWith(p));
  const regex = expression.getRegex();
  if (regex) {
    const re = new RegExp(regex);
    return (e) => re.test(field(e));
  }
  return () => true;
}

/** Resolves once the call can take more writes, or has gone away. */
function writable(call: grpc.ServerWritableStream<ReadReq, ReadResp>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

function gone(call: grpc.ServerWritableStream<ReadReq, ReadResp>): boolean {
  return call.cancelled || call.destroyed || call.writableEnded;
}

/** Sends a finite read with flow control, then ends the call. */
async function sendAll(
  call: grpc.ServerWritableStream<ReadReq, ReadResp>,
  events: readonly StoredEvent[],
  structuredIds: boolean,
): Promise<void> {
  for (const e of events) {
    if (gone(call)) return;
    if (!call.write(eventResp(e, structuredIds))) await writable(call);
  }
  if (!gone(call)) call.end();
}

function readCount(options: ReadReq.Options): number {
  const count = BigInt(options.getCount() || '0');
  return count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
}

function readStream(log: InMemoryLog, call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options) {
  const stream = options.getStream()!;
  const streamId = utf8(stream.getStreamIdentifier()?.getStreamName() ?? '');
  if (options.getCountOptionCase() === CountOptionCase.SUBSCRIPTION) {
    // The adapter never subscribes to a single stream; say so rather than pretend.
    call.emit(
      'error',
      statusError(grpc.status.UNIMPLEMENTED, 'stream subscriptions are not implemented by the test server'),
    );
    return;
  }
  const events = log.stream(streamId);
  if (!events) {
    const resp = new streamsPb.ReadResp().setStreamNotFound(
      new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamId)),
    );
    call.write(resp);
    call.end();
    return;
  }
  const backwards = options.getReadDirection() === ReadDirection.BACKWARDS;
  const last = events.length - 1;
  let from: number;
  switch (stream.getRevisionOptionCase()) {
    case RevisionOptionCase.REVISION:
      from = Number(BigInt(stream.getRevision()));
      break;
    case RevisionOptionCase.END:
      from = backwards ? last : last + 1;
      break;
    default:
      from = backwards ? last : 0;
  }
  const count = readCount(options);
  // Backwards from past the end starts at the last event. We believe EventStoreDB does the same; the adapter does not
  // rely on it (it checks the revision it gets).
  const slice = backwards
    ? events.slice(Math.max(0, Math.min(from, last) + 1 - count), Math.min(from, last) + 1).reverse()
    : events.slice(from, from + count);
  const structured = options.getUuidOption()?.hasStructured() ?? false;
  void sendAll(call, slice, structured);
}

function readAll(log: InMemoryLog, call: grpc.ServerWritableStream<ReadReq, ReadResp>, options: ReadReq.Options) {
  const all = options.getAll()!;
  const matches = matcher(options);
  const backwards = options.getReadDirection() === ReadDirection.BACKWARDS;
  const structured = options.getUuidOption()?.hasStructured() ?? false;
  const position =
    all.getAllOptionCase() === AllOptionCase.POSITION ? BigInt(all.getPosition()!.getCommitPosition()) : null;

  if (options.getCountOptionCase() === CountOptionCase.SUBSCRIPTION) {
    subscribeToAll(log, call, all.getAllOptionCase(), position, matches, structured);
    return;
  }
  const count = readCount(options);
  const out: StoredEvent[] = [];
  const events = log.events;
  if (backwards) {
    // Unsure whether EventStoreDB includes the event at the position on a backwards read; here it does not
    // (the adapter pages backwards in headPosition and skips anything at or above its bound either way).
    let i = all.getAllOptionCase() === AllOptionCase.START ? -1 : events.length - 1;
    if (position !== null) i = log.indexAtOrAfter(position) - 1;
    for (; i >= 0 && out.length < count; i--) if (matches(events[i]!)) out.push(events[i]!);
  } else {
    let i = all.getAllOptionCase() === AllOptionCase.END ? events.length : 0;
    if (position !== null) i = log.indexAtOrAfter(position);
    for (; i < events.length && out.length < count; i++) if (matches(events[i]!)) out.push(events[i]!);
  }
  void sendAll(call, out, structured);
}

/**
 * Catch-up then live over one cursor into the log: confirmation, the stored events after the start, `caught_up`
 * once the cursor first reaches the head, then each append as it happens. One loop serves both phases, so an append
 * made during catch-up is neither lost nor sent twice.
 */
function subscribeToAll(
  log: InMemoryLog,
  call: grpc.ServerWritableStream<ReadReq, ReadResp>,
  start: ReadReq.Options.AllOptions.AllOptionCase,
  position: bigint | null,
  matches: Matcher,
  structured: boolean,
): void {
  let cursor = start === AllOptionCase.END ? log.events.length : 0;
  if (position !== null) cursor = log.indexAtOrAfter(position + 1n);
  let pumping = false;
  let caughtUp = false;
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    while (!gone(call) && cursor < log.events.length) {
      const e = log.events[cursor++]!;
      if (matches(e) && !call.write(eventResp(e, structured))) await writable(call);
    }
    // Filtered subscriptions on a real node also send periodic checkpoints; the adapter does not use them.
    if (!caughtUp && !gone(call)) {
      caughtUp = true;
      call.write(new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp()));
    }
    pumping = false;
  };
  const unsubscribe = log.onAppend(() => void pump());
  // The client ends a subscription by cancelling the call.
  call.on('cancelled', unsubscribe);
  call.on('close', unsubscribe);
  call.on('error', unsubscribe);
  call.write(
    new streamsPb.ReadResp().setConfirmation(
      new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID()),
    ),
  );
  void pump();
}

function read(log: InMemoryLog, call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
  const options = call.request.getOptions();
  switch (options?.getStreamOptionCase()) {
    case StreamOptionCase.STREAM:
      return readStream(log, call, options);
    case StreamOptionCase.ALL:
      return readAll(log, call, options);
    default:
      call.emit('error', statusError(grpc.status.INVALID_ARGUMENT, 'read options missing'));
  }
}

function expectedOf(options: AppendReq.Options): Expected {
  switch (options.getExpectedStreamRevisionCase()) {
    case ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: Number(BigInt(options.getRevision())) };
    case ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

function wrongExpectedVersion(expected: Expected, current: number | null): AppendResp {
  const wev = new streamsPb.AppendResp.WrongExpectedVersion();
  const empty = (): Empty => new sharedPb.Empty();
  if (current === null) wev.setCurrentNoStream(empty());
  else wev.setCurrentRevision(String(current));
  switch (expected.kind) {
    case 'revision':
      wev.setExpectedRevision(String(expected.revision));
      break;
    case 'no_stream':
      wev.setExpectedNoStream(empty());
      break;
    case 'stream_exists':
      wev.setExpectedStreamExists(empty());
      break;
    case 'any':
      wev.setExpectedAny(empty());
  }
  return new streamsPb.AppendResp().setWrongExpectedVersion(wev);
}

function append(
  log: InMemoryLog,
  call: grpc.ServerReadableStream<AppendReq, AppendResp>,
  callback: grpc.sendUnaryData<AppendResp>,
): void {
  let options: AppendReq.Options | undefined;
  const proposed: Proposed[] = [];
  let invalid: grpc.ServiceError | null = null;
  call.on('data', (req: AppendReq) => {
    if (req.hasOptions()) {
      options = req.getOptions();
      return;
    }
    const message = req.getProposedMessage();
    if (!message || !options) {
      invalid ??= statusError(grpc.status.INVALID_ARGUMENT, 'append options must come first');
      return;
    }
    const metadata = message.getMetadataMap();
    const type = metadata.get('type');
    const contentType = metadata.get('content-type');
    if (!type || !contentType) {
      invalid ??= statusError(grpc.status.INVALID_ARGUMENT, 'proposed message lacks type or content-type');
      return;
    }
    proposed.push({
      id: uuidText(message.getId()),
      type,
      contentType,
      data: message.getData_asU8().slice(),
      customMetadata: message.getCustomMetadata_asU8().slice(),
    });
  });
  // Only a completed request stream is applied: a client that cancels half-way has written nothing.
  call.on('end', () => {
    if (invalid) return callback(invalid);
    if (!options) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'append options missing'));
    const streamId = utf8(options.getStreamIdentifier()?.getStreamName() ?? '');
    const expected = expectedOf(options);
    const decision = log.decide(
      streamId,
      expected,
      proposed.map((p) => p.id),
    );
    if (decision.kind === 'wrong_expected_version') {
      return callback(null, wrongExpectedVersion(expected, decision.current));
    }
    const success = new streamsPb.AppendResp.Success();
    if (decision.kind === 'idempotent') {
      // Unsure: EventStoreDB acknowledges an idempotent append with the revisions of the original write; as far as we
      // can tell it reports no log position for it (nothing was written), which is what is done here.
      success.setCurrentRevision(String(decision.lastRevision)).setNoPosition(new sharedPb.Empty());
      return callback(null, new streamsPb.AppendResp().setSuccess(success));
    }
    const written = log.write(streamId, proposed);
    const last = written[written.length - 1];
    const current = log.stream(streamId)?.length ?? 0;
    if (current === 0) success.setNoStream(new sharedPb.Empty());
    else success.setCurrentRevision(String(current - 1));
    if (last) {
      const p = last.position.toString();
      success.setPosition(new streamsPb.AppendResp.Position().setCommitPosition(p).setPreparePosition(p));
    } else success.setNoPosition(new sharedPb.Empty());
    callback(null, new streamsPb.AppendResp().setSuccess(success));
  });
}

/** Starts a test server on 127.0.0.1, port 0 (insecure). */
export async function startEsdbTestServer(): Promise<EsdbTestServer> {
  const log = new InMemoryLog();
  const server = new grpc.Server();
  server.addService(featuresGrpc.ServerFeaturesService, {
    getSupportedMethods: (_call: unknown, callback: grpc.sendUnaryData<SupportedMethods>) => {
      callback(null, new featuresPb.SupportedMethods().setEventStoreServerVersion(SERVER_VERSION));
    },
  });
  // Delete, Tombstone and BatchAppend are left out: grpc-js answers them UNIMPLEMENTED.
  server.addService(streamsGrpc.StreamsService, {
    read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => read(log, call),
    append: (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>) =>
      append(log, call, callback),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  // A real node's log opens with its own records; seeding two keeps the adapter's system-event skipping honest.
  const systemEvent = (streamId: string, type: string): void => {
    const data = Buffer.from(JSON.stringify({ by: 'esdb-test-server' }));
    log.write(streamId, [
      { id: randomUUID(), type, contentType: 'application/json', data, customMetadata: new Uint8Array() },
    ]);
  };
  systemEvent('$users', '$User');
  systemEvent('$user-admin', '$UserCreated');
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    appendSystemEvent: systemEvent,
    close: () =>
      new Promise<void>((resolve) => {
        // forceShutdown ends open subscriptions too; tryShutdown would wait for clients that keep channels open.
        server.forceShutdown();
        resolve();
      }),
  };
}
