// Blue/green rebuild: replays the whole log into a fresh generation of each projection while the active generation
// keeps serving, derives what was deferred, catches up with whatever arrived meanwhile, then swaps the new generation
// in (one read-store transaction). A killed rebuild resumes its generation from its checkpoint (stream by stream:
// after the last streams it wrote, see ./by-stream.ts). A dry run compares the new generation with the active one,
// document by document, and throws it away instead of swapping.
import type { DeriveBudget, Projection } from '../../projections/types.js';
import { canonicalJson } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';
import type { JsonObject } from '../../schemas/index.js';
import type { ReadStore } from '../readmodel/index.js';
import { replayByStream } from './by-stream.js';
import { DEFAULT_DERIVE_STEPS } from './quarantine.js';
import { ProjectionRunner } from './runner.js';

/**
 * Events per commit of a by-stream replay (at most): its documents are final, nothing is kept between commits. Small
 * chunks are handed over before the workers' garbage collector promotes them, and the writer holds less
 * (bench/rebuild: 5,000 instead of 20,000 took 100–250 MiB off the peak RSS, and 0–2 s off the time, within the
 * machine's noise; 1,000–2,000 were no faster).
 */
const BY_STREAM_COMMIT = 5_000;

export interface RebuildProgress {
  phase: 'replay' | 'derive';
  /** The projection of the pass (`all` for the last pass, which catches every projection up). */
  projection: string;
  /** Events read (replay) or documents derived (derive). */
  done: number;
  /** What there is to do, when known. */
  total: number | null;
}

export interface DocumentDiff {
  projection: string;
  key: string;
  /** What changed, in the projection's words (a generic note when it has none). */
  changes: string[];
}

export interface RebuildReport {
  projections: string[];
  events: number;
  derived: number;
  /** Swapped in (false for a dry run). */
  activated: boolean;
  compared: number;
  changed: number;
  /** Worker threads the stream-by-stream replay folded in (0: none, or it folded in this thread). */
  workers: number;
}

export interface RebuildOptions {
  dryRun?: boolean;
  batchSize?: number;
  onProgress?: (p: RebuildProgress) => void;
  /** Worker threads for the stream-by-stream replay (default: by the machine's parallelism; 0: this thread). */
  workers?: number;
  /** Called for each document of the new generation that differs from the active one (before any swap). */
  onDiff?: (d: DocumentDiff) => void;
  /** The derivation budget (default DEFAULT_DERIVE_STEPS): the live runner's, so both quarantine the same documents. */
  deriveBudget?: DeriveBudget;
  /**
   * Stops the rebuild between two commits (it then throws the signal's reason) and leaves its generation building:
   * the next rebuild resumes it. Nothing is swapped in.
   */
  signal?: AbortSignal;
}

