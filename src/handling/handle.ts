// The one command loop of the write side: read streams, fold them, decide, append what was decided at the revision
// read. A clash (another writer appended in between) means a decision was made on a stale state, so that stream is
// read and its command decided again; event ids derive from the command and the state, so a retried append never
// writes an event twice. The retries are bounded: a stream that moves on every attempt is a bug or a storm, and the
// caller is told which streams gave up (a single command throws the last clash).
//
// The loop takes a batch of streams: every pending stream's decision is appended in one appendMany (one transaction,
// one fsync, on the embedded store; each request checked against its own revision), and only the streams that
// clashed go round again, so one stream's clash holds up no other. A single command is a batch of one.
import type { Decider } from '../../commands/decider.js';
import { accepted } from '../../commands/decider.js';
import type { ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import type { AppendRequest, AppendResult, EventStore } from '../store/index.js';
import { WrongExpectedVersionError } from '../store/index.js';
import { recordRetry } from '../metrics/index.js';

/** Clashes on one stream before the loop gives up on it. */
export const MAX_CLASH_RETRIES = 10;

/** What the loop asks of a batch of commands, one per key (a stream). */
export interface Batch<Key, Decided> {
  /** Decides the command of every key still pending, on its stream's current state, in the order given. */
  decide(keys: readonly Key[]): Promise<Decided[]>;
  /** The append a decision makes, at the revision it was decided on; null: it writes nothing. */
  appendOf(decided: Decided): AppendRequest | null;
  /** Appends that go in the same call and cannot clash (expected revision 'any'), e.g. refusals kept with it. */
  alongside?(decided: readonly Decided[]): AppendRequest[];
  /** Whether an append that did not clash must still be decided again (default: never). */
  again?(decided: Decided, result: AppendResult): boolean;
  /** Called for a key that goes round again, before its next decision. */
  retry?(key: Key, decided: Decided): void | Promise<void>;
  /** A decision that stands: its append landed (result), or it appended nothing (null). */
  settled(key: Key, decided: Decided, result: AppendResult | null): void | Promise<void>;
}

/** A key the loop gave up on after MAX_CLASH_RETRIES retries, with its last clash (none: it was decided again). */
export interface Exhausted<Key> {
  key: Key;
  clash: WrongExpectedVersionError | null;
}

/** Runs a batch to the end: every key settled, or handed back as exhausted. */
export async function handleBatch<Key, Decided>(
  store: EventStore,
  keys: readonly Key[],
  batch: Batch<Key, Decided>,
): Promise<Exhausted<Key>[]> {
  let pending = [...keys];
  const clashes = new Map<Key, WrongExpectedVersionError>();
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > MAX_CLASH_RETRIES) return pending.map((key) => ({ key, clash: clashes.get(key) ?? null }));
    const decided = await batch.decide(pending);
    const writes = decided.map((d) => batch.appendOf(d));
    const requests = [...writes.filter((w) => w !== null), ...(batch.alongside?.(decided) ?? [])];
    const results = requests.length === 0 ? [] : await store.appendMany(requests);
    const again: Key[] = [];
    let slot = 0;
    for (const [i, d] of decided.entries()) {
      const key = pending[i]!;
      const result = writes[i] === null ? null : results[slot++]!;
      if (result instanceof WrongExpectedVersionError) {
        clashes.set(key, result);
        recordRetry('command_clash');
      }
      if (result instanceof WrongExpectedVersionError || (result !== null && batch.again?.(d, result))) {
        again.push(key);
        await batch.retry?.(key, d);
      } else await batch.settled(key, d, result);
    }
    pending = again;
  }
  return [];
}

export interface HandleOptions {
  /**
   * Fold the stream's last event only (default false: every event). For streams whose every event carries the
   * whole state (the posting-run lock), so a long-lived stream costs one read.
   */
  lastEventOnly?: boolean;
}

interface Fold<State> {
  initial: State;
  evolve: (state: State, event: RecordedEvent) => State;
}

async function readAndFold<State>(
  store: EventStore,
  stream: string,
  fold: Fold<State>,
  lastEventOnly: boolean,
): Promise<{ state: State; revision: number | null }> {
  let state = fold.initial;
  let revision: number | null = null;
  const events = lastEventOnly
    ? store.readStream(stream, { direction: 'backwards', maxCount: 1 })
    : store.readStream(stream);
  for await (const e of events) {
    state = fold.evolve(state, e);
    revision = e.revision;
  }
  return { state, revision };
}

/** One stream's command through the loop: `eventsOf` says what a decision appends (nothing: no write). */
async function decideAndAppend<State, Decided>(
  store: EventStore,
  stream: string,
  fold: Fold<State>,
  decide: (state: State) => Decided,
  eventsOf: (decided: Decided) => ProposedEvent[],
  options: HandleOptions = {},
): Promise<{ state: State; decided: Decided }> {
  let outcome: { state: State; decided: Decided } | null = null;
  const [exhausted] = await handleBatch(store, [stream], {
    decide: async () => {
      const { state, revision } = await readAndFold(store, stream, fold, options.lastEventOnly ?? false);
      return [{ state, revision, decided: decide(state) }];
    },
    appendOf: ({ revision, decided }) => {
      const events = eventsOf(decided);
      return events.length === 0 ? null : { streamId: stream, events, expectedRevision: revision ?? 'no_stream' };
    },
    settled: (_, { state, decided }) => {
      outcome = { state, decided };
    },
  });
  if (exhausted) throw exhausted.clash!;
  return outcome!;
}

/**
 * Handles one command of a Decider on the stream of `key`: the events it decided are appended (none: nothing
 * changes), or its refusal is returned, as a value. `command` is asked for on every attempt, so a command that
 * carries the time takes it when it is decided.
 */
export async function handleCommand<State, Command, Refusal, Key>(
  store: EventStore,
  decider: Decider<State, Command, RecordedEvent, Refusal, Key>,
  key: Key,
  command: () => Command,
  options: HandleOptions = {},
): Promise<{ state: State; decided: ProposedEvent[] | Refusal }> {
  return decideAndAppend(
    store,
    decider.stream(key),
    { initial: decider.initial(key), evolve: (s, e) => decider.evolve(s, e) },
    (state) => decider.decide(state, command()),
    (decided) => (accepted(decided) ? decided : []),
    options,
  );
}

/**
 * The same loop for a decision that is more than events (what an HTTP route answers with): `decide` returns an object
 * holding the one `event` to append, or none.
 */
export async function decideOnStream<S, D extends object>(
  store: EventStore,
  stream: string,
  initial: S,
  evolve: (s: S, e: RecordedEvent) => S,
  decide: (s: S) => D,
): Promise<{ state: S; decision: D }> {
  const { state, decided } = await decideAndAppend(store, stream, { initial, evolve }, decide, (decision) =>
    'event' in decision && decision.event ? [decision.event as ProposedEvent] : [],
  );
  return { state, decision: decided };
}
