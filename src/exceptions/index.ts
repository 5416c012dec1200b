// Acting on exceptions and replaying refused inputs: the write side behind REST, GraphQL and the CLI. Each action is a
// command of the exception's Decider (commands/exception.ts) through the one command loop (src/handling), given what
// the read side knows of the item (its subject, and whether its cause went away). A replay resubmits a refused input
// through the ingestor (the same validation as any other input) with its lineage (`replayOf`, or `correctedFrom` when
// corrected), then records the outcome on the exception: an accepted replay resolves it.
import type { ExceptionAction, ExceptionState } from '../../commands/exception.js';
import { exception } from '../../commands/exception.js';
import { accepted } from '../../commands/decider.js';
import type { DomainError, JsonObject } from '../../schemas/index.js';
import { domainError } from '../../schemas/index.js';
import type { ExceptionDeps, ExceptionView } from '../audit/exceptions.js';
import { exceptionById, rejectionById } from '../audit/exceptions.js';
import { handleCommand } from '../handling/index.js';
import type { IngestResult, Ingestor } from '../ingest/index.js';
import { recordReplay } from '../metrics/index.js';

export interface ActContext {
  actor: string;
  correlationId?: string;
  requestId?: string;
}

export type ActOutcome =
  | { ok: true; exceptionId: string; status: ExceptionState['status']; owner: string | null; changed: boolean }
  | { ok: false; notFound: boolean; error: DomainError };

const unknown = (id: string): ActOutcome => ({
  ok: false,
  notFound: true,
  error: domainError('UNKNOWN_EXCEPTION', `no exception has the id ${id}`, 'id'),
});

/** An action on the exception `id` as the read side shows it; refused with a code, or its new state. */
export async function actOnException(
  deps: ExceptionDeps,
  id: string,
  action: ExceptionAction,
  ctx: ActContext,
): Promise<ActOutcome> {
  const item = await exceptionById(deps, id);
  if (!item) return unknown(id);
  return decideOn(deps, item, action, ctx);
}

async function decideOn(
  deps: ExceptionDeps,
  item: ExceptionView,
  action: ExceptionAction,
  ctx: ActContext,
): Promise<ActOutcome> {
  const subject = {
    kind: item.kind === 'held_too_long' ? 'held' : item.kind,
    code: item.code,
    document: item.document,
    contractId: item.contractId,
    legalEntity: item.legalEntity,
    amount: item.amount,
    currency: item.currency,
    firstSeen: item.firstSeen,
    message: item.message,
  };
  const resolvedBySystem = item.resolvedBy === 'system' ? (item.resolution?.reason ?? 'its cause went away') : null;
  const { state, decided } = await handleCommand(deps.store, exception, item.id, () => ({
    ...action,
    subject,
    resolvedBySystem,
    at: deps.now().toISOString(),
    actor: ctx.actor,
    correlationId: ctx.correlationId ?? null,
  }));
  if (!accepted(decided)) return { ok: false, notFound: false, error: decided };
  const after = decided.reduce((s, e) => exception.evolve(s, e), state);
  return { ok: true, exceptionId: item.id, status: after.status, owner: after.owner, changed: decided.length > 0 };
}

/** What a replay answers: the ingest result of the resubmitted input, and the exception's state after it. */
export type ReplayOutcome =
  | { ok: true; result: IngestResult; corrected: boolean; exception: ActOutcome }
  | { ok: false; notFound: boolean; error: DomainError };

/**
 * Resubmits the refused input `rejectionId` (InputRejected), as it was or `corrected`, and records the replay on its
 * exception. Refused (nothing resubmitted) when the exception is closed or the kept input was cut (send it corrected).
 */
export async function replayRejection(
  deps: ExceptionDeps & { ingestor: Ingestor },
  rejectionId: string,
  corrected: JsonObject | null,
  ctx: ActContext,
): Promise<ReplayOutcome> {
  const found = await rejectionById(deps, rejectionId);
  if (!found)
    return {
      ok: false,
      notFound: true,
      error: domainError('UNKNOWN_EXCEPTION', `no refused input ${rejectionId}`, 'id'),
    };
  const { exception: item, event } = found;
  if (item.status === 'resolved' || item.status === 'ignored')
    return {
      ok: false,
      notFound: false,
      error: domainError(
        'REPLAY_NOT_ALLOWED',
        `exception ${item.id} is ${item.status}: there is nothing to replay`,
        'id',
      ),
    };
  const data = event.data as JsonObject;
  if (corrected === null && data.inputCut === true)
    return {
      ok: false,
      notFound: false,
      error: domainError('REPLAY_NOT_ALLOWED', 'the kept input was cut (too large): replay it corrected', 'body'),
    };
  const input = corrected ?? (typeof data.input === 'string' ? parseKept(data.input) : data.input);
  const lineage = corrected === null ? { replayOf: rejectionId } : { correctedFrom: rejectionId };
  const [result] = await deps.ingestor.ingest([input], { ...ctx, lineage });
  const outcome = result!.status === 'rejected' ? 'refused' : 'accepted';
  const recorded = await decideOn(
    deps,
    item,
    { action: 'replay', outcome, corrected: corrected !== null, eventId: result!.eventId ?? null },
    ctx,
  );
  recordReplay({ mode: corrected === null ? 'as_is' : 'corrected', outcome: result!.status });
  return { ok: true, result: result!, corrected: corrected !== null, exception: recorded };
}

/** A kept input that was not an object, as the text of its JSON: resubmitted as that value. */
function parseKept(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