export async function rebuild(
  store: EventStore,
  read: ReadStore,
  projections: readonly Projection[],
  options: RebuildOptions = {},
): Promise<RebuildReport> {
  // Projections whose documents each come from one stream are replayed stream by stream first (./by-stream.ts): one
  // read of the log for all of them, each document derived and written once. The passes below then only catch them up
  // with what arrived since, and do the whole work for any other projection.
  const budget = options.deriveBudget ?? { maxSteps: DEFAULT_DERIVE_STEPS };
  const byStream = await replayByStream(store, read, projections, {
    budget,
    commitEvery: Math.min(options.batchSize ?? 1_000_000, BY_STREAM_COMMIT),
    onProgress: (done, total) => options.onProgress?.({ phase: 'replay', projection: 'all', done, total }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let events = byStream?.events ?? 0;
  let derived = byStream?.derived ?? 0;
  // One pass per projection not replayed stream by stream, then all of them together: a pass holds its projection's
  // documents in memory until they are derived and committed, so the peak is the largest projection's rather than the
  // sum of all (at the price of reading the log once per projection). The last pass catches every projection up with
  // what arrived meanwhile.
  const replayedByStream = new Set(byStream?.projections ?? []);
  const alone = projections.filter((p) => !replayedByStream.has(p.name));
  const passes: (readonly Projection[])[] =
    projections.length > 1 && alone.length > 0 ? [...alone.map((p) => [p]), projections] : [projections];
  for (const pass of passes) {
    let replayed = 0;
    let total: number | null = null;
    const name = pass.length === 1 ? pass[0]!.name : 'all';
    const runner = new ProjectionRunner(store, read, pass, {
      building: true,
      deriveBudget: budget,
      ...(options.signal ? { signal: options.signal } : {}),
      batchSize: options.batchSize ?? 1_000_000,
      onBatch: (b) => {
        replayed += b.events;
        options.onProgress?.({ phase: 'replay', projection: name, done: replayed, total });
      },
    });
    // Replay, then derive; repeat while the log grew in the meantime, so the swap happens caught up.
    for (;;) {
      const building = await Promise.all(pass.map((p) => read.startBuilding(p.name)));
      const checkpoints = await Promise.all(building.map((g) => read.checkpoint(g)));
      const behind = await Promise.all(checkpoints.map((c) => store.countAfter(c)));
      total = behind.some((b) => b === null) ? null : replayed + Math.max(0, ...(behind as number[]));
      const read_ = await runner.catchUp();
      derived += await runner.deriveStale((done, of) =>
        options.onProgress?.({ phase: 'derive', projection: name, done: derived + done, total: derived + of }),
      );
      if (read_ === 0) break;
    }
    events = Math.max(events, (byStream?.events ?? 0) + replayed);
  }

  const report: RebuildReport = {
    projections: projections.map((p) => p.name),
    events,
    derived,
    activated: false,
    compared: 0,
    changed: 0,
    workers: byStream?.workers ?? 0,
  };
  options.signal?.throwIfAborted();
  for (const p of projections) {
    const building = await read.startBuilding(p.name);
    if (options.dryRun || options.onDiff) {
      const { compared, changed } = await compare(read, p, building.generation, options.onDiff);
      report.compared += compared;
      report.changed += changed;
    }
    if (options.dryRun) {
      await read.discard(building);
    } else {
      await read.activate(building);
      report.activated = true;
    }
  }
  return report;
}

/** Walks both generations in key order (a merge join, a page at a time) and reports the documents that differ. */
async function compare(
  read: ReadStore,
  p: Projection,
  generation: number,
  onDiff: RebuildOptions['onDiff'],
): Promise<{ compared: number; changed: number }> {
  const next = { projection: p.name, generation };
  const pages = (target: typeof next | string) => paged(read, target);
  const a = pages(p.name)[Symbol.asyncIterator]();
  const b = pages(next)[Symbol.asyncIterator]();
  let x = await a.next();
  let y = await b.next();
  let compared = 0;
  let changed = 0;
  const report = (key: string, before: JsonObject | null, after: JsonObject | null) => {
    changed++;
    const words = p.diff?.(before, after) ?? [];
    onDiff?.({
      projection: p.name,
      key,
      changes: words.length > 0 ? words : [before === null ? 'new document' : after === null ? 'removed' : 'changed'],
    });
  };
  while (!x.done || !y.done) {
    compared++;
    if (y.done || (!x.done && x.value.key < y.value.key)) {
      report(x.value!.key, x.value!.doc, null);
      x = await a.next();
    } else if (x.done || y.value.key < x.value.key) {
      report(y.value.key, null, y.value.doc);
      y = await b.next();
    } else {
      if (canonicalJson(x.value.doc) !== canonicalJson(y.value.doc)) report(x.value.key, x.value.doc, y.value.doc);
      x = await a.next();
      y = await b.next();
    }
  }
  return { compared, changed };
}

async function* paged(read: ReadStore, target: Parameters<ReadStore['list']>[0]) {
  let afterKey = '';
  for (;;) {
    const page = await read.list(target, { afterKey, limit: 1000 });
    yield* page;
    if (page.length < 1000) return;
    afterKey = page[page.length - 1]!.key;
  }
}
