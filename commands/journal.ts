// The journal commands: a contract's journals are events in its own stream (docs/accounting.md, "Journals") —
// JournalPrepared, JournalSubmitted, JournalPosted, JournalRejected. Pure: the state is folded from the stream, the
// decisions return events or nothing, and every event id derives from the journal id and the step, so a retried
// command (after a crash, a timeout, a lost answer) appends nothing twice.
//
// What a posting run counts as journaled: every prepared journal's lines, whatever became of its posting, until an
// explicit re-preparation supersedes a journal the ERP refused — then the new journal carries its amounts (the same
// lines re-dated for a closed period; the lines the current mapping gives otherwise) and the old one no longer counts.
// A journal refused for a connector failure is reopened instead (same journal id, so the ERP's idempotency still
// finds a document an earlier attempt may have written). Reports show a refused journal as rejected, not journaled.
import type { DomainError, JsonObject, ProposedEvent } from '../schemas/index.js';
import { domainError, eventIdFor } from '../schemas/index.js';
import type { JournalLine, PreparedJournal, SubmitOutcome } from '../schemas/index.js';
import type { Decider } from './decider.js';
import { contractStream } from './contract.js';

export type JournalStatus = 'prepared' | 'submitted' | 'posted' | 'rejected' | 'superseded';

export interface JournalEntry {
  journalId: string;
  through: string;
  period: string;
  date: string;
  legalEntity: string;
  currency: string;
  lines: JournalLine[];
  status: JournalStatus;
  attempts: number;
  erpDocumentId: string | null;
  rejection: { code: string; retryable: boolean; message: string } | null;
  supersedes: string | null;
  /** The correlation ids of the source events behind it (its lineage's): they travel with it to the ERP. */
  correlationIds: string[];
}

export interface JournalState {
  contractId: string;
  journals: Map<string, JournalEntry>;
}

export const initialJournalState = (contractId: string): JournalState => ({ contractId, journals: new Map() });

export const JOURNAL_EVENTS = [
  'JournalPrepared',
  'JournalSubmitted',
  'JournalPosted',
  'JournalRejected',
  'JournalReopened',
] as const;

/** Refusals that are about the connector, not the journal: the ERP may hold the document, so its id is kept. */
export const CONNECTOR_CODES: readonly string[] = ['CONNECTOR_UNAVAILABLE', 'CONNECTOR_ERROR'];

/** Lines of every journal that counts as journaled (all but superseded ones). */
export function journaledLines(state: JournalState): JournalLine[] {
  return [...state.journals.values()].filter((j) => j.status !== 'superseded').flatMap((j) => j.lines);
}

export function evolveJournals(state: JournalState, e: { type: string; data: JsonObject }): JournalState {
  if (!(JOURNAL_EVENTS as readonly string[]).includes(e.type)) return state;
  const d = e.data;
  const journalId = d.journalId as string;
  const journals = new Map(state.journals);
  const current = journals.get(journalId);
  if (e.type === 'JournalPrepared') {
    const supersedes = (d.supersedes as string | null | undefined) ?? null;
    journals.set(journalId, {
      journalId,
      through: d.through as string,
      period: d.period as string,
      date: d.date as string,
      legalEntity: d.legalEntity as string,
      currency: d.currency as string,
      lines: d.lines as unknown as JournalLine[],
      status: 'prepared',
      attempts: 0,
      erpDocumentId: null,
      rejection: null,
      supersedes,
      correlationIds: ((d.lineage as JsonObject | undefined)?.correlationIds as string[] | undefined) ?? [],
    });
    const old = supersedes === null ? undefined : journals.get(supersedes);
    if (old) journals.set(old.journalId, { ...old, status: 'superseded' });
  } else if (current && e.type === 'JournalSubmitted') {
    journals.set(journalId, { ...current, status: 'submitted', attempts: current.attempts + 1 });
  } else if (current && e.type === 'JournalPosted') {
    journals.set(journalId, {
      ...current,
      status: 'posted',
      erpDocumentId: d.erpDocumentId as string,
      rejection: null,
    });
  } else if (current && e.type === 'JournalRejected') {
    const rejection = { code: d.code as string, retryable: d.retryable as boolean, message: d.message as string };
    journals.set(journalId, { ...current, status: 'rejected', rejection });
  } else if (current && e.type === 'JournalReopened') {
    journals.set(journalId, { ...current, status: 'prepared', rejection: null });
  }
  return { ...state, journals };
}

