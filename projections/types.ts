// What a projection is: a pure fold of events into documents, one document per key (e.g. per contract). The runner
// (src/runner) feeds it and stores the documents; a projection never does I/O, never reads the clock, and never
// assumes it sees every contract (a worker may own only a partition of them).
import type { AllFilter, JsonObject, RecordedEvent } from '../schemas/index.js';

/**
 * State every document of a projection may read, folded from its own events — e.g. the product mapping in force,
 * which every revenue schedule is computed with. A change to it reaches exactly the documents carrying one of the
 * tags `affected` names (e.g. the contracts using a SKU whose mapping changed), through `evolve` with the same event.
 */
export interface SharedState<S extends JsonObject> {
  /** The document key it is stored under, beside the projection's own documents. */
  readonly key: string;
  initial(): S;
  /** True when the event changes the shared state (it is then not given to keyOf). */
  accepts(event: RecordedEvent): boolean;
  evolve(state: S, event: RecordedEvent): S;
  /** Tags of the documents the change from `before` to `after` concerns. */
  affected(before: S, after: S): string[];
}

/**
 * The most work one derivation may do: a projection's `derive` throws when a document would need more (the revenue
 * engine counts schedule steps, see ScheduleInput.maxSteps). The runner configures it and quarantines the document.
 */
export interface DeriveBudget {
  readonly maxSteps: number;
}

export interface Projection<D extends JsonObject = JsonObject, S extends JsonObject = JsonObject> {
  /** Stable name: the read-model namespace and the checkpoint's key. */
  readonly name: string;
  /** The events it reads (a server-side filter on the log). */
  readonly filter: AllFilter;
  /** The document an event affects, or null when it affects none. */
  keyOf(event: RecordedEvent): string | null;
  initial(key: string): D;
  /** Folds one event into a document: its own events, and shared-state changes that concern it. */
  evolve(doc: D, event: RecordedEvent, shared: S): D;
  readonly shared?: SharedState<S>;
  /** Index terms of a document (e.g. `sku:<SKU>`), by which shared-state changes find it. */
  tagsOf?(doc: D): string[];
  /**
   * The expensive part of a document (e.g. the revenue schedule), computed from its folded facts and the shared
   * state once per committed batch rather than once per event. Must depend on nothing else, so that deriving late
   * (a rebuild derives once, at the end) gives the same document as deriving after every batch. `evolve` leaves the
   * derived part empty, so a document folded but not (or not successfully) derived is the same however it was batched.
   * Without a budget the work is unbounded.
   */
  derive?(doc: D, shared: S, budget?: DeriveBudget): D;
  /**
   * A stream prefix, set when every document is folded from the events of one stream with that prefix (e.g. one
   * contract's stream) plus shared-state changes, which are then the only events it reads from other streams. A
   * rebuild may then fold stream after stream, deriving and writing each document once, instead of holding every
   * document until the end of the log.
   */
  readonly documentsByStream?: string;
  /** Human-readable differences between two versions of a document, for `rebuild --dry-run --diff`. */
  diff?(before: D | null, after: D | null): string[];
}
