// Live projections: follow the log, and catch a far-behind read store up stream by stream first.
//
// Following the log derives every document a batch touches once per batch; over a log that interleaves many
// contracts that is nearly one derivation per event, several times slower than a rebuild, which reads each contract's
// stream at once and derives each document once (./by-stream.ts). So when the read store is far behind — at least
// `catchUpEvents` events behind the log's head, and at least a quarter of the log (a rebuild reads all of it, so it
// pays only when the lag is a good share of it) — the live runner rebuilds into a fresh generation while the active
// one keeps serving, swaps it in, then follows the log from the rebuild's checkpoint. Far behind is checked at the
// start and every `checkEveryMs` while following, so a burst that outruns the follower switches it over too.
//
// A stop ends either phase between two commits: every commit carries its checkpoint (following) or its progress
// (catching up), so the next start resumes exactly where the stop left off, and the documents equal those of a
// single log-order build (test/runner/live.test.ts).
//
// Where it runs: in a worker thread of its own (./live-worker.ts) with its own connections to the event store and the
// read store, so that its SQLite work and derivations never hold up the API's event loop. The API reads lag and
// quarantine counts from the read store's checkpoints and documents, which the worker commits, so no state crosses
// the thread boundary but the phase and failures.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DeriveBudget, Projection } from '../../projections/types.js';
import type { ReadStore } from '../readmodel/index.js';
import type { Position } from '../../schemas/index.js';
import { comparePositions } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';
import { lagReporter } from './lag.js';
import type { ProjectionBatchReport } from './lag.js';
import { rebuild } from './rebuild.js';
import { ProjectionRunner } from './runner.js';
import type { RunnerOptions } from './runner.js';
import { errorFromData } from './thread.js';
import type { ErrorData } from './thread.js';

/** Events behind the log's head from which the live runner catches up stream by stream (REVTRAIL_CATCH_UP_EVENTS). */
export const DEFAULT_CATCH_UP_EVENTS = 20_000;
/** A stream-by-stream catch-up reads the whole log: it is chosen only when the lag is at least this share of it. */
const CATCH_UP_SHARE = 0.25;
/** How long a failed live runner waits before it starts again from its checkpoints. */
const RESTART_PAUSE_MS = 1000;

export type LivePhase = 'catching-up' | 'following';

/** How a follower of the log batches and catches up: the settings a live runner and a projection worker share. */
export interface FollowSettings {
  /** Events per committed batch while following. */
  batchSize: number;
  /** While following behind, batches grow up to this many events (default batchSize: ./runner.ts). */
  maxBatchSize?: number;
  /** Committed documents kept in memory between batches (default DEFAULT_CACHED_DOCUMENTS: ./cache.ts). */
  cachedDocuments?: number;
  /** The longest a batch waits for more events after a slow commit (default DEFAULT_COALESCE_MAX_MS: ./runner.ts). */
  coalesceMaxMs?: number;
  deriveBudget: DeriveBudget;
  /** Far behind from this many events (and a quarter of the log): stream by stream then, see the module comment. */
  catchUpEvents: number;
  /** Events per commit of the log-order part of a catch-up (the rebuild batch). */
  rebuildBatch?: number;
}

/** The batch growth, coalescing and document cache options of a follower's runner, where configured. */
export function followGrowth(
  settings: FollowSettings,
): Pick<RunnerOptions, 'maxBatchSize' | 'cachedDocuments' | 'coalesceMaxMs'> {
  const { maxBatchSize, cachedDocuments, coalesceMaxMs } = settings;
  return {
    ...(maxBatchSize === undefined ? {} : { maxBatchSize }),
    ...(cachedDocuments === undefined ? {} : { cachedDocuments }),
    ...(coalesceMaxMs === undefined ? {} : { coalesceMaxMs }),
  };
}

export interface LiveOptions extends FollowSettings {
  /** How often a follower checks whether it has fallen far behind (default 1 s). */
  checkEveryMs?: number;
  /** Worker threads a stream-by-stream catch-up folds in (default: rebuild's). */
  workers?: number;
  /** In a worker thread: its nice value (Linux; default 0, as the API thread's), so that reads come first. */
  nice?: number;
  onPhase?: (phase: LivePhase, eventsBehind: number | null) => void;
  /** A failure: the runner starts again from its checkpoints after a pause. */
  onError?: (err: unknown) => void;
  /** After each commit while following, per projection: its lag (./lag.ts), for the metrics. */
  onProjectionBatch?: (batch: ProjectionBatchReport) => void;
}

