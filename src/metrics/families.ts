// Every revtrail_* metric family, in one place (docs/operations.md, "Metrics", lists them with their labels). Label
// values are bounded sets — event types and outcomes, projection and connector names, codes from the schemas' lists,
// legal entities and periods — never ids, so a family's series count stays small whatever the traffic.
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry.js';

const registers = [registry];

export const eventsReceived = new Counter({
  name: 'revtrail_events_received_total',
  help: 'Inbound events by type and outcome (appended, duplicate, held, rejected)',
  labelNames: ['type', 'outcome'] as const,
  registers,
});

export const ingestDuration = new Histogram({
  name: 'revtrail_ingest_request_duration_seconds',
  help: 'POST /v1/events: time from request to answer, by HTTP status class',
  labelNames: ['status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const projectionLagEvents = new Gauge({
  name: 'revtrail_projection_lag_events',
  help: "Events in the log after the projection's checkpoint, as of its last committed batch",
  labelNames: ['projection'] as const,
  registers,
});

export const projectionLagSeconds = new Gauge({
  name: 'revtrail_projection_lag_seconds',
  help: 'Seconds between the store recording the last event of a batch and the projection committing it',
  labelNames: ['projection'] as const,
  registers,
});

export const projectionEvents = new Counter({
  name: 'revtrail_projection_events_total',
  help: 'Events the projection has read from the log (committed batches)',
  labelNames: ['projection'] as const,
  registers,
});

export const projectionBusySeconds = new Counter({
  name: 'revtrail_projection_busy_seconds_total',
  help: 'Seconds the runner spent folding, deriving and writing the projection’s committed batches (its whole pass, shared by the projections it runs together); rate near 1: working flat out',
  labelNames: ['projection'] as const,
  registers,
});

export const projectionLastBatch = new Gauge({
  name: 'revtrail_projection_last_batch_timestamp_seconds',
  help: 'Unix time of the projection’s last committed batch',
  labelNames: ['projection'] as const,
  registers,
});

export const journals = new Gauge({
  name: 'revtrail_journals',
  help: 'Journals by status (prepared, submitted, posted, rejected, superseded), from the posting-status read model',
  labelNames: ['status'] as const,
  registers,
});

export const postingRunDuration = new Histogram({
  name: 'revtrail_posting_run_duration_seconds',
  help: 'Posting runs: time from start to end, by outcome (completed, stopped: lock lost, failed: threw)',
  labelNames: ['outcome'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
  registers,
});

export const postingJournals = new Counter({
  name: 'revtrail_posting_journals_total',
  help: 'Journals at the end of posting runs by outcome: posted, rejected (refused for good), retrying (left for the next run)',
  labelNames: ['outcome'] as const,
  registers,
});

export const postingBlocked = new Gauge({
  name: 'revtrail_posting_blocked_contracts',
  help: 'Contracts the last posting run could not journal, by block code',
  labelNames: ['code'] as const,
  registers,
});

export const erpCallDuration = new Histogram({
  name: 'revtrail_erp_call_duration_seconds',
  help: 'Calls to the ERP connector by connector and operation (submit, find, missing_accounts)',
  labelNames: ['connector', 'operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

export const erpCallErrors = new Counter({
  name: 'revtrail_erp_call_errors_total',
  help: 'ERP calls that did not succeed, by connector, operation and code (a refusal code, or CONNECTOR_UNAVAILABLE / CONNECTOR_ERROR)',
  labelNames: ['connector', 'operation', 'code'] as const,
  registers,
});

export const exceptionsOpen = new Gauge({
  name: 'revtrail_exceptions_open',
  help: 'Active exceptions (open or acknowledged) by kind, code and age bucket',
  labelNames: ['kind', 'code', 'age_bucket'] as const,
  registers,
});

export const exceptionsOldest = new Gauge({
  name: 'revtrail_exceptions_oldest_age_seconds',
  help: 'Age of the oldest active exception of each kind',
  labelNames: ['kind'] as const,
  registers,
});

export const exceptionsAmount = new Gauge({
  name: 'revtrail_exceptions_amount_at_stake',
  help: 'Amount at stake of active exceptions by kind and currency (currency units, not minor units)',
  labelNames: ['kind', 'currency'] as const,
  registers,
});

export const exceptionsOverdue = new Gauge({
  name: 'revtrail_exceptions_overdue',
  help: 'Active exceptions past their SLA due time, by kind',
  labelNames: ['kind'] as const,
  registers,
});

export const reconciliationBreaks = new Gauge({
  name: 'revtrail_reconciliation_breaks',
  help: 'Differences (legal entity x account x currency) found by the last ERP tie-out of a scope',
  labelNames: ['legal_entity', 'period'] as const,
  registers,
});

export const reconciliations = new Counter({
  name: 'revtrail_reconciliations_total',
  help: 'ERP tie-outs run, by outcome (tied, breaks)',
  labelNames: ['outcome'] as const,
  registers,
});

export const retries = new Counter({
  name: 'revtrail_retries_total',
  help: 'Retries: command_clash (a command decided again after a concurrent append), posting_submit (a journal sent to the ERP again)',
  labelNames: ['operation'] as const,
  registers,
});

export const replays = new Counter({
  name: 'revtrail_replays_total',
  help: 'Refused inputs resubmitted, by mode (as_is, corrected) and outcome',
  labelNames: ['mode', 'outcome'] as const,
  registers,
});

export const closeBacklog = new Gauge({
  name: 'revtrail_close_backlog_periods',
  help: 'Periods with journals still open past their close date (period end + REVTRAIL_CLOSE_DAYS), per legal entity',
  labelNames: ['legal_entity'] as const,
  registers,
});

export const closeOverdue = new Gauge({
  name: 'revtrail_close_overdue_seconds',
  help: 'How long the oldest period of a legal entity has been open past its close date',
  labelNames: ['legal_entity'] as const,
  registers,
});

export const watcherRefreshes = new Counter({
  name: 'revtrail_metrics_refreshes_total',
  help: 'Read-model gauge refreshes (exceptions, journals, close backlog), by outcome (ok, failed)',
  labelNames: ['outcome'] as const,
  registers,
});

export const watcherLastRefresh = new Gauge({
  name: 'revtrail_metrics_last_refresh_timestamp_seconds',
  help: 'Unix time of the last complete refresh of the read-model gauges',
  registers,
});
