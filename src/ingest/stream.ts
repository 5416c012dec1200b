// The write side's loop for short streams (mappings, periods): fold, decide, append at the revision read.
import type { EventStore } from '../store/index.js';
import type { ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import { WrongExpectedVersionError } from '../store/index.js';

/**
 * Folds a short stream, decides, appends at the revision read; a clash (another node changed the stream) means
 * reading again and deciding again.
 */
export async function decideOnStream<S, D extends object>(
  store: EventStore,
  stream: string,
  initial: S,
  evolve: (s: S, e: RecordedEvent) => S,
  decide: (s: S) => D,
): Promise<{ state: S; decision: D }> {
  for (let attempt = 0; ; attempt++) {
    let state = initial;
    let revision: number | null = null;
    for await (const e of store.readStream(stream)) {
      state = evolve(state, e);
      revision = e.revision;
    }
    const decision = decide(state);
    const event = 'event' in decision ? (decision.event as ProposedEvent) : undefined;
    if (!event) return { state, decision };
    try {
      await store.append(stream, [event], { expectedRevision: revision ?? 'no_stream' });
      return { state, decision };
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError) || attempt >= 10) throw err;
    }
  }
}