/** Follows the log until stop(), catching up stream by stream whenever it is far behind; restarts after a failure. */
export class LiveRunner {
  private readonly abort = new AbortController();
  private runner: ProjectionRunner | null = null;
  private wakePause: () => void = () => undefined;

  constructor(
    private readonly store: EventStore,
    private readonly read: ReadStore,
    private readonly projections: readonly Projection[],
    private readonly options: LiveOptions,
  ) {}

  async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.once(signal);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.options.onError?.(err);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RESTART_PAUSE_MS);
          this.wakePause = () => (clearTimeout(timer), resolve());
        });
      }
    }
  }

  /** Ends the run between two commits; resolves when it has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakePause();
    await this.runner?.stop();
  }

  /** One run: catch up stream by stream while far behind, follow the log otherwise; returns when stopped. */
  private async once(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const behind = await this.farBehind();
      if (behind !== null) {
        this.options.onPhase?.('catching-up', behind);
        await rebuild(this.store, this.read, this.projections, {
          signal,
          deriveBudget: this.options.deriveBudget,
          ...(this.options.rebuildBatch === undefined ? {} : { batchSize: this.options.rebuildBatch }),
          ...(this.options.workers === undefined ? {} : { workers: this.options.workers }),
        });
      }
      if (!(await this.follow(signal))) return;
    }
  }

  /** Follows the log; returns true when it stopped because it fell far behind, false when stopped from outside. */
  private async follow(signal: AbortSignal): Promise<boolean> {
    const runner = new ProjectionRunner(this.store, this.read, this.projections, {
      batchSize: this.options.batchSize,
      ...followGrowth(this.options),
      deriveBudget: this.options.deriveBudget,
      ...this.lagOptions(),
    });
    let fellBehind = false;
    let checking = false;
    const check = async (): Promise<void> => {
      if (checking) return;
      checking = true;
      try {
        if ((await this.farBehind()) !== null) {
          fellBehind = true;
          await runner.stop();
        }
      } catch (err) {
        this.options.onError?.(err); // the follower goes on; the next check tries again
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void check(), this.options.checkEveryMs ?? 1000);
    // stop() reaches the runner through `this.runner`: set it and check the signal in the same tick as run() starts.
    this.runner = runner;
    try {
      if (signal.aborted) return false;
      this.options.onPhase?.('following', null);
      await runner.run();
    } finally {
      clearInterval(timer);
      this.runner = null;
    }
    return fellBehind && !signal.aborted;
  }

  /** The follower's onCommit when someone listens for projection lag. */
  private lagOptions(): { onCommit?: ReturnType<typeof lagReporter> } {
    const listener = this.options.onProjectionBatch;
    if (!listener) return {};
    return { onCommit: lagReporter(this.store, this.projections, listener) };
  }

  /** Events behind when far behind (see the module comment), else null. */
  private async farBehind(): Promise<number | null> {
    let earliest: Position | null = null;
    for (const [i, p] of this.projections.entries()) {
      const active = (await this.read.generations(p.name)).active;
      const checkpoint = await this.read.checkpoint({ projection: p.name, generation: active });
      if (checkpoint === null) {
        earliest = null;
        break;
      }
      if (i === 0 || comparePositions(checkpoint, earliest!) < 0) earliest = checkpoint;
    }
    const behind = await this.store.countAfter(earliest);
    if (behind === null || behind < this.options.catchUpEvents) return null;
    if (earliest === null) return behind;
    const total = await this.store.countAfter(null);
    return total !== null && behind >= total * CATCH_UP_SHARE ? behind : null;
  }
}

/** The stores as another thread opens them. */
export interface StoreFiles {
  /** REVTRAIL_STORE: the event store's file, or an EventStoreDB connection string. */
  store: string;
  /** The read store's file. */
  readStore: string;
  sqliteSync: 'full' | 'normal';
}

