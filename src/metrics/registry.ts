// The process's one Prometheus registry: every revtrail_* family (./families.ts) and Node's process metrics, with
// the labels that tell the scraping Prometheus which process it reads (role: api | worker, and the partition of
// contracts it projects). The recording functions elsewhere in this folder are no-ops while metrics are off
// (REVTRAIL_METRICS=off), so a process that does not expose /metrics pays one branch per recording.
import { Registry, collectDefaultMetrics } from 'prom-client';

export type MetricsRole = 'api' | 'worker';

export interface MetricsSettings {
  role: MetricsRole;
  /** `i/N` for a partitioned projection worker; `all` for a process that sees every contract (an API node). */
  partition?: string;
  /** Default true. Off: recordings do nothing and /metrics is not served. */
  enabled?: boolean;
}

/** The registry every family is registered in (process-wide, as prom-client's own default is). */
export const registry = new Registry();

const state = { enabled: true, configured: false, defaultMetrics: false };

/** Whether recordings count (REVTRAIL_METRICS). */
export const metricsEnabled = (): boolean => state.enabled;

/**
 * Sets the process's labels and starts Node's process metrics (once). Call it once at start-up, before serving;
 * a later call changes the labels and the switch (tests, benches).
 */
export function configureRegistry(settings: MetricsSettings): Registry {
  state.enabled = settings.enabled ?? true;
  state.configured = true;
  registry.setDefaultLabels({ role: settings.role, partition: settings.partition ?? 'all' });
  if (state.enabled && !state.defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    state.defaultMetrics = true;
  }
  return registry;
}
