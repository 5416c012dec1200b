// The recording functions the rest of the service calls: one per thing that happens (an ingest request answered, a
// projection batch committed, a posting run ended, an ERP call returned, a tie-out, a retry, a replay). Each takes
// plain data, so the modules that call it need nothing of prom-client, and does nothing while metrics are off.
import { InboundTypes } from '../../schemas/index.js';
import {
  erpCallDuration,
  erpCallErrors,
  eventsReceived,
  ingestDuration,
  postingBlocked,
  postingJournals,
  postingRunDuration,
  projectionBusySeconds,
  projectionEvents,
  projectionLagEvents,
  projectionLagSeconds,
  projectionLastBatch,
  reconciliationBreaks,
  reconciliations,
  replays,
  retries,
} from './families.js';
import { metricsEnabled } from './registry.js';

export type IngestOutcome = 'appended' | 'duplicate' | 'held' | 'rejected';

const KNOWN_TYPES = new Set<string>(InboundTypes);

/** An event type as a label: one of the inbound types, else `unknown` (a refused input may carry any string). */
export const typeLabel = (type: unknown): string =>
  typeof type === 'string' && KNOWN_TYPES.has(type) ? type : 'unknown';

/** One answered POST /v1/events: each input's type and outcome, and the request's duration and status. */
export function recordIngest(
  outcomes: readonly { type: unknown; outcome: IngestOutcome }[],
  request: { seconds: number; statusCode: number },
): void {
  if (!metricsEnabled()) return;
  for (const o of outcomes) eventsReceived.inc({ type: typeLabel(o.type), outcome: o.outcome });
  ingestDuration.observe({ status: `${Math.floor(request.statusCode / 100)}xx` }, request.seconds);
}

/** A committed batch of a projection: what the live runner, and a projection worker, report after each commit. */
export interface ProjectionBatch {
  projection: string;
  /** Events the batch read. */
  events: number;
  /** Events in the log after the batch's checkpoint; null where the store cannot count them (EventStoreDB). */
  lagEvents: number | null;
  /** Seconds from the store recording the batch's last event to the commit. */
  lagSeconds: number;
  /** Seconds the runner spent on the batch (its pass over every projection it runs). */
  seconds: number;
}

export function recordProjectionBatch(batch: ProjectionBatch, at: Date = new Date()): void {
  if (!metricsEnabled()) return;
  const labels = { projection: batch.projection };
  projectionEvents.inc(labels, batch.events);
  projectionBusySeconds.inc(labels, Math.max(0, batch.seconds));
  if (batch.lagEvents !== null) projectionLagEvents.set(labels, batch.lagEvents);
  projectionLagSeconds.set(labels, Math.max(0, batch.lagSeconds));
  projectionLastBatch.set(labels, at.getTime() / 1000);
}

/** What a posting run's summary says, as metrics read it. */
export interface PostingRunResult {
  posted: number;
  rejected: Record<string, number>;
  retrying: number;
  blocked: Partial<Record<string, number>>;
}

/** A posting run that ended: completed (with its summary), stopped (lock lost, summary so far) or failed (threw). */
export function recordPostingRun(
  outcome: 'completed' | 'stopped' | 'failed',
  seconds: number,
  summary: PostingRunResult | null,
): void {
  if (!metricsEnabled()) return;
  postingRunDuration.observe({ outcome }, seconds);
  if (summary === null) return;
  postingJournals.inc({ outcome: 'posted' }, summary.posted);
  postingJournals.inc({ outcome: 'retrying' }, summary.retrying);
  postingJournals.inc(
    { outcome: 'rejected' },
    Object.values(summary.rejected).reduce((a, b) => a + b, 0),
  );
  // The last run's blocks replace the previous run's: a block that went away reads 0, not its old count.
  postingBlocked.reset();
  for (const [code, n] of Object.entries(summary.blocked)) postingBlocked.set({ code }, n ?? 0);
}

export type ErpOperation = 'submit' | 'find' | 'missing_accounts';

/** One call to an ERP connector; `error`: the refusal or failure code, null when it succeeded. */
export function recordErpCall(connector: string, operation: ErpOperation, seconds: number, error: string | null): void {
  if (!metricsEnabled()) return;
  erpCallDuration.observe({ connector, operation }, seconds);
  if (error !== null) erpCallErrors.inc({ connector, operation, code: error });
}

/** An ERP tie-out's result for its scope (legal entity, or all) and period. */
export function recordTieOut(tieOut: {
  period: string;
  legalEntity: string | null;
  differences: readonly unknown[];
}): void {
  if (!metricsEnabled()) return;
  const breaks = tieOut.differences.length;
  reconciliationBreaks.set({ legal_entity: tieOut.legalEntity ?? 'all', period: tieOut.period }, breaks);
  reconciliations.inc({ outcome: breaks === 0 ? 'tied' : 'breaks' });
}

export type RetryOperation = 'command_clash' | 'posting_submit';

/** Where this thread's retries go instead of its own registry; null: to the registry (./registry.ts). */
let retryForward: ((operation: RetryOperation, count: number) => void) | null = null;

/**
 * Sends this thread's retries to `forward` instead of its registry: a worker thread's registry is its own and is
 * served by no one, so the ingest thread hands its clashes to the API thread, which records them
 * (src/http/ingest-worker.ts). null: to the registry again.
 */
export function forwardRetries(forward: ((operation: RetryOperation, count: number) => void) | null): void {
  retryForward = forward;
}

export function recordRetry(operation: RetryOperation, count = 1): void {
  if (retryForward) return retryForward(operation, count);
  if (!metricsEnabled()) return;
  retries.inc({ operation }, count);
}

/** A refused input resubmitted: as it was (after a mapping or configuration fix) or corrected, and how it fared. */
export function recordReplay(replay: { mode: 'as_is' | 'corrected'; outcome: IngestOutcome }): void {
  if (!metricsEnabled()) return;
  replays.inc({ mode: replay.mode, outcome: replay.outcome });
}

const OUTCOMES: readonly IngestOutcome[] = ['appended', 'duplicate', 'held', 'rejected'];

/**
 * Starts the counters whose every label value is known at zero, so that `rate()` and `increase()` see the first
 * rejection or retry instead of a series that appears from nothing (Prometheus reads a new series' first sample as
 * its start, not as an increase).
 */
export function zeroKnownSeries(): void {
  for (const type of [...InboundTypes, 'unknown'])
    for (const outcome of OUTCOMES) eventsReceived.inc({ type, outcome }, 0);
  for (const operation of ['command_clash', 'posting_submit'] as const) retries.inc({ operation }, 0);
  for (const outcome of ['tied', 'breaks']) reconciliations.inc({ outcome }, 0);
  for (const outcome of ['posted', 'rejected', 'retrying']) postingJournals.inc({ outcome }, 0);
}
