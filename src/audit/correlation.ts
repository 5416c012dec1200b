// Trace by correlation id (docs/graphql.md, docs/http.md): from the id a source system (or a caller's
// X-Correlation-Id, or Revtrail itself) gave a request, to every event that request caused, the contracts they are
// in, and the journals built from them with their ERP documents — the same id the ERP document carries as a tag.
//
// Where the events are found: contract streams through the lineage index's correlation tags (then only those
// streams are read), plus the log after the index's checkpoint (projection lag); the streams the index does not cover
// (mappings, periods, refused inputs) are few events and are read through a server-side prefix filter on the log.
import { correlationTag, lineageIndex } from '../../projections/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { comparePositions, upcast } from '../../schemas/index.js';
import { tracedContracts } from './lineage.js';
import { contractEvents, eventRef } from './support.js';
import type { JournalRecord } from './support.js';
import type { AuditDeps, CorrelationTrace } from './types.js';

/** The streams outside contract streams whose events a request may cause. */
const OTHER_STREAMS = ['mapping-', 'periods-', 'rejections-'];

/** A journal the id reached without naming its events: built from events carrying it, or prepared by a run of it. */
const carries =
  (correlationId: string) =>
  (j: JournalRecord): boolean =>
    (j.lineage.correlationIds ?? []).includes(correlationId) || j.prepared.metadata.correlationId === correlationId;

async function eventsCarrying(deps: AuditDeps, correlationId: string): Promise<RecordedEvent[]> {
  const isIt = (e: RecordedEvent) => e.metadata.correlationId === correlationId;
  const found = new Map<string, RecordedEvent>();
  // The checkpoint first: an event the index reaches after it is read is then found in its stream as well.
  const checkpoint = await deps.read.checkpoint(lineageIndex.name);
  for (const contractId of await deps.read.keysByTag(lineageIndex.name, [correlationTag(correlationId)]))
    for (const e of await contractEvents(deps.store, contractId)) if (isIt(e)) found.set(e.eventId, e);
  for await (const e of deps.store.readAll({ after: checkpoint, filter: { streamPrefixes: ['contract-'] } }))
    if (isIt(e)) found.set(e.eventId, e);
  for await (const e of deps.store.readAll({ filter: { streamPrefixes: OTHER_STREAMS } }))
    if (isIt(e)) found.set(e.eventId, e);
  return [...found.values()].map((e) => upcast(e)).sort((a, b) => comparePositions(a.position, b.position));
}

export async function traceCorrelation(deps: AuditDeps, correlationId: string): Promise<CorrelationTrace> {
  const events = await eventsCarrying(deps, correlationId);
  const inContracts = events.filter((e) => e.streamId.startsWith('contract-'));
  const contracts = await tracedContracts(deps, inContracts, carries(correlationId));
  return {
    correlationId,
    events: events.map(eventRef),
    contracts,
    journals: contracts.flatMap((c) => c.journals),
  };
}
