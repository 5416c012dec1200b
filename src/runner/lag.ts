// Projection lag as the runner reports it after each commit: seconds from the store recording the batch's last event
// to the commit, and the events the log holds after the checkpoint (one count query, near the head a short index
// range; never two at once, so a slow count is skipped rather than queued). The report is plain data for whoever
// listens: the API's metrics (through the live worker thread's messages), a projection worker's metrics port.
import type { Position } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';

/** One projection's committed batch, as metrics record it (src/metrics `recordProjectionBatch`). */
export interface ProjectionBatchReport {
  projection: string;
  events: number;
  /** null where the store cannot count (EventStoreDB) or a count was still under way. */
  lagEvents: number | null;
  lagSeconds: number;
}

export type CommitInfo = { events: number; checkpoint: Position; recordedAt: string };

/** An onCommit for a runner over `projections`: one report per projection (they share the runner's pass). */
export function lagReporter(
  store: EventStore,
  projections: readonly string[],
  report: (batch: ProjectionBatchReport) => void,
  now: () => number = Date.now,
): (info: CommitInfo) => void {
  let counting = false;
  const send = (info: CommitInfo, lagEvents: number | null): void => {
    const lagSeconds = Math.max(0, (now() - Date.parse(info.recordedAt)) / 1000);
    for (const projection of projections) report({ projection, events: info.events, lagEvents, lagSeconds });
  };
  return (info) => {
    if (counting) return send(info, null);
    counting = true;
    store
      .countAfter(info.checkpoint)
      .then(
        (behind) => send(info, behind),
        () => send(info, null),
      )
      .finally(() => (counting = false));
  };
}
