// The projection runner: feeds projections from the log after their checkpoints and commits each batch of document
// changes together with the new checkpoints in one read-store transaction. A crash (kill -9 included) at any point
// leaves every read model at its last committed batch, and the next run resumes right after it: no event is applied
// twice, none is skipped. Several projections share one pass over the log; each skips what its checkpoint covers.
//
// Derivation: a projection's expensive part (`derive`, e.g. the revenue schedule) runs once per changed document per
// batch. A rebuild defers it (documents are written tagged STALE) and derives every stale document once when caught
// up — the result is the same because `derive` depends only on the document and the shared state.
//
// A document its projection cannot fold or derive (a throw, or a derivation over budget) is quarantined, not retried
// (./quarantine.ts): the batch commits with it marked, and the runner goes on.
import type { DeriveBudget, Projection } from '../../projections/types.js';
import type { CommitInfo } from './lag.js';
import { comparePositions, formatPosition, matchesFilter, upcast } from '../../schemas/index.js';
import type { BatchWrite, DocWrite, Generation, ReadStore } from '../readmodel/index.js';
import { GenerationRetiredError } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import { DEFAULT_CACHED_DOCUMENTS, DocumentCache } from './cache.js';
import type { AllFilter, JsonObject, Position, RecordedEvent } from '../../schemas/index.js';
import {
  DEFAULT_DERIVE_STEPS,
  FOLDED_AT,
  QUARANTINE_TAG,
  deriveGuarded,
  evolveGuarded,
  frozen,
  tagsFor,
} from './quarantine.js';

/** The longest a live batch that is not full waits for more events (RunnerOptions.coalesceMaxMs). */
export const DEFAULT_COALESCE_MAX_MS = 1000;

/** Tag of a document written by a rebuild before its derived part is computed. */
export const STALE = '$stale';

export interface RunnerOptions {
  /** Events per committed batch. */
  batchSize?: number;
  /**
   * Live mode: while events keep arriving faster than the batches commit, each batch that fills doubles the next, up
   * to this many events (default: batchSize, a fixed size); after a batch committed on time, not full, the next may
   * hold twice as many (at least batchSize). A catch-up (not rebuilding) commits batches of this size throughout.
   */
  maxBatchSize?: number;
  /**
   * Live mode and catch-up: committed documents kept in memory between batches (./cache.ts; default
   * DEFAULT_CACHED_DOCUMENTS; 0: none).
   */
  cachedDocuments?: number;
  /**
   * Live mode: a batch that is not full commits once no event has arrived for this long (default 20 ms) and its first
   * event is as old as the previous commit took...
   */
  waitMs?: number;
  /**
   * Live mode: ...counting the previous commit's time up to this, and at the latest when its first event is this old
   * (default DEFAULT_COALESCE_MAX_MS; 0: waitMs after its first event). Under a steady stream a follower that has
   * caught up so commits one batch per commit's time, not one per request.
   */
  coalesceMaxMs?: number;
  /** Feed the generations being rebuilt (deriving once at the end) instead of the active ones. */
  building?: boolean;
  /** The most work one document's derivation may do (default DEFAULT_DERIVE_STEPS); over it, it is quarantined. */
  deriveBudget?: DeriveBudget;
  onBatch?: (info: { events: number; checkpoint: Position }) => void;
  /**
   * After each commit: the events read since the previous one, the checkpoint committed, when the store recorded
   * its event (what projection lag is measured from), and the seconds spent folding, deriving and writing them.
   */
  onCommit?: (info: CommitInfo) => void;
  /**
   * Stops a catch-up or a stale derivation between two commits (it then throws the signal's reason): what was
   * committed stays, and the next run resumes from it.
   */
  signal?: AbortSignal;
  /** A partitioned worker's share of the work (./partition.ts); without it the runner owns every document. */
  scope?: RunnerScope;
}

