// Projections at work: the runner (catch-up, live, deferred derivation) and blue/green rebuilds.
export { DEFAULT_COALESCE_MAX_MS, ProjectionRunner, STALE } from './runner.js';
export { DEFAULT_CACHED_DOCUMENTS } from './cache.js';
export type { ProjectionStatus, RunnerOptions } from './runner.js';
export { rebuild } from './rebuild.js';
export { DEFAULT_CATCH_UP_EVENTS, LiveProjections, LiveRunner } from './live.js';
export type { LiveOptions, LivePhase, StoreFiles } from './live.js';
export { PROGRESS_KEY } from './by-stream.js';
export { lagReporter } from './lag.js';
export type { CommitInfo, ProjectionBatchReport } from './lag.js';
export type { DocumentDiff, RebuildOptions, RebuildProgress, RebuildReport } from './rebuild.js';
export { DEFAULT_DERIVE_STEPS, PROJECTION_FAILED, QUARANTINE_FIELD, QUARANTINE_TAG, markOf } from './quarantine.js';
export type { QuarantineMark } from './quarantine.js';
export {
  MAX_PARTITIONS,
  PARTITION_LAYOUT_CHANGED,
  PartitionLayoutChangedError,
  fnv1a,
  formatPartition,
  parsePartition,
  partitionOf,
  partitionScope,
} from './partition.js';
export type { Partition } from './partition.js';
export type { RunnerScope } from './runner.js';
export { ProjectionWorker } from './worker.js';
export type { WorkerOptions, WorkerPhase, WorkerStatus } from './worker.js';
