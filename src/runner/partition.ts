// Partitioned projection workers: which worker owns a document, where each worker keeps its checkpoints, and the check
// that refuses to mix two partition layouts in one read model.
//
// Ownership. Worker i of N owns the documents whose key (for every projection: the contract id) hashes to i: FNV-1a
// (32 bit, over the key's UTF-8 bytes) mod N. The hash is fixed forever — it is part of the read store's meaning, as
// a checkpoint is — so it is written out here rather than taken from a library whose output could change.
//
// Checkpoints. A worker's checkpoint for a projection is a document of the `$partitions` namespace (never a
// projection, never rebuilt, never compared), keyed `<projection>@<generation>/<i>/<N>`, committed in the same
// read-store transaction as the batch's documents. Keying by generation makes a rebuild's swap start every worker on
// the new generation from the rebuild's own (whole-log) checkpoint. A worker without a checkpoint of its own starts
// from the generation's whole-projection checkpoint: what a single-process build (`project`, `rebuild`) committed.
//
// Layouts. Worker i of N has applied events up to its checkpoint for partition i of N only; a worker of another N would
// own a different set of contracts, some applied further than its checkpoint says and some less. So a worker that finds
// checkpoints of another N in its generation refuses to start (PARTITION_LAYOUT_CHANGED), and so does a single-process
// `project`; a `rebuild` (a new generation) is the way to a new N.
import type { Projection } from '../../projections/types.js';
import type { BatchWrite, Generation, ReadStore } from '../readmodel/index.js';
import type { RunnerScope } from './runner.js';
import type { EventStore } from '../store/index.js';
import type { JsonObject, Position, RecordedEvent } from '../../schemas/index.js';
import { comparePositions, formatPosition, matchesFilter, parsePosition, upcast } from '../../schemas/index.js';

/** Worker `index` of `count`. */
export interface Partition {
  index: number;
  count: number;
}

/** The most workers a layout may have: more would be a typo (the hash spreads keys over any count). */
export const MAX_PARTITIONS = 1024;

export const PARTITION_LAYOUT_CHANGED = 'PARTITION_LAYOUT_CHANGED';

/** The namespace of the partition checkpoints (a read-store "projection" no reader asks for). */
export const PARTITIONS_NAMESPACE = '$partitions';

export class PartitionLayoutChangedError extends Error {
  readonly code = PARTITION_LAYOUT_CHANGED;
  constructor(message: string) {
    super(message);
    this.name = 'PartitionLayoutChangedError';
  }
}

export const formatPartition = (p: Partition): string => `${p.index}/${p.count}`;