/**
 * What a runner that owns only some documents needs: which keys are its own, where it stands (its own checkpoint, and
 * the shared state there, which the stored shared document need not match), the writes that carry its checkpoint in
 * each batch's transaction, and whether it is the one runner that writes the shared documents.
 */
export interface RunnerScope {
  owns(key: string): boolean;
  writesShared: boolean;
  checkpoint(projection: Projection, target: Generation): Promise<Position | null>;
  sharedAt(projection: Projection, checkpoint: Position | null): Promise<JsonObject>;
  checkpointWrites(target: Generation, checkpoint: Position): BatchWrite[];
}

export interface ProjectionStatus {
  projection: string;
  generation: number;
  /** A rebuild under way beside the active generation. */
  building: number | null;
  checkpoint: string | null;
  head: string | null;
  /**
   * Events in the log after the checkpoint (null where the store cannot count them); 0 when none of them is one the
   * projection reads, as then it has nothing to do (it may still count other streams' events in between).
   */
  eventsBehind: number | null;
  /** No event the projection reads lies after its checkpoint. */
  caughtUp: boolean;
  /** Documents in quarantine (PROJECTION_FAILED): the projection could not fold or derive them. */
  quarantined: number;
}

interface Slot {
  projection: Projection;
  target: Generation;
  /** Committed: the read store holds every event up to here. */
  checkpoint: Position | null;
  /** Folded in memory (ahead of `checkpoint` until `pending` is committed). */
  applied: Position | null;
  /** Document writes folded but not yet committed. */
  pending: Map<string, DocWrite>;
  /** The projection's shared state as folded (the runner is its only writer). */
  shared: JsonObject;
  /**
   * Rebuild only: documents as last committed, kept between batches. Nobody else writes a building generation, so
   * the copy stays true, and a replay reads each document from SQLite at most once instead of once per batch.
   */
  cache: Map<string, JsonObject> | null;
}

export class ProjectionRunner {
  private readonly projections: readonly Projection[];
  private readonly batchSize: number;
  private readonly maxBatchSize: number;
  private readonly waitMs: number;
  private readonly coalesceMaxMs: number;
  /** Live mode and catch-up: the documents committed last (null when rebuilding, or with the cache turned off). */
  private readonly documents: DocumentCache | null;
  private readonly budget: DeriveBudget;
  private stopping: (() => Promise<void>) | null = null;
  private readonly caches = new Map<string, { generation: number; docs: Map<string, JsonObject> }>();
  /** Read since the last commit, for onCommit: how many, the last one's recording time, the seconds spent on them. */
  private uncommitted = { events: 0, recordedAt: '', seconds: 0 };

  constructor(
    private readonly store: EventStore,
    private readonly read: ReadStore,
    projections: Projection | readonly Projection[],
    private readonly options: RunnerOptions = {},
  ) {
    this.projections = Array.isArray(projections) ? projections : [projections as Projection];
    this.batchSize = options.batchSize ?? 500;
    this.maxBatchSize = Math.max(this.batchSize, options.maxBatchSize ?? this.batchSize);
    const cached = options.building ? 0 : (options.cachedDocuments ?? DEFAULT_CACHED_DOCUMENTS);
    this.documents = cached > 0 ? new DocumentCache(cached) : null;
    this.waitMs = options.waitMs ?? 20;
    this.coalesceMaxMs = options.coalesceMaxMs ?? DEFAULT_COALESCE_MAX_MS;
    this.budget = options.deriveBudget ?? { maxSteps: DEFAULT_DERIVE_STEPS };
  }

