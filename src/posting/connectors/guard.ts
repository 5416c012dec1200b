// The boundary between a posting run and a connector: whatever a connector does — throws, hangs, answers something
// that is not an outcome — the run gets a coded outcome for that one journal and goes on with the others. A connector
// is code talking to a remote system, so a bug or a surprise there is an infrastructure failure of one submission,
// not of the run.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorUnavailableError, rejected } from './types.js';
import type { Connector, JournalSubmission } from './types.js';
import { REJECTION_CODES } from '../../../schemas/index.js';
import type { RejectionCode, SubmitOutcome } from '../../../schemas/index.js';

/** How long a connector may take to answer one call before the run treats it as failed. */
export const DEFAULT_CONNECTOR_TIMEOUT_MS = 30_000;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The value `call` answers, or `timedOut` when it has not answered within `timeoutMs` (the call is not cancelled). */
async function within<T>(call: () => Promise<T>, timeoutMs: number, timedOut: T): Promise<T> {
  const abort = new AbortController();
  try {
    return await Promise.race([
      Promise.resolve().then(call),
      sleep(timeoutMs, timedOut, { signal: abort.signal, ref: false }),
    ]);
  } finally {
    abort.abort();
  }
}

/** The outcome if `answer` is one (a posted document id, or a rejection with a known code), else null. */
function outcomeOf(answer: unknown): SubmitOutcome | null {
  if (typeof answer !== 'object' || answer === null) return null;
  const a = answer as Record<string, unknown>;
  if (a.status === 'posted')
    return typeof a.erpDocumentId === 'string' && a.erpDocumentId !== ''
      ? { status: 'posted', erpDocumentId: a.erpDocumentId, alreadyPosted: a.alreadyPosted === true }
      : null;
  if (a.status === 'rejected' && REJECTION_CODES.includes(a.code as never) && typeof a.message === 'string')
    return rejected(a.code as RejectionCode, a.message);
  return null;
}

/**
 * Submits a journal and always answers an outcome: an unreachable ERP is CONNECTOR_UNAVAILABLE, a throw, a timeout or
 * a malformed answer is CONNECTOR_ERROR with what happened. Both are retryable: the journal id is the idempotency key,
 * so a submission that did reach the ERP before failing is found, not posted twice.
 */
export async function guardedSubmit(
  connector: Connector,
  journal: JournalSubmission,
  timeoutMs: number = DEFAULT_CONNECTOR_TIMEOUT_MS,
): Promise<SubmitOutcome> {
  const late = Symbol('timeout');
  let answer: unknown;
  try {
    answer = await within<unknown>(() => connector.submit(journal), timeoutMs, late);
  } catch (err) {
    if (err instanceof ConnectorUnavailableError) return rejected('CONNECTOR_UNAVAILABLE', messageOf(err));
    return rejected('CONNECTOR_ERROR', `${connector.name} connector failed: ${messageOf(err)}`);
  }
  if (answer === late) return rejected('CONNECTOR_ERROR', `${connector.name} connector: no answer in ${timeoutMs} ms`);
  const outcome = outcomeOf(answer);
  if (outcome) return outcome;
  const shown = JSON.stringify(answer) ?? String(answer);
  return rejected('CONNECTOR_ERROR', `${connector.name} connector: malformed answer ${shown.slice(0, 200)}`);
}

/**
 * Asks the ERP for the document a journal id posted: the document id, null when the ERP has none, or `unknown` when
 * the ERP could not say (unreachable, a throw, a timeout, a malformed answer) — then nothing may be concluded.
 */
export async function guardedFind(
  connector: Connector,
  journalId: string,
  timeoutMs: number = DEFAULT_CONNECTOR_TIMEOUT_MS,
): Promise<string | null | { unknown: string }> {
  const late = Symbol('timeout');
  try {
    const answer = await within<unknown>(() => connector.find(journalId), timeoutMs, late);
    if (answer === null || (typeof answer === 'string' && answer !== '')) return answer;
    return { unknown: answer === late ? `no answer in ${timeoutMs} ms` : 'malformed answer' };
  } catch (err) {
    return { unknown: messageOf(err) };
  }
}