export interface JournalContext {
  receivedAt: string;
  actor: string;
  /**
   * The correlation id of what appends the event (a posting run, a re-preparation request): the journal's own source
   * correlation ids are in its lineage.
   */
  correlationId?: string | null;
}

function event(type: string, id: string, data: JsonObject, ctx: JournalContext): ProposedEvent {
  return {
    eventId: eventIdFor(id),
    type,
    data,
    metadata: {
      schemaVersion: 1,
      source: null,
      receivedAt: ctx.receivedAt,
      correlationId: ctx.correlationId ?? null,
      causationId: null,
      actor: ctx.actor,
    },
  };
}

/** The journal id of the next journal of a contract: deterministic, so a retried preparation maps to the same id. */
export function nextJournalId(state: JournalState): string {
  return eventIdFor(`journal|${state.contractId}|${state.journals.size}`);
}

/** Records a prepared journal (none when there is nothing to journal). */
export function decidePrepare(
  state: JournalState,
  prepared: PreparedJournal | null,
  ctx: JournalContext,
  supersedes: string | null = null,
): ProposedEvent | null {
  if (prepared === null) return null;
  const journalId = nextJournalId(state);
  const data: JsonObject = {
    contractId: state.contractId,
    journalId,
    through: prepared.through,
    period: prepared.period,
    date: prepared.date,
    legalEntity: prepared.legalEntity,
    currency: prepared.currency,
    lines: prepared.lines as unknown as JsonObject[],
    lineage: prepared.lineage as unknown as JsonObject,
    supersedes,
  };
  return event('JournalPrepared', `${journalId}|prepared`, data, ctx);
}

/** Records a submission attempt (each attempt is its own event; the journal id is the ERP idempotency key). */
export function decideSubmitted(
  state: JournalState,
  journalId: string,
  submission: { batchId: string; connector: string },
  ctx: JournalContext,
): ProposedEvent | DomainError {
  const j = state.journals.get(journalId);
  if (!j) return domainError('UNKNOWN_JOURNAL', `journal ${journalId} is not in contract ${state.contractId}`);
  if (j.status === 'posted' || j.status === 'superseded')
    return domainError('JOURNAL_NOT_SUBMITTABLE', `journal ${journalId} is ${j.status}`);
  const data: JsonObject = {
    contractId: state.contractId,
    journalId,
    batchId: submission.batchId,
    connector: submission.connector,
    idempotencyKey: journalId,
    attempt: j.attempts + 1,
  };
  return event('JournalSubmitted', `${journalId}|submitted|${j.attempts + 1}`, data, ctx);
}

/** Records what the ERP answered; a second answer for a posted journal changes nothing. */
export function decideOutcome(
  state: JournalState,
  journalId: string,
  outcome: SubmitOutcome,
  connector: string,
  ctx: JournalContext,
): ProposedEvent | null {
  const j = state.journals.get(journalId);
  if (!j || j.status === 'posted') return null;
  if (outcome.status === 'posted') {
    const data = { contractId: state.contractId, journalId, erpDocumentId: outcome.erpDocumentId, connector };
    return event('JournalPosted', `${journalId}|posted`, data, ctx);
  }
  const data: JsonObject = {
    contractId: state.contractId,
    journalId,
    code: outcome.code,
    retryable: outcome.retryable,
    message: outcome.message,
    connector,
  };
  return event('JournalRejected', `${journalId}|rejected|${j.attempts}`, data, ctx);
}

/** The journal if it stands rejected with one of `codes` (any code when absent), else why it cannot be re-prepared. */
function refusedJournal(state: JournalState, journalId: string, codes?: readonly string[]): JournalEntry | DomainError {
  const j = state.journals.get(journalId);
  if (!j) return domainError('UNKNOWN_JOURNAL', `journal ${journalId} is not in contract ${state.contractId}`);
  if (j.status !== 'rejected' || !j.rejection || (codes && !codes.includes(j.rejection.code)))
    return domainError(
      'JOURNAL_NOT_SUBMITTABLE',
      `journal ${journalId} is ${j.status}${j.rejection ? ` (${j.rejection.code})` : ''}, not refused${codes ? ` ${codes.join('/')}` : ''}`,
    );
  return j;
}

/**
 * The explicit re-preparation of a journal the ERP refused for a closed period: the same lines, dated in `period`
 * (the first open one, chosen by the caller), superseding the refused journal.
 */