  /** Applies everything in the log after the checkpoints, up to the log's end as it is now; returns events read. */
  async catchUp(): Promise<number> {
    // As when it starts following: others may have written while the runner was not running.
    this.documents?.clear();
    const slots = await this.slots();
    // A rebuild folds in chunks but commits only every `batchSize` events: between commits its documents live in
    // memory (the cache), so a document touched all through the log is written a few times, not once per chunk.
    // Otherwise a catch-up is behind by definition: its batches are as large as a follower's grow to.
    const chunk = this.options.building ? Math.min(this.batchSize, 5000) : this.maxBatchSize;
    let batch: RecordedEvent[] = [];
    let read = 0;
    let uncommitted = 0;
    for await (const e of this.store.readAll({ after: earliest(slots), filter: union(slots) })) {
      this.options.signal?.throwIfAborted();
      batch.push(e);
      read++;
      if (batch.length >= chunk) {
        uncommitted += batch.length;
        await this.apply(slots, batch, uncommitted >= this.batchSize);
        if (uncommitted >= this.batchSize) uncommitted = 0;
        batch = [];
      }
    }
    await this.apply(slots, batch, true);
    return read;
  }

  /**
   * Follows the log live until stop(): catch-up from the checkpoints, then every new event. When a rebuild swaps in
   * a new generation, the batch in hand is dropped (nothing was written) and the runner resumes on the new one.
   */
  async run(): Promise<void> {
    let stopped = false;
    let wakeStop: () => void = () => undefined;
    const stopSignal = new Promise<'stop'>((resolve) => (wakeStop = () => resolve('stop')));
    let done: Promise<void> = Promise.resolve();
    this.stopping = async () => {
      stopped = true;
      wakeStop();
      await done;
    };
    const follow = async (): Promise<void> => {
      this.documents?.clear();
      const slots = await this.slots();
      const sub = this.store.subscribeToAll({ after: earliest(slots), filter: union(slots) });
      const it = sub[Symbol.asyncIterator]();
      let batch: RecordedEvent[] = [];
      let next = it.next();
      // A batch commits when it is full; or once no event has come for waitMs and its first event is as old as the
      // previous commit took; and at the latest when its first event is coalesceMaxMs old. A batch that fills means
      // the follower is behind: the next one is twice as large, so a contract touched all through a burst is derived
      // once per larger batch instead of once per small one. Waiting as long as the previous commit took is what lets
      // a follower that has caught up keep up under a steady stream of requests: a batch costs what it touches (every
      // touched document derived and written whole), not what it adds, and it would otherwise commit each request's
      // events on their own. Commits that take milliseconds (light load) wait only for waitMs of quiet; a steady
      // trickle with no such quiet commits once per coalesceMaxMs, not once per event.
      let limit = this.batchSize;
      let hold = 0;
      let startedAt = 0;
      let lastAt = 0;
      let due: { at: Promise<'due'>; cancel: () => void } | null = null;
      const dueAt = (): number =>
        Math.min(
          Math.max(lastAt + this.waitMs, startedAt + hold),
          startedAt + Math.max(this.waitMs, this.coalesceMaxMs),
        );
      const commit = async (): Promise<void> => {
        due?.cancel();
        due = null;
        const began = performance.now();
        await this.apply(slots, batch);
        hold = Math.min(performance.now() - began, this.coalesceMaxMs);
        batch = [];
      };
      try {
        while (!stopped) {
          if (batch.length > 0 && due === null) due = timer(dueAt() - performance.now());
          const r = await Promise.race([next, stopSignal, ...(due ? [due.at] : [])]);
          if (r === 'stop') break;
          if (r === 'due') {
            due = null;
            if (performance.now() < dueAt()) continue; // events came meanwhile: wait on
            // Committed on time, not full: the next batch may grow to twice this one before it must commit.
            const size = batch.length;
            await commit();
            limit = Math.min(Math.max(this.batchSize, 2 * size), this.maxBatchSize);
            continue;
          }
          if (r.done) break;
          lastAt = performance.now();
          if (batch.length === 0) startedAt = lastAt;
          batch.push(r.value);
          next = it.next();
          if (batch.length >= limit) {
            await commit();
            limit = Math.min(limit * 2, this.maxBatchSize);
          }
        }
        due?.cancel();
        if (batch.length > 0) await this.apply(slots, batch);
      } finally {
        await sub.close();
      }
    };
    done = (async () => {
      for (;;) {
        try {
          await follow();
          return;
        } catch (err) {
          if (!(err instanceof GenerationRetiredError) || stopped) throw err;
        }
      }
    })();
    return done;
  }

