// Projection lag as the runner reports it after each commit: seconds from the store recording the batch's last event
// to the commit, and the events the log holds after the checkpoint. The count is one query (near the head, a short
// index range), and when it finds events, one filtered read of one event says whether any is one the projections
// read: a log that ends in events of other streams (the posting-run lock, refusals kept) leaves them caught up, as
// ProjectionRunner.status() says. Never two at once: a commit that comes while one is under way reports its lag in
// seconds only. The report is plain data for whoever listens: the API's metrics (through the live worker thread's
// messages), a projection worker's metrics port.
import type { Projection } from '../../projections/types.js';
import type { AllFilter, Position } from '../../schemas/index.js';
import { matchesFilter } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';

/** One projection's committed batch, as metrics record it (src/metrics `recordProjectionBatch`). */
export interface ProjectionBatchReport {
  projection: string;
  events: number;
  /** null where the store cannot count (EventStoreDB) or a count was still under way. */
  lagEvents: number | null;
  lagSeconds: number;
  /**
   * Seconds the runner spent folding, deriving and writing the batch: the whole pass, which the projections it runs
   * together share (each one's report carries it).
   */
  seconds: number;
}

export type CommitInfo = {
  events: number;
  checkpoint: Position;
  recordedAt: string;
  /** Seconds the runner spent folding, deriving and writing these events (its pass, shared by its projections). */
  seconds: number;
};

/** Events after `checkpoint`, or 0 when none of them is one `projections` read. */
async function eventsBehind(
  store: EventStore,
  projections: readonly Pick<Projection, 'filter'>[],
  checkpoint: Position,
): Promise<number | null> {
  const behind = await store.countAfter(checkpoint);
  if (!behind) return behind;
  const filter: AllFilter | undefined = projections.every((p) => p.filter.streamPrefixes && !p.filter.eventTypePrefixes)
    ? { streamPrefixes: [...new Set(projections.flatMap((p) => p.filter.streamPrefixes!))] }
    : undefined;
  for await (const e of store.readAll({ after: checkpoint, maxCount: 1, ...(filter ? { filter } : {}) }))
    return projections.some((p) => matchesFilter(e.streamId, e.type, p.filter)) ? behind : 0;
  return 0;
}

/** An onCommit for a runner over `projections`: one report per projection (they share the runner's pass). */
export function lagReporter(
  store: EventStore,
  projections: readonly Pick<Projection, 'name' | 'filter'>[],
  report: (batch: ProjectionBatchReport) => void,
  now: () => number = Date.now,
): (info: CommitInfo) => void {
  let counting = false;
  const send = (info: CommitInfo, lagEvents: number | null): void => {
    const lagSeconds = Math.max(0, (now() - Date.parse(info.recordedAt)) / 1000);
    for (const p of projections)
      report({ projection: p.name, events: info.events, lagEvents, lagSeconds, seconds: info.seconds });
  };
  return (info) => {
    if (counting) return send(info, null);
    counting = true;
    eventsBehind(store, projections, info.checkpoint)
      .then(
        (behind) => send(info, behind),
        () => send(info, null),
      )
      .finally(() => (counting = false));
  };
}
