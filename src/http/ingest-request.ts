// POST /v1/events from the body's text to its answer: parse, validate, ingest. One function answers on the API's
// thread and in the ingest worker thread (./ingest-thread.ts), so the two cannot drift; its answer is plain data
// (the response body already serialised), which crosses a thread boundary as it is.
import { EventBatch, fromZodIssues } from '../../schemas/index.js';
import type { DomainError } from '../../schemas/index.js';
import type { IngestContext, IngestStatus, Ingestor } from '../ingest/index.js';
import { BodyError, parseJsonText } from './body.js';

/** What POST /v1/events answers, as data. */
export type IngestAnswer =
  /** The body as a whole is refused (not JSON, too deep, a prototype key): a BodyError's fields. */
  | { kind: 'refused'; status: 400 | 415; code: string; detail: string; path?: string }
  /** The body is JSON but not {"events": [ ... ]} with 1 to 1000 events. */
  | { kind: 'malformed'; errors: DomainError[] }
  | {
      kind: 'ingested';
      /** The response body, `{ results, counts }`, serialised. */
      body: string;
      counts: Record<IngestStatus, number>;
      /** Each input's `type` as sent and its outcome, in request order, for the metrics. */
      outcomes: { type: unknown; outcome: IngestStatus }[];
      /** Up to 20 distinct correlation ids the events carry, for the log. */
      correlationIds: string[];
    };

export async function answerIngest(text: string, ingestor: Ingestor, ctx: IngestContext): Promise<IngestAnswer> {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    const { statusCode: status, problemCode: code, message: detail, path } = err;
    return { kind: 'refused', status, code, detail, ...(path === undefined ? {} : { path }) };
  }
  const batch = EventBatch.safeParse(value);
  if (!batch.success) return { kind: 'malformed', errors: fromZodIssues(batch.error.issues, value) };
  const events = batch.data.events;
  const results = await ingestor.ingest(events, ctx);
  const counts: Record<IngestStatus, number> = { appended: 0, duplicate: 0, held: 0, rejected: 0 };
  for (const r of results) counts[r.status]++;
  return {
    kind: 'ingested',
    body: JSON.stringify({ results, counts }),
    counts,
    outcomes: results.map((r) => ({ type: (events[r.index] as { type?: unknown } | null)?.type, outcome: r.status })),
    correlationIds: correlationIdsOf(events),
  };
}

/** A BodyError again from a `refused` answer, for the problem handler. */
export function bodyErrorOf(answer: Extract<IngestAnswer, { kind: 'refused' }>): BodyError {
  return new BodyError(answer.status, answer.code, answer.detail, answer.path);
}

function correlationIdsOf(events: readonly unknown[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    const c = (e as { correlationId?: unknown } | null)?.correlationId;
    if (typeof c === 'string') ids.add(c);
    if (ids.size === 20) break;
  }
  return [...ids];
}