  async stop(): Promise<void> {
    await this.stopping?.();
  }

  /**
   * Where each projection stands against the log's head. Lag counts against the events a projection reads: a log
   * that ends in events of other streams (e.g. an account mapping, which no projection follows) leaves it caught up.
   */
  async status(): Promise<ProjectionStatus[]> {
    const head = await this.store.headPosition();
    return Promise.all(
      this.projections.map(async (p) => {
        const g = await this.read.generations(p.name);
        const target = { projection: p.name, generation: g.active };
        const checkpoint = await this.checkpointOf(p, target);
        const caughtUp = head === null || !(await this.followsAfter(p, checkpoint, head));
        return {
          projection: p.name,
          generation: g.active,
          building: g.building,
          checkpoint: checkpoint && formatPosition(checkpoint),
          head: head && formatPosition(head),
          eventsBehind: caughtUp ? 0 : await this.store.countAfter(checkpoint),
          caughtUp,
          quarantined: (await this.read.keysByTag(target, [QUARANTINE_TAG])).length,
        };
      }),
    );
  }

  /** Whether the log holds an event the projection reads after `checkpoint` (one filtered read of one event). */
  private async followsAfter(p: Projection, checkpoint: Position | null, head: Position): Promise<boolean> {
    if (checkpoint !== null && comparePositions(checkpoint, head) >= 0) return false;
    for await (const e of this.store.readAll({
      ...(checkpoint ? { after: checkpoint } : {}),
      filter: p.filter,
      maxCount: 1,
    })) {
      return matchesFilter(e.streamId, e.type, p.filter);
    }
    return false;
  }

  /** Rebuild only: derives every document written STALE, in committed chunks (resumable after a crash). */
  async deriveStale(onProgress?: (done: number, total: number) => void): Promise<number> {
    let done = 0;
    for (const slot of await this.slots()) {
      const p = slot.projection;
      if (!p.derive) continue;
      const keys = await this.read.keysByTag(slot.target, [STALE]);
      for (let i = 0; i < keys.length; i += 500) {
        this.options.signal?.throwIfAborted();
        const docs = await this.load(slot, keys.slice(i, i + 500));
        const writes = new Map<string, DocWrite>();
        for (const [key, doc] of docs) {
          const derived = deriveGuarded(p, doc, slot.shared, this.budget, null);
          writes.set(key, { doc: derived, tags: tagsFor(p, derived) ?? [] });
        }
        await this.read.commit([{ target: slot.target, docs: writes, checkpoint: null }]);
        for (const key of writes.keys()) slot.cache?.delete(key); // derived documents are final: free them
        done += docs.size;
        onProgress?.(done, keys.length);
      }
    }
    return done;
  }

  private async slots(): Promise<Slot[]> {
    return Promise.all(
      this.projections.map(async (projection) => {
        const target = this.options.building
          ? await this.read.startBuilding(projection.name)
          : { projection: projection.name, generation: (await this.read.generations(projection.name)).active };
        const checkpoint = await this.checkpointOf(projection, target);
        const scope = this.options.scope;
        const shared = scope
          ? await scope.sharedAt(projection, checkpoint)
          : projection.shared
            ? ((await this.read.get(target, projection.shared.key)) ?? projection.shared.initial())
            : {};
        const cached = this.caches.get(projection.name);
        const cache = this.options.building
          ? cached?.generation === target.generation
            ? cached.docs
            : new Map<string, JsonObject>()
          : null;
        if (cache) this.caches.set(projection.name, { generation: target.generation, docs: cache });
        return { projection, target, checkpoint, applied: checkpoint, pending: new Map(), shared, cache };
      }),
    );
  }