/** What the live worker thread is given: plain data (callbacks stay on the caller's side). */
export type LiveWorkerData = StoreFiles &
  Omit<LiveOptions, 'onPhase' | 'onError' | 'onProjectionBatch'> & { projections: string[]; reportBatches: boolean };

/** Messages from the live worker thread. */
export type LiveMessage =
  | { kind: 'phase'; phase: LivePhase; eventsBehind: number | null }
  | ({ kind: 'error' } & ErrorData)
  | { kind: 'batch'; batch: ProjectionBatchReport };

/**
 * The compiled worker: beside this module in dist/, and from the TypeScript sources (tests) the one dist/ holds (the
 * test run builds it first: test/support/global-setup.ts).
 */
const WORKER = fileURLToPath(import.meta.url).endsWith('.ts')
  ? new URL('../../dist/src/runner/live-worker.js', import.meta.url)
  : new URL('./live-worker.js', import.meta.url);

/** The live projections of an API process: in a thread of their own when it can open the stores itself. */
export class LiveProjections {
  /** The phase the runner last reported. */
  phase: LivePhase | 'starting' = 'starting';
  private stopping: () => Promise<void> = () => Promise.resolve();

  private constructor(
    /** `worker`: a thread of its own; `this-thread`: the caller's event loop (its stores are not files to open). */
    readonly where: 'worker' | 'this-thread',
  ) {}

  /**
   * Starts them in a worker thread over `files` when given (and the worker is compiled), else on this thread over
   * `stores`. A worker that dies is started again after a pause.
   */
  static start(
    options: LiveOptions,
    files: StoreFiles | null,
    stores: { store: EventStore; read: ReadStore; projections: readonly Projection[] },
  ): LiveProjections {
    const inWorker = files !== null && existsSync(fileURLToPath(WORKER));
    const live = new LiveProjections(inWorker ? 'worker' : 'this-thread');
    const onPhase = (phase: LivePhase, behind: number | null) => {
      live.phase = phase;
      options.onPhase?.(phase, behind);
    };
    if (inWorker) {
      const { onPhase: _phase, onError: _error, onProjectionBatch, ...plain } = options;
      const data: LiveWorkerData = {
        ...files,
        ...plain,
        projections: stores.projections.map((p) => p.name),
        reportBatches: onProjectionBatch !== undefined,
      };
      live.stopping = runInWorker(data, onPhase, options.onError, onProjectionBatch);
    } else {
      const runner = new LiveRunner(stores.store, stores.read, stores.projections, { ...options, onPhase });
      const done = runner.run();
      live.stopping = async () => {
        await runner.stop();
        await done;
      };
    }
    return live;
  }

  /** Stops them between two commits and waits until they have stopped. */
  async stop(): Promise<void> {
    await this.stopping();
  }
}

/** Runs the worker (again after a pause if it dies); returns what stops it. */
function runInWorker(
  data: LiveWorkerData,
  onPhase: (phase: LivePhase, behind: number | null) => void,
  onError: ((err: unknown) => void) | undefined,
  onBatch: ((batch: ProjectionBatchReport) => void) | undefined,
): () => Promise<void> {
  let closing = false;
  let worker: Worker | null = null;
  let exited: Promise<void> = Promise.resolve();
  let restart: ReturnType<typeof setTimeout> | null = null;
  const launch = (): void => {
    const w = new Worker(WORKER, { workerData: data });
    worker = w;
    w.on('message', (m: LiveMessage) => {
      if (m.kind === 'phase') onPhase(m.phase, m.eventsBehind);
      else if (m.kind === 'batch') onBatch?.(m.batch);
      else onError?.(errorFromData(m));
    });
    w.on('error', (err) => onError?.(err));
    exited = new Promise((resolve) =>
      w.once('exit', (code) => {
        worker = null;
        resolve();
        if (closing) return;
        onError?.(new Error(`live projection worker exited with ${code}; starting it again`));
        restart = setTimeout(launch, RESTART_PAUSE_MS);
      }),
    );
  };
  launch();
  return async () => {
    closing = true;
    if (restart) clearTimeout(restart);
    worker?.postMessage('stop');
    await exited;
  };
}