/** `i/N` with 0 <= i < N <= MAX_PARTITIONS, decimal without leading zeros; anything else throws naming the rule. */
export function parsePartition(text: string): Partition {
  const m = /^(0|[1-9]\d{0,5})\/([1-9]\d{0,5})$/.exec(text);
  const rule = `must be i/N: worker i (from 0) of N workers, 0 <= i < N <= ${MAX_PARTITIONS} (e.g. 0/2)`;
  if (!m) throw new RangeError(`--partition ${JSON.stringify(text)}: ${rule}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count > MAX_PARTITIONS || index >= count) throw new RangeError(`--partition ${JSON.stringify(text)}: ${rule}`);
  return { index, count };
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash;
}

/** The partition (of `count`) that owns the document `key`. */
export const partitionOf = (key: string, count: number): number => fnv1a(key) % count;

const checkpointKey = (projection: string, generation: number, p: Partition): string =>
  `${projection}@${generation}/${formatPartition(p)}`;

interface CheckpointDoc extends JsonObject {
  partition: number;
  partitions: number;
  checkpoint: string;
}

/** The partition checkpoints of a projection's generation, by partition (any layout). */
export async function partitionCheckpoints(
  read: ReadStore,
  target: Generation,
): Promise<{ partition: Partition; checkpoint: Position }[]> {
  const prefix = `${target.projection}@${target.generation}/`;
  const out: { partition: Partition; checkpoint: Position }[] = [];
  let afterKey = prefix;
  for (;;) {
    const page = await read.list(PARTITIONS_NAMESPACE, { afterKey, limit: 256 });
    for (const { key, doc } of page) {
      if (!key.startsWith(prefix)) return out;
      const d = doc as CheckpointDoc;
      out.push({ partition: { index: d.partition, count: d.partitions }, checkpoint: parsePosition(d.checkpoint) });
    }
    if (page.length < 256) return out;
    afterKey = page[page.length - 1]!.key;
  }
}

/**
 * Throws PartitionLayoutChangedError when the generation holds checkpoints of another layout than `partition`'s (any
 * layout at all for `null`, a single-process runner).
 */
export async function assertLayout(read: ReadStore, target: Generation, partition: Partition | null): Promise<void> {
  const found = await partitionCheckpoints(read, target);
  const other = found.find((f) => partition === null || f.partition.count !== partition.count);
  if (!other) return;
  const wanted = partition === null ? 'a single process' : `${partition.count} workers`;
  throw new PartitionLayoutChangedError(
    `${target.projection} (generation ${target.generation}) was built by ${other.partition.count} partitioned ` +
      `workers; ${wanted} cannot go on from their checkpoints. Run the same number of workers, or ` +
      '`revtrail rebuild` (a new generation, which any layout can follow)',
  );
}

/** Where worker `partition` stands in a generation: its own checkpoint, else the generation's whole checkpoint. */
export async function partitionCheckpoint(
  read: ReadStore,
  target: Generation,
  partition: Partition,
): Promise<Position | null> {
  const own = await read.get(PARTITIONS_NAMESPACE, checkpointKey(target.projection, target.generation, partition));
  if (own) return parsePosition((own as CheckpointDoc).checkpoint);
  return read.checkpoint(target);
}

/** The write that moves worker `partition`'s checkpoint, to commit with the batch's documents. */
export function partitionCheckpointWrite(target: Generation, partition: Partition, checkpoint: Position): BatchWrite {
  const doc: CheckpointDoc = {
    partition: partition.index,
    partitions: partition.count,
    checkpoint: formatPosition(checkpoint),
  };
  return {
    target: { projection: PARTITIONS_NAMESPACE, generation: 1 },
    docs: new Map([[checkpointKey(target.projection, target.generation, partition), { doc }]]),
    checkpoint: null,
  };
}

/**
 * The lowest checkpoint of the layout's workers (a worker without one counts at the whole checkpoint): every worker has
 * applied every event up to it, so it may stand as the whole projection's checkpoint, which the API's readers trust
 * (lag, and reading the log after it for what the read model has not reached). Null when it cannot move it forward.
 */
export async function lowWaterMark(
  read: ReadStore,
  target: Generation,
  count: number,
): Promise<{ whole: Position | null; low: Position } | null> {
  const whole = await read.checkpoint(target);
  const found = (await partitionCheckpoints(read, target)).filter((f) => f.partition.count === count);
  if (found.length < count) return null;
  let low = found[0]!.checkpoint;
  for (const f of found) if (comparePositions(f.checkpoint, low) < 0) low = f.checkpoint;
  return whole === null || comparePositions(low, whole) > 0 ? { whole, low } : null;
}

/**
 * A projection's shared state (e.g. the product mapping in force) as of `checkpoint`, folded from the log: the stored
 * shared document is the one worker 0 writes, at its own checkpoint, not this worker's. The shared streams are small
 * (mappings): only they are read, when the projection names its documents' stream prefix.
 */
export async function sharedStateAt(
  store: EventStore,
  projection: Projection,
  checkpoint: Position | null,
): Promise<JsonObject> {
  const def = projection.shared;
  if (!def) return {};
  let state = def.initial();
  if (checkpoint === null) return state;
  const prefixes = projection.filter.streamPrefixes;
  const own = projection.documentsByStream;
  const filter =
    prefixes && own && !projection.filter.eventTypePrefixes
      ? { streamPrefixes: prefixes.filter((q) => q !== own) }
      : projection.filter;
  if (filter.streamPrefixes?.length === 0) return state;
  for await (const raw of store.readAll({ filter })) {
    if (comparePositions(raw.position, checkpoint) > 0) break;
    if (!matchesFilter(raw.streamId, raw.type, projection.filter)) continue;
    const e: RecordedEvent = upcast(raw);
    if (def.accepts(e)) state = def.evolve(state, e);
  }
  return state;
}

/**
 * Worker `partition`'s share for the runner: the documents it owns, its checkpoints, the shared state at them, and
 * (worker 0 only) the shared documents. Each generation's layout is checked before the runner starts on it.
 */
export function partitionScope(store: EventStore, read: ReadStore, partition: Partition): RunnerScope {
  return {
    owns: (key) => partitionOf(key, partition.count) === partition.index,
    writesShared: partition.index === 0,
    checkpoint: async (_projection, target) => {
      await assertLayout(read, target, partition);
      return partitionCheckpoint(read, target, partition);
    },
    sharedAt: (projection, checkpoint) => sharedStateAt(store, projection, checkpoint),
    checkpointWrites: (target, checkpoint) => [partitionCheckpointWrite(target, partition, checkpoint)],
  };
}