  /** Folds a chunk of events into every slot; with `commit`, writes all that is pending and the checkpoints. */
  private async apply(slots: Slot[], raw: RecordedEvent[], commit = true): Promise<void> {
    const began = performance.now();
    const spent = (): number => this.uncommitted.seconds + (performance.now() - began) / 1000;
    if (raw.length > 0) {
      const events = raw.map((e) => upcast(e));
      const last = raw[raw.length - 1]!.position;
      for (const slot of slots) {
        const mine = events.filter(
          (e) =>
            (slot.applied === null || comparePositions(e.position, slot.applied) > 0) &&
            matchesFilter(e.streamId, e.type, slot.projection.filter),
        );
        const { docs, shared } = await this.fold(slot, mine);
        for (const [key, w] of docs) {
          slot.pending.set(key, w);
          if (w.doc === null) slot.cache?.delete(key);
          else slot.cache?.set(key, w.doc);
        }
        slot.shared = shared;
        slot.applied = last;
      }
      this.options.onBatch?.({ events: raw.length, checkpoint: last });
      this.uncommitted = {
        ...this.uncommitted,
        events: this.uncommitted.events + raw.length,
        recordedAt: raw[raw.length - 1]!.recordedAt,
      };
    }
    const due = slots.filter(
      (s) => s.applied !== null && (s.checkpoint === null || comparePositions(s.applied, s.checkpoint) > 0),
    );
    if (!commit || due.length === 0) {
      this.uncommitted.seconds = spent();
      return;
    }
    const scope = this.options.scope;
    await this.read.commit(
      scope
        ? due.flatMap((s) => [
            { target: s.target, docs: s.pending, checkpoint: null },
            ...scope.checkpointWrites(s.target, s.applied!),
          ])
        : due.map((s) => ({ target: s.target, docs: s.pending, checkpoint: s.applied })),
    );
    for (const slot of due) {
      for (const [key, w] of slot.pending) this.documents?.committed(slot.target, key, w.doc);
      slot.checkpoint = slot.applied;
      slot.pending = new Map();
    }
    if (this.options.onCommit && this.uncommitted.events > 0) {
      const { events, recordedAt } = this.uncommitted;
      this.options.onCommit({ events, checkpoint: due[0]!.applied!, recordedAt, seconds: spent() });
    }
    this.uncommitted = { events: 0, recordedAt: '', seconds: 0 };
  }

  /** The projection's checkpoint in `target`: the scope's own where the runner has one. */
  private checkpointOf(p: Projection, target: Generation): Promise<Position | null> {
    return this.options.scope ? this.options.scope.checkpoint(p, target) : this.read.checkpoint(target);
  }

  /** Whether the runner folds the document `key` (every one, unless its scope owns only some). */
  private owns(key: string): boolean {
    return this.options.scope?.owns(key) ?? true;
  }

  /** Documents as committed: from the rebuild's cache or the live runner's, else from the read store. */
  private async load(slot: Slot, keys: string[]): Promise<Map<string, JsonObject>> {
    const documents = this.documents;
    const cached = slot.cache
      ? (k: string) => slot.cache!.get(k)
      : documents
        ? (k: string) => documents.get(slot.target, k)
        : null;
    if (!cached) return this.read.getMany(slot.target, keys);
    const out = new Map<string, JsonObject>();
    const missing: string[] = [];
    for (const k of keys) {
      const d = cached(k);
      if (d) out.set(k, d);
      else missing.push(k);
    }
    for (const [k, d] of await this.read.getMany(slot.target, missing)) out.set(k, d);
    return out;
  }