export function decideReprepare(
  state: JournalState,
  journalId: string,
  period: string,
  periodEnd: string,
  ctx: JournalContext,
  journal: Omit<PreparedJournal, 'period' | 'date'>,
): ProposedEvent | DomainError {
  const j = refusedJournal(state, journalId, ['PERIOD_CLOSED']);
  if ('code' in j) return j;
  return decidePrepare(state, { ...journal, lines: j.lines, period, date: periodEnd }, ctx, journalId)!;
}

/**
 * The re-preparation of a journal the ERP refused for what it holds (an unknown account, an imbalance): `prepared` is
 * what the contract lacks without it under the mappings in force now (the caller prepares it with the refused
 * journal left out of what is journaled), and supersedes it.
 */
export function decideReplace(
  state: JournalState,
  journalId: string,
  prepared: PreparedJournal | null,
  ctx: JournalContext,
): ProposedEvent | DomainError {
  const j = refusedJournal(state, journalId);
  if ('code' in j) return j;
  if (CONNECTOR_CODES.includes(j.rejection!.code) || j.rejection!.code === 'PERIOD_CLOSED')
    return domainError('JOURNAL_NOT_SUBMITTABLE', `journal ${journalId} refused ${j.rejection!.code} is not replaced`);
  if (prepared === null)
    return domainError('JOURNAL_NOT_SUBMITTABLE', `without journal ${journalId} the contract lacks nothing`);
  return decidePrepare(state, prepared, ctx, journalId)!;
}

/**
 * Reopens a journal refused for a connector failure (once the connector is fixed): the same journal, the same id,
 * submitted again by the next run, so that a document the ERP wrote before failing is found, never doubled.
 */
export function decideReopen(
  state: JournalState,
  journalId: string,
  reason: string,
  ctx: JournalContext,
): ProposedEvent | DomainError {
  const j = refusedJournal(state, journalId, CONNECTOR_CODES);
  if ('code' in j) return j;
  const data: JsonObject = { contractId: state.contractId, journalId, reason };
  return event('JournalReopened', `${journalId}|reopened|${j.attempts}`, data, ctx);
}

/** Lines of every journal that counts as journaled, leaving `journalId` out (what a replacement is prepared from). */
export function journaledLinesWithout(state: JournalState, journalId: string): JournalLine[] {
  const rest = new Map(state.journals);
  rest.delete(journalId);
  return journaledLines({ ...state, journals: rest });
}

/** The commands on a contract's journals; each carries its context (time, actor), so deciding stays pure. */
export type JournalCommand =
  | { action: 'prepare'; prepared: PreparedJournal | null; ctx: JournalContext }
  | { action: 'submitted'; journalId: string; submission: { batchId: string; connector: string }; ctx: JournalContext }
  | { action: 'outcome'; journalId: string; outcome: SubmitOutcome; connector: string; ctx: JournalContext }
  | {
      action: 'reprepare';
      journalId: string;
      period: string;
      periodEnd: string;
      journal: Omit<PreparedJournal, 'period' | 'date'>;
      ctx: JournalContext;
    }
  | { action: 'replace'; journalId: string; prepared: PreparedJournal | null; ctx: JournalContext }
  | { action: 'reopen'; journalId: string; reason: string; ctx: JournalContext };

const listed = (event: ProposedEvent | DomainError | null): ProposedEvent[] | DomainError =>
  event === null ? [] : 'eventId' in event ? [event] : event;

function decide(state: JournalState, c: JournalCommand): ProposedEvent[] | DomainError {
  switch (c.action) {
    case 'prepare':
      return listed(decidePrepare(state, c.prepared, c.ctx));
    case 'submitted':
      return listed(decideSubmitted(state, c.journalId, c.submission, c.ctx));
    case 'outcome':
      return listed(decideOutcome(state, c.journalId, c.outcome, c.connector, c.ctx));
    case 'reprepare':
      return listed(decideReprepare(state, c.journalId, c.period, c.periodEnd, c.ctx, c.journal));
    case 'replace':
      return listed(decideReplace(state, c.journalId, c.prepared, c.ctx));
    case 'reopen':
      return listed(decideReopen(state, c.journalId, c.reason, c.ctx));
    default:
      return c satisfies never;
  }
}

/** A contract's journals, in the contract's own stream (the key is the contract id). */
export const journal: Decider<JournalState, JournalCommand, { type: string; data: JsonObject }> = {
  stream: contractStream,
  initial: initialJournalState,
  evolve: evolveJournals,
  decide,
};
