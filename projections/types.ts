// What a projection is: a pure fold of events into documents, one document per key (e.g. per contract). The runner
// (src/runner) feeds it and stores the documents; a projection never does I/O, never reads the clock, and never
// assumes it sees every contract (a worker may own only a partition of them).
import type { AllFilter, JsonObject, RecordedEvent } from '../src/store/types.js';

export interface Projection<D extends JsonObject = JsonObject> {
  /** Stable name: the read-model namespace and the checkpoint's key. */
  readonly name: string;
  /** The events it reads (a server-side filter on the log). */
  readonly filter: AllFilter;
  /** The document an event affects, or null when it affects none. */
  keyOf(event: RecordedEvent): string | null;
  initial(key: string): D;
  evolve(doc: D, event: RecordedEvent): D;
}