  /** The documents a projection's share of the batch changes, ready to write (derived unless rebuilding). */
  private async fold(
    slot: Slot,
    events: RecordedEvent[],
  ): Promise<{ docs: Map<string, DocWrite>; shared: JsonObject }> {
    const p = slot.projection;
    const sharedDef = p.shared;
    let shared = slot.shared;
    const keys = new Set<string>();
    for (const e of events) {
      if (sharedDef?.accepts(e)) continue;
      const key = p.keyOf(e);
      if (key !== null && this.owns(key)) keys.add(key);
    }
    const stored = await this.load(slot, [...keys]);
    const changed = new Map<string, JsonObject>();
    /** The newest event folded into each changed document: what a derivation failure is marked with. */
    const foldedAt = new Map<string, string>();
    const current = (key: string): JsonObject => changed.get(key) ?? stored.get(key) ?? p.initial(key);
    const evolve = (key: string, doc: JsonObject, e: RecordedEvent): void => {
      changed.set(key, evolveGuarded(p, key, doc, e, shared));
      foldedAt.set(key, formatPosition(e.position));
    };
    for (const e of events) {
      if (sharedDef?.accepts(e)) {
        const before = shared;
        shared = sharedDef.evolve(before, e);
        const tags = sharedDef.affected(before, shared);
        if (tags.length === 0) continue;
        // The documents carrying a tag: as committed, and as folded since (tags may have moved).
        const candidates = new Set([
          ...(await this.read.keysByTag(slot.target, tags)).filter((k) => this.owns(k)),
          ...[...slot.pending].filter(([, w]) => w.doc !== null).map(([k]) => k),
          ...changed.keys(),
        ]);
        candidates.delete(sharedDef.key);
        const unseen = [...candidates].filter((k) => !changed.has(k) && !stored.has(k));
        for (const [k, d] of await this.load(slot, unseen)) stored.set(k, d);
        const wanted = new Set(tags);
        for (const key of [...candidates].sort()) {
          const doc = changed.get(key) ?? stored.get(key);
          if (doc === undefined) continue;
          if (!(p.tagsOf?.(doc) ?? []).some((t) => wanted.has(t))) continue;
          evolve(key, doc, e);
        }
        continue;
      }
      const key = p.keyOf(e);
      if (key !== null && this.owns(key)) evolve(key, current(key), e);
    }
    const docs = new Map<string, DocWrite>();
    for (const [key, doc] of changed) {
      // Folded back to the very document committed (the same object: its events changed nothing in it, e.g. an
      // invoice in a contract's exceptions), with nothing to derive: there is nothing to write.
      if (!p.derive && doc === stored.get(key)) continue;
      if (p.derive && this.options.building && !frozen(doc)) {
        const folded = { ...doc, [FOLDED_AT]: foldedAt.get(key)! };
        docs.set(key, { doc: folded, tags: [...(tagsFor(p, folded) ?? []), STALE] });
      } else {
        const derived = deriveGuarded(p, doc, shared, this.budget, foldedAt.get(key)!);
        const tags = tagsFor(p, derived);
        docs.set(key, tags ? { doc: derived, tags } : { doc: derived });
      }
    }
    if (sharedDef && shared !== slot.shared && (this.options.scope?.writesShared ?? true))
      docs.set(sharedDef.key, { doc: shared });
    return { docs, shared };
  }
}

/** The earliest checkpoint of the slots: the log is read once from there, each slot skipping what it has. */
function earliest(slots: Slot[]): Position | null {
  let min: Position | null = null;
  for (const s of slots) {
    if (s.checkpoint === null) return null;
    if (min === null || comparePositions(s.checkpoint, min) < 0) min = s.checkpoint;
  }
  return min;
}

/** One filter covering every slot's: stream prefixes only when every projection filters by stream alone. */
function union(slots: Slot[]): AllFilter | undefined {
  const prefixes: string[] = [];
  for (const s of slots) {
    const f = s.projection.filter;
    if (!f.streamPrefixes || f.eventTypePrefixes) return undefined;
    prefixes.push(...f.streamPrefixes);
  }
  return { streamPrefixes: [...new Set(prefixes)] };
}

/** A promise of 'due' after `ms` (now, if not positive), and a way to drop it (its timer with it). */
function timer(ms: number): { at: Promise<'due'>; cancel: () => void } {
  let handle: NodeJS.Timeout | undefined;
  const at = new Promise<'due'>((resolve) => (handle = setTimeout(() => resolve('due'), Math.max(0, ms))));
  return { at, cancel: () => clearTimeout(handle) };
}
