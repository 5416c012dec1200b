// Prometheus metrics: the process registry, its labels (role, partition), the revtrail_* families and the functions
// that record into them, and the /metrics handler. Leaf module: it imports nothing of the service but the schemas,
// so the write side, the runner and the connectors can record without an import cycle. The read-model gauges
// (exceptions, journals, close backlog) are refreshed by ./watcher.ts, which app.ts starts; it stays out of this
// index because it reads the stores.
import type { Registry } from 'prom-client';
import { zeroKnownSeries } from './record.js';
import { configureRegistry } from './registry.js';
import type { MetricsSettings } from './registry.js';

export { registry, metricsEnabled } from './registry.js';
export type { MetricsRole, MetricsSettings } from './registry.js';
export {
  forwardRetries,
  recordErpCall,
  recordIngest,
  recordPostingRun,
  recordProjectionBatch,
  recordReplay,
  recordRetry,
  recordTieOut,
  typeLabel,
} from './record.js';
export type { ErpOperation, IngestOutcome, PostingRunResult, ProjectionBatch, RetryOperation } from './record.js';
export { metricsHandler } from './handler.js';

/**
 * Sets the process's labels (role api|worker, partition i/N or all), starts Node's process metrics and the known
 * series at zero. Call once at start-up; with `enabled: false` every recording is a no-op.
 */
export function configureMetrics(settings: MetricsSettings): Registry {
  const registry = configureRegistry(settings);
  if (settings.enabled ?? true) zeroKnownSeries();
  return registry;
}
