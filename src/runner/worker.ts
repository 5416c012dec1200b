// A projection worker: the projections run in a process of their own (`revtrail project --follow`), beside API nodes
// that run with REVTRAIL_PROJECTIONS=off over the same log and read store.
//
// Alone (no partition) it is the live runner of an API node (./live.ts): it follows the log and catches a far-behind
// read store up stream by stream. As worker i of N (./partition.ts) it follows the log with a runner scoped to the
// contracts it owns: the log is read in order through the store's catch-up subscription (on EventStoreDB a catch-up
// subscription to $all; a persistent subscription would deliver at least once and out of order), every batch commits
// its documents with the worker's checkpoint in one read-store transaction, so a kill -9 at any point leaves the worker
// at its last batch and the restart goes on from there. Worker 0 alone writes the shared documents, and moves each
// projection's whole checkpoint up to the lowest of the workers' (what the API nodes read lag and completeness by).
import type { Projection } from '../../projections/types.js';
import type { ReadStore } from '../readmodel/index.js';
import { GenerationRetiredError } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import type { Position } from '../../schemas/index.js';
import type { ProjectionBatchReport } from './lag.js';
import { lagReporter } from './lag.js';
import { LiveRunner, followGrowth } from './live.js';
import type { FollowSettings } from './live.js';
import type { Partition } from './partition.js';
import {
  PartitionLayoutChangedError,
  assertLayout,
  formatPartition,
  lowWaterMark,
  partitionScope,
} from './partition.js';
import type { ProjectionStatus } from './runner.js';
import { ProjectionRunner } from './runner.js';

/** How long a failed worker waits before it starts again from its checkpoints. */
const RESTART_PAUSE_MS = 1000;

export type WorkerPhase = 'starting' | 'catching-up' | 'following' | 'restarting' | 'stopped';

export interface WorkerOptions extends FollowSettings {
  /** This worker's share; null: every document (a single worker). */
  partition: Partition | null;
  /** How often worker 0 moves the whole checkpoints up to the workers' lowest (default 1 s). */
  lowWaterEveryMs?: number;
  /** A batch folded, before it commits. */
  onBatch?: (info: { events: number; checkpoint: Position }) => void;
  /** A failure the worker recovers from (it starts again from its checkpoints after a pause). */
  onError?: (err: unknown) => void;
  /** Each committed batch, per projection, with the lag after it (./lag.ts): the worker's metrics. */
  onProjectionBatch?: (batch: ProjectionBatchReport) => void;
}

export interface WorkerStatus {
  partition: string | null;
  phase: WorkerPhase;
  /** Every projection has read every event it follows up to the log's head (as of this answer). */
  caughtUp: boolean;
  projections: ProjectionStatus[];
  /** The last failure, while the worker is restarting after it. */
  error: string | null;
}

export class ProjectionWorker {
  phase: WorkerPhase = 'starting';
  private error: string | null = null;
  private readonly abort = new AbortController();
  private wakePause: () => void = () => undefined;
  private runner: ProjectionRunner | null = null;
  private publishing = false;
  private live: LiveRunner | null = null;
  /** Reports lag and quarantine against this worker's own checkpoints. */
  private readonly observer: ProjectionRunner;

  constructor(
    private readonly store: EventStore,
    private readonly read: ReadStore,
    private readonly projections: readonly Projection[],
    private readonly options: WorkerOptions,
  ) {
    this.observer = this.newRunner();
  }

  /** Refuses (PartitionLayoutChangedError) when the read models were built by another layout of workers. */
  async check(): Promise<void> {
    for (const p of this.projections) {
      const { active } = await this.read.generations(p.name);
      await assertLayout(this.read, { projection: p.name, generation: active }, this.options.partition);
    }
  }

  /** Follows the log until stop(); rejects only when the layout changed under it. */
  async run(): Promise<void> {
    await this.check();
    const partition = this.options.partition;
    if (partition === null) return this.runAlone();
    const timer =
      partition.index === 0
        ? setInterval(() => void this.publishLowWater(partition.count), this.options.lowWaterEveryMs ?? 1000)
        : null;
    try {
      await this.runPartition();
    } finally {
      if (timer) clearInterval(timer);
      this.phase = 'stopped';
    }
  }

  /** Ends the run between two commits (the batch in hand commits whole); resolves when it has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakePause();
    await Promise.all([this.runner?.stop(), this.live?.stop()]);
  }

  async status(): Promise<WorkerStatus> {
    const projections = await this.observer.status();
    return {
      partition: this.options.partition && formatPartition(this.options.partition),
      phase: this.phase,
      caughtUp: projections.every((p) => p.caughtUp),
      projections,
      error: this.phase === 'restarting' ? this.error : null,
    };
  }

  private newRunner(): ProjectionRunner {
    const partition = this.options.partition;
    return new ProjectionRunner(this.store, this.read, this.projections, {
      batchSize: this.options.batchSize,
      ...followGrowth(this.options),
      deriveBudget: this.options.deriveBudget,
      ...(this.options.onBatch ? { onBatch: this.options.onBatch } : {}),
      ...(this.options.onProjectionBatch
        ? { onCommit: lagReporter(this.store, this.projections, this.options.onProjectionBatch) }
        : {}),
      ...(partition ? { scope: partitionScope(this.store, this.read, partition) } : {}),
    });
  }

  private async runAlone(): Promise<void> {
    this.live = new LiveRunner(this.store, this.read, this.projections, {
      batchSize: this.options.batchSize,
      ...followGrowth(this.options),
      deriveBudget: this.options.deriveBudget,
      catchUpEvents: this.options.catchUpEvents,
      ...(this.options.rebuildBatch === undefined ? {} : { rebuildBatch: this.options.rebuildBatch }),
      onPhase: (phase) => (this.phase = phase),
      onError: (err) => this.failed(err),
      ...(this.options.onProjectionBatch ? { onProjectionBatch: this.options.onProjectionBatch } : {}),
    });
    if (this.abort.signal.aborted) return;
    await this.live.run();
    this.phase = 'stopped';
  }

  private async runPartition(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const runner = this.newRunner();
      // stop() reaches the runner through `this.runner`: set it and check the signal in the same tick as run().
      this.runner = runner;
      try {
        if (signal.aborted) return;
        this.phase = 'following';
        await runner.run();
        return;
      } catch (err) {
        if (err instanceof PartitionLayoutChangedError) throw err;
        if (signal.aborted) return;
        this.failed(err);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RESTART_PAUSE_MS);
          this.wakePause = () => (clearTimeout(timer), resolve());
        });
      } finally {
        this.runner = null;
      }
    }
  }

  private failed(err: unknown): void {
    this.phase = 'restarting';
    this.error = err instanceof Error ? err.message : String(err);
    this.options.onError?.(err);
  }

  /**
   * Worker 0: each projection's whole checkpoint up to the lowest of the workers' checkpoints. It only ever rises (the
   * workers' checkpoints only rise, and one worker writes it), and never passes an event some worker has not applied.
   */
  private async publishLowWater(count: number): Promise<void> {
    if (this.publishing) return;
    this.publishing = true;
    try {
      for (const p of this.projections) {
        const { active } = await this.read.generations(p.name);
        const target = { projection: p.name, generation: active };
        const mark = await lowWaterMark(this.read, target, count);
        if (mark) await this.read.commit([{ target, docs: new Map(), checkpoint: mark.low }]);
      }
    } catch (err) {
      if (!(err instanceof GenerationRetiredError)) this.options.onError?.(err);
    } finally {
      this.publishing = false;
    }
  }
}
