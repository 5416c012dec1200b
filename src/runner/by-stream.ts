// A rebuild's replay stream by stream: for projections whose documents each come from one stream (`documentsByStream`,
// e.g. one contract's), the log up to a fixed position is read in stream order, and each stream's documents are
// folded, derived and serialised as soon as the stream is read — one stream's documents in memory at a time, each
// written once. The result is the document the log-order replay gives: a document sees its own events in revision
// order (their log order) and each shared-state change (e.g. a product mapping published) at its log position,
// exactly as the runner applies it (to the documents whose tags it names), and is derived with the final shared state.
//
// The streams are split into ranges of about equal size, folded by worker threads side by side when the store is a
// file another connection can open (the embedded store); the calling thread writes what they fold. Each commit carries
// a `$rebuild` document in every building generation naming the position the pass reads up to and, per range, the
// last stream written, so a killed pass resumes after those streams. When every range is done the pass commits the
// position as the projections' checkpoint, and the runner catches up from there as usual.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PROJECTIONS } from '../../projections/index.js';
import type { DeriveBudget, Projection } from '../../projections/types.js';
import { formatPosition, matchesFilter, parsePosition, upcast } from '../../schemas/index.js';
import type { Generation, JsonDocWrite, ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import type { JsonObject, Position, RecordedEvent } from '../../schemas/index.js';
import { deriveGuarded, evolveGuarded, tagsFor } from './quarantine.js';

/** Key of the progress document a by-stream pass keeps in each building generation while it runs. */
export const PROGRESS_KEY = '$rebuild';

/** Streams after `after` and before `before` (both exclusive; null: no bound). */
export interface StreamRange extends JsonObject {
  after: string | null;
  before: string | null;
}

interface Progress extends JsonObject {
  upTo: string;
  /** Each range with `after` moved to its last stream written. */
  ranges: StreamRange[];
}

export interface SharedChange {
  position: bigint;
  event: RecordedEvent;
  after: JsonObject;
  /** Tags of the documents the change concerns. */
  tags: string[];
}

/** What folding a projection needs besides its code: plain data, so that a worker thread can be given it. */
export interface LaneSpec {
  name: string;
  /** Shared-state changes up to the pass's position, in log order (none without shared state). */
  changes: SharedChange[];
  initialShared: JsonObject;
  finalShared: JsonObject;
}

/** One document as folded: its projection (index in the pass), key, JSON text and tags. */
export interface FoldedDoc {
  lane: number;
  key: string;
  json: string;
  tags?: string[];
}

/** Documents of consecutive streams of one range, up to and including `lastStream`. */
export interface FoldedChunk {
  range: number;
  lastStream: string;
  events: number;
  derived: number;
  docs: FoldedDoc[];
}

export interface ByStreamReport {
  /** The projections it replayed. */
  projections: string[];
  events: number;
  derived: number;
  /** Worker threads that folded (0: folded in the calling thread). */
  workers: number;
}

export interface ByStreamOptions {
  commitEvery: number;
  onProgress?: (done: number, total: number | null) => void;
  /** Worker threads to fold in; default: the machine's parallelism, at least 2, at most 4; 0 folds in this thread. */
  workers?: number;
  /** The derivation budget, as the live runner's (a document over it is quarantined the same way). */
  budget: DeriveBudget;
  /** Stops the pass before its next commit (it throws the signal's reason); the progress committed resumes it. */
  signal?: AbortSignal;
}

/**
 * Runs the by-stream pass for every projection of `projections` that can take it; returns what it did, or null when
 * none could (the log-order replay then does all the work). A projection can when it declares `documentsByStream`,
 * the store reads by stream, and its building generation has no checkpoint yet (a generation with one is past this
 * pass, or was started by the log-order replay, which resumes it).
 */
export async function replayByStream(
  store: EventStore,
  read: ReadStore,
  projections: readonly Projection[],
  options: ByStreamOptions,
): Promise<ByStreamReport | null> {
  if (!store.readByStream) return null;
  // Projections that share a prefix and a resume point run together, so the log is read once for all of them.
  const groups = new Map<string, { prefix: string; progress: Progress | null; projections: Projection[] }>();
  for (const p of projections) {
    if (!eligible(p)) continue;
    const target = await read.startBuilding(p.name);
    if ((await read.checkpoint(target)) !== null) continue;
    const found = await read.get(target, PROGRESS_KEY);
    const progress = found && Array.isArray(found.ranges) ? (found as Progress) : null;
    const id = JSON.stringify([p.documentsByStream, progress]);
    const g = groups.get(id) ?? { prefix: p.documentsByStream!, progress, projections: [] };
    g.projections.push(p);
    groups.set(id, g);
  }
  if (groups.size === 0) return null;
  const head = await store.headPosition();
  if (head === null) return null;
  const report: ByStreamReport = { projections: [], events: 0, derived: 0, workers: 0 };
  for (const g of groups.values()) {
    const upTo = g.progress ? parsePosition(g.progress.upTo) : head;
    const specs: LaneSpec[] = [];
    for (const p of g.projections) specs.push(await laneSpec(store, p, g.prefix, upTo));
    const threads = options.workers ?? Math.min(4, Math.max(2, availableParallelism()));
    const streams = store.listStreams ? await store.listStreams(g.prefix) : [];
    // The streams' events now: for the ranges, and for the progress bar (a count of the log to `upTo` would cost a
    // scan of its own).
    const events = streams.reduce((n, s) => n + s.revision + 1, 0);
    const ranges = g.progress?.ranges ?? splitStreams(streams, events, threads);
    const total = streams.length === 0 ? null : events;
    const done = await pass(store, read, g.projections, specs, g.prefix, upTo, ranges, {
      ...options,
      workers: threads,
      total,
    });
    report.projections.push(...g.projections.map((p) => p.name));
    report.events += done.events;
    report.derived += done.derived;
    report.workers = Math.max(report.workers, done.workers);
  }
  return report;
}

function eligible(p: Projection): boolean {
  const prefix = p.documentsByStream;
  const f = p.filter;
  if (prefix === undefined || prefix.length === 0 || f.eventTypePrefixes || !f.streamPrefixes) return false;
  if (!f.streamPrefixes.includes(prefix)) return false;
  // Other streams must be told apart from the documents' streams by their prefix alone.
  return f.streamPrefixes.every((q) => q === prefix || (!q.startsWith(prefix) && !prefix.startsWith(q)));
}

/** The projection's shared-state changes up to `upTo`, read from its other streams (small: e.g. mappings). */
async function laneSpec(store: EventStore, p: Projection, prefix: string, upTo: Position): Promise<LaneSpec> {
  const def = p.shared;
  const initial = def ? def.initial() : {};
  const events: RecordedEvent[] = [];
  for (const q of p.filter.streamPrefixes!) {
    if (q === prefix) continue;
    for await (const e of store.readByStream!({ streamPrefix: q, upTo })) events.push(upcast(e));
  }
  events.sort((a, b) => (a.position.commit < b.position.commit ? -1 : a.position.commit > b.position.commit ? 1 : 0));
  const changes: SharedChange[] = [];
  let state = initial;
  for (const e of events) {
    if (!matchesFilter(e.streamId, e.type, p.filter)) continue;
    if (def?.accepts(e)) {
      const after = def.evolve(state, e);
      changes.push({ position: e.position.commit, event: e, after, tags: def.affected(state, after) });
      state = after;
    } else if (p.keyOf(e) !== null) {
      throw new Error(
        `projection ${p.name} declares its documents by stream ${prefix} but folds ${e.type} of ${e.streamId} into one`,
      );
    }
  }
  return { name: p.name, changes, initialShared: initial, finalShared: state };
}

/** Ranges of about equal numbers of events, of `total` in `streams` (one range when the store could not list them). */
function splitStreams(
  streams: readonly { streamId: string; revision: number }[],
  total: number,
  parts: number,
): StreamRange[] {
  if (parts < 2 || streams.length < parts) return [{ after: null, before: null }];
  const ranges: StreamRange[] = [];
  let after: string | null = null;
  let seen = 0;
  for (let i = 0; i < streams.length - 1 && ranges.length < parts - 1; i++) {
    seen += streams[i]!.revision + 1;
    if (seen >= (total * (ranges.length + 1)) / parts) {
      ranges.push({ after, before: streams[i + 1]!.streamId });
      after = streams[i]!.streamId;
    }
  }
  ranges.push({ after, before: null });
  return ranges;
}

/** Folds streams into their projections' documents; the same code runs in the calling thread or in a worker. */
export class StreamFolder {
  constructor(
    private readonly projections: readonly Projection[],
    private readonly specs: readonly LaneSpec[],
    private readonly budget: DeriveBudget,
  ) {}

  /** One stream's events (revision order) to its documents, derived and serialised; counts what it derived. */
  fold(raw: readonly RecordedEvent[], out: FoldedDoc[]): number {
    const events = raw.map((e) => upcast(e));
    let derived = 0;
    this.projections.forEach((p, lane) => {
      const spec = this.specs[lane]!;
      const docs = new Map<string, JsonObject>();
      /** The newest event folded into each document: what a derivation failure is marked with. */
      const foldedAt = new Map<string, RecordedEvent>();
      let shared = spec.initialShared;
      let next = 0;
      // Shared-state changes before `position` (all of them for null), applied as the runner applies them.
      const changesBefore = (position: bigint | null) => {
        while (next < spec.changes.length && (position === null || spec.changes[next]!.position < position)) {
          const c = spec.changes[next++]!;
          shared = c.after;
          if (c.tags.length === 0) continue;
          for (const [key, doc] of docs) {
            if (!(p.tagsOf?.(doc) ?? []).some((t) => c.tags.includes(t))) continue;
            docs.set(key, evolveGuarded(p, key, doc, c.event, shared));
            foldedAt.set(key, c.event);
          }
        }
      };
      for (const e of events) {
        changesBefore(e.position.commit);
        if (!matchesFilter(e.streamId, e.type, p.filter)) continue;
        const key = p.keyOf(e);
        if (key === null) continue;
        docs.set(key, evolveGuarded(p, key, docs.get(key) ?? p.initial(key), e, shared));
        foldedAt.set(key, e);
      }
      changesBefore(null);
      for (const [key, doc] of docs) {
        const at = formatPosition(foldedAt.get(key)!.position);
        const final = deriveGuarded(p, doc, spec.finalShared, this.budget, at);
        if (p.derive) derived++;
        const tags = tagsFor(p, final);
        out.push(
          tags === undefined
            ? { lane, key, json: JSON.stringify(final) }
            : { lane, key, json: JSON.stringify(final), tags },
        );
      }
    });
    return derived;
  }
}

/** Reads a range stream by stream and folds it, in chunks of at least `commitEvery` events ending on a stream. */
export async function* foldRange(
  store: EventStore,
  folder: StreamFolder,
  prefix: string,
  upTo: Position,
  range: StreamRange,
  index: number,
  commitEvery: number,
): AsyncGenerator<FoldedChunk> {
  let chunk: FoldedChunk | null = null;
  let stream: RecordedEvent[] = [];
  const flush = () => {
    if (stream.length === 0) return;
    chunk ??= { range: index, lastStream: '', events: 0, derived: 0, docs: [] };
    chunk.derived += folder.fold(stream, chunk.docs);
    chunk.events += stream.length;
    chunk.lastStream = stream[0]!.streamId;
    stream = [];
  };
  const source = store.readByStream!({
    streamPrefix: prefix,
    upTo,
    ...(range.after === null ? {} : { afterStream: range.after }),
    ...(range.before === null ? {} : { beforeStream: range.before }),
  });
  for await (const e of source) {
    if (stream.length > 0 && e.streamId !== stream[0]!.streamId) {
      flush();
      if (chunk !== null && (chunk as FoldedChunk).events >= commitEvery) {
        yield chunk;
        chunk = null;
      }
    }
    stream.push(e);
  }
  flush();
  if (chunk !== null) yield chunk;
}

const WORKER = new URL('./by-stream-worker.js', import.meta.url);
/**
 * A worker's young generation: the engine allocates a decimal per arithmetic step, and with V8's default young
 * generation those short-lived objects are scavenged several times as often (bench/rebuild: 64 MiB took the CPU time of
 * the whole rebuild from ~72 s to ~63 s; 128 MiB was slower again).
 */
const YOUNG_MIB = 64;

/** Worker threads need the compiled worker beside this module, a store file to open, and projections they know. */
function canUseWorkers(store: EventStore, projections: readonly Projection[]): store is EventStore & { path: string } {
  return (
    store.kind === 'sqlite' &&
    typeof (store as { path?: unknown }).path === 'string' &&
    existsSync(fileURLToPath(WORKER)) && // not when running from the TypeScript sources (tests): folded in this thread
    projections.every((p) => PROJECTIONS.includes(p))
  );
}

async function pass(
  store: EventStore,
  read: ReadStore,
  projections: readonly Projection[],
  specs: readonly LaneSpec[],
  prefix: string,
  upTo: Position,
  ranges: StreamRange[],
  options: ByStreamOptions & { workers: number; total: number | null },
): Promise<Omit<ByStreamReport, 'projections'>> {
  // The shared-state changes read first count as events read too: the most of any projection's, not their sum.
  const changes = Math.max(0, ...specs.map((s) => s.changes.length));
  const total = options.total === null ? null : options.total + changes;
  const targets: Generation[] = [];
  for (const p of projections) targets.push(await read.startBuilding(p.name));
  const progress: Progress = { upTo: formatPosition(upTo), ranges: ranges.map((r) => ({ ...r })) };
  const seen = projections.map(() => new Set<string>());
  let events = changes;
  let derived = 0;

  const commit = async (chunk: FoldedChunk) => {
    options.signal?.throwIfAborted();
    const writes = targets.map(() => new Map<string, JsonDocWrite | { doc: JsonObject | null }>());
    for (const d of chunk.docs) {
      // Each stream is folded on its own: a key met twice means two streams feed it, against the declaration.
      if (seen[d.lane]!.has(d.key))
        throw new Error(
          `projection ${projections[d.lane]!.name} declares its documents by stream but ${d.key} is fed by more than one`,
        );
      seen[d.lane]!.add(d.key);
      writes[d.lane]!.set(d.key, d.tags === undefined ? { json: d.json } : { json: d.json, tags: d.tags });
    }
    progress.ranges[chunk.range]!.after = chunk.lastStream;
    for (const w of writes)
      w.set(PROGRESS_KEY, { doc: { ...progress, ranges: progress.ranges.map((r) => ({ ...r })) } });
    await read.commit(targets.map((target, i) => ({ target, docs: writes[i]!, checkpoint: null })));
    events += chunk.events;
    derived += chunk.derived;
    options.onProgress?.(events, total);
  };

  let workers = 0;
  if (options.workers > 0 && canUseWorkers(store, projections)) {
    workers = ranges.length;
    await inWorkers(store.path, projections, specs, prefix, upTo, progress.ranges, options, commit);
    options.signal?.throwIfAborted();
  } else {
    const folder = new StreamFolder(projections, specs, options.budget);
    for (const [i, range] of progress.ranges.entries()) {
      for await (const chunk of foldRange(store, folder, prefix, upTo, { ...range }, i, options.commitEvery))
        await commit(chunk);
    }
  }

  options.signal?.throwIfAborted();
  // Done: the shared states as folded, no progress document, and the position as checkpoint.
  await read.commit(
    projections.map((p, i) => {
      const docs = new Map<string, { doc: JsonObject | null }>([[PROGRESS_KEY, { doc: null }]]);
      if (p.shared && specs[i]!.changes.length > 0) docs.set(p.shared.key, { doc: specs[i]!.finalShared });
      return { target: targets[i]!, docs, checkpoint: upTo };
    }),
  );
  return { events, derived, workers };
}

/** What a worker is given. */
export interface WorkerTask {
  path: string;
  names: string[];
  specs: LaneSpec[];
  prefix: string;
  upTo: Position;
  range: StreamRange;
  index: number;
  commitEvery: number;
  budget: DeriveBudget;
}

/** Messages from a worker: a chunk to write, or the end of its range. */
export type WorkerMessage = { kind: 'chunk'; chunk: FoldedChunk } | { kind: 'done' };

/** One worker per range; their chunks are written one at a time, in the order they arrive. */
async function inWorkers(
  path: string,
  projections: readonly Projection[],
  specs: readonly LaneSpec[],
  prefix: string,
  upTo: Position,
  ranges: readonly StreamRange[],
  { commitEvery, budget, signal }: { commitEvery: number; budget: DeriveBudget; signal?: AbortSignal },
  commit: (chunk: FoldedChunk) => Promise<void>,
): Promise<void> {
  const threads: Worker[] = [];
  let onAbort = (): void => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = ranges.length;
      let failed = false;
      // Writes run one after another; after a failure nothing more is written, and the pass ends once the write in
      // hand (if any) has finished.
      let writing = Promise.resolve();
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        void writing.then(() => reject(err instanceof Error ? err : new Error(String(err))));
      };
      // Stopped: no more writes; the threads are terminated below and what they folded since is not committed.
      onAbort = () => fail(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) fail(signal.reason);
      const enqueue = (step: () => Promise<void> | void) => {
        writing = writing.then(() => (failed ? undefined : step())).catch(fail);
      };
      ranges.forEach((range, index) => {
        const task: WorkerTask = {
          path,
          names: projections.map((p) => p.name),
          specs: [...specs],
          prefix,
          upTo,
          range,
          index,
          commitEvery,
          budget,
        };
        const w = new Worker(WORKER, { workerData: task, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MIB } });
        threads.push(w);
        let finished = false;
        w.on('message', (m: WorkerMessage) => {
          if (m.kind === 'chunk') {
            enqueue(async () => {
              await commit(m.chunk);
              w.postMessage('ack');
            });
          } else {
            finished = true;
            enqueue(() => {
              if (--running === 0) resolve();
            });
          }
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (!finished) fail(new Error(`rebuild worker for streams ${JSON.stringify(range)} exited with ${code}`));
        });
      });
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(threads.map((w) => w.terminate()));
  }
}
