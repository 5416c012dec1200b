// The projection runner: feeds a projection from the log after its checkpoint and commits each batch of document
// changes together with the new checkpoint in one read-store transaction. A crash (kill -9 included) at any point
// leaves the read model at the last committed batch, and the next run resumes right after it: no event is applied
// twice, none is skipped.
import type { Projection } from '../../projections/types.js';
import { upcast } from '../../schemas/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore, JsonObject, Position, RecordedEvent } from '../store/index.js';

export interface RunnerOptions {
  /** Events per committed batch. */
  batchSize?: number;
  /** Live mode: commit a partial batch once no event has arrived for this long. */
  idleMs?: number;
  onBatch?: (info: { projection: string; events: number; checkpoint: Position }) => void;
}

export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly idleMs: number;
  private stopping: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly read: ReadStore,
    private readonly projection: Projection,
    private readonly options: RunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.idleMs = options.idleMs ?? 20;
  }

  /** Applies everything in the log after the checkpoint, up to the log's end as it is now; returns events read. */
  async catchUp(): Promise<number> {
    const after = await this.read.checkpoint(this.projection.name);
    let batch: RecordedEvent[] = [];
    let read = 0;
    for await (const e of this.store.readAll({ after, filter: this.projection.filter })) {
      batch.push(e);
      read++;
      if (batch.length >= this.batchSize) {
        await this.apply(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.apply(batch);
    return read;
  }

  /** Follows the log live until stop(): catch-up from the checkpoint, then every new event. */
  async run(): Promise<void> {
    const after = await this.read.checkpoint(this.projection.name);
    const sub = this.store.subscribeToAll({ after, filter: this.projection.filter });
    const it = sub[Symbol.asyncIterator]();
    let stopped = false;
    let wakeStop: () => void = () => undefined;
    const stopSignal = new Promise<'stop'>((resolve) => (wakeStop = () => resolve('stop')));
    this.stopping = async () => {
      stopped = true;
      wakeStop();
      await done;
    };
    const done = (async () => {
      let batch: RecordedEvent[] = [];
      let next = it.next();
      try {
        while (!stopped) {
          const idle = batch.length > 0 ? sleep(this.idleMs) : null;
          const r = await Promise.race([next, stopSignal, ...(idle ? [idle] : [])]);
          if (r === 'stop') break;
          if (r === 'idle') {
            await this.apply(batch);
            batch = [];
            continue;
          }
          if (r.done) break;
          batch.push(r.value);
          next = it.next();
          if (batch.length >= this.batchSize) {
            await this.apply(batch);
            batch = [];
          }
        }
        if (batch.length > 0) await this.apply(batch);
      } finally {
        await sub.close();
      }
    })();
    return done;
  }

  async stop(): Promise<void> {
    await this.stopping?.();
  }

  /** Where the projection stands against the log's head (positions; null when empty). */
  async status(): Promise<{ projection: string; checkpoint: Position | null; head: Position | null }> {
    return {
      projection: this.projection.name,
      checkpoint: await this.read.checkpoint(this.projection.name),
      head: await this.store.headPosition(),
    };
  }

  private async apply(batch: RecordedEvent[]): Promise<void> {
    const p = this.projection;
    const events = batch.map((e) => upcast(e));
    const keys = [...new Set(events.map((e) => p.keyOf(e)).filter((k): k is string => k !== null))];
    const stored = await this.read.getMany(p.name, keys);
    const changed = new Map<string, JsonObject>();
    for (const e of events) {
      const key = p.keyOf(e);
      if (key === null) continue;
      changed.set(key, p.evolve(changed.get(key) ?? stored.get(key) ?? p.initial(key), e));
    }
    const checkpoint = batch[batch.length - 1]!.position;
    await this.read.commit(p.name, changed, checkpoint);
    this.options.onBatch?.({ projection: p.name, events: batch.length, checkpoint });
  }
}

const sleep = (ms: number): Promise<'idle'> => new Promise((r) => setTimeout(() => r('idle'), ms));
