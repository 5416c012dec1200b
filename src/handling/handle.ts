// The one command loop of the write side: read a stream, fold it, decide, append what was decided at the revision
// read. A clash (another writer appended in between) means the decision was made on a stale state, so the stream is
// read and the command decided again; event ids derive from the command and the state, so a retried append never
// writes an event twice. The retries are bounded: a stream that moves on every attempt is a bug or a storm, and the
// clash is thrown to the caller.
import type { Decider } from '../../commands/decider.js';
import { accepted } from '../../commands/decider.js';
import type { ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';
import { WrongExpectedVersionError } from '../store/index.js';

/** Clashes on one command before the loop gives up and throws the last one. */
export const MAX_CLASH_RETRIES = 10;

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

/** The loop under both entry points: `eventsOf` says what a decision appends (nothing: no write). */
async function decideAndAppend<State, Decided>(
  store: EventStore,
  stream: string,
  fold: Fold<State>,
  decide: (state: State) => Decided,
  eventsOf: (decided: Decided) => ProposedEvent[],
  options: HandleOptions = {},
): Promise<{ state: State; decided: Decided }> {
  for (let attempt = 0; ; attempt++) {
    const { state, revision } = await readAndFold(store, stream, fold, options.lastEventOnly ?? false);
    const decided = decide(state);
    const events = eventsOf(decided);
    if (events.length === 0) return { state, decided };
    try {
      await store.append(stream, events, { expectedRevision: revision ?? 'no_stream' });
      return { state, decided };
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || attempt >= MAX_CLASH_RETRIES) throw err;
    }
  }
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
