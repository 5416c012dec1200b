// The contract every ERP connector keeps (docs/posting.md): a prepared journal goes in, a posted
// ERP document or a coded rejection comes out, and the journal id is the idempotency key, so a retried submission
// finds the document an earlier attempt created instead of creating a second one.
import { dec, negateMoney, sumMoney } from '../../revenue/index.js';
import type { Dec } from '../../revenue/index.js';
import type { JournalLine, RejectionCode, SubmitOutcome } from '../../../schemas/index.js';

/** The dimensions every journal line carries (docs/accounting.md, "Journals"); connectors keep any others too. */
export const DIMENSION_KEYS = ['legalEntity', 'contractId', 'customerId', 'sku', 'obligation'] as const;

export interface JournalSubmission {
  /** The idempotency key, stored on the ERP document as its reference. */
  journalId: string;
  legalEntity: string;
  currency: string;
  /** YYYY-MM-DD: the accounting date, inside `period`. */
  date: string;
  /** YYYY-MM. */
  period: string;
  description: string;
  lines: JournalLine[];
  /**
   * The correlation ids of the source events behind the journal (its lineage's), written on the ERP document as
   * `correlationId: <id>` tags (docs/posting.md), so that the ERP side is searchable by the id a source record came
   * with. Absent: none.
   */
  correlationIds?: readonly string[];
}

export type ConnectorName = 'tryton' | 'file' | 'simulated';

export interface Connector {
  readonly name: ConnectorName;
  /**
   * Posts the journal, or finds the document an earlier submission of the same journal id posted (then
   * `alreadyPosted` is true and nothing new is written; between processes racing on one journal id the flag is
   * best effort, the single document is not). Expected refusals are values; it throws only for bugs
   * (a malformed submission, an ERP answer the connector does not understand).
   */
  submit(journal: JournalSubmission): Promise<SubmitOutcome>;
  /**
   * The posted ERP document holding this journal, if any. Throws ConnectorUnavailableError when the ERP cannot be
   * reached: "unknown" is not "absent".
   */
  find(journalId: string): Promise<string | null>;
  /** Where the ERP keeps a chart of accounts: the codes among `codes` it does not hold. */
  missingAccounts?(codes: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** The ERP could not be reached or did not answer in time; the same request may succeed later. */
export class ConnectorUnavailableError extends Error {
  override readonly name = 'ConnectorUnavailableError';
}

export function rejected(code: RejectionCode, message: string): SubmitOutcome {
  return {
    status: 'rejected',
    code,
    retryable: code === 'CONNECTOR_UNAVAILABLE' || code === 'CONNECTOR_ERROR',
    message,
  };
}

/** Total debits minus total credits: zero for a balanced journal. */
export function imbalanceOf(lines: readonly JournalLine[]): Dec {
  return sumMoney(lines.map(signedAmountOf));
}

/** A line's amount signed the ledger way: debits positive, credits negative. */
export function signedAmountOf(line: JournalLine): Dec {
  return sumMoney([dec(line.debit), dec(negateMoney(line.credit))]);
}

/** Free text on one line: ledger formats end descriptions and comments at a newline. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/gu, ' ').trim();
}

/**
 * A line's description and dimensions as one line of text ("Revenue recognised, contractId: C-1, sku: PRO"), for
 * ERPs with a single free-text field per line. It is hledger's tag syntax, so commas inside values become spaces;
 * the exact values travel elsewhere (the file connector's CSV).
 */
export function lineNote(line: JournalLine): string {
  const tags = Object.entries(line.dimensions).map(
    ([k, v]) => `${k.replace(/[^A-Za-z0-9_-]/gu, '_')}: ${oneLine(v).replaceAll(',', ' ')}`,
  );
  // A translated line's transaction side as tags: the amount stays in the journal's (functional) currency, so
  // `hledger bal` sums the functional currency and hledger balances the transaction in it; `hledger print
  // tag:fxRateEvent=<id>` finds the lines made at a rate.
  const fx = line.fx
    ? [
        `fxAmount: ${line.fx.amount} ${line.fx.currency}`,
        `fxRate: ${line.fx.rate}`,
        `fxRateType: ${line.fx.rateType}`,
        `fxRateDate: ${line.fx.rateDate}`,
        `fxRateEvent: ${line.fx.rateEventId}`,
      ]
    : [];
  return [oneLine(line.description), ...tags, ...fx].filter((s) => s !== '').join(', ');
}

/** `correlationId: <id>` once per id, comma-separated: hledger's tag syntax, and plain text for other ERPs. */
export function correlationTags(ids: readonly string[] | undefined): string {
  return (ids ?? []).map((id) => `correlationId: ${oneLine(id).replaceAll(',', ' ')}`).join(', ');
}

/** A real calendar date spelled YYYY-MM-DD (Date.parse alone accepts 2026-02-30). */
function isCalendarDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/**
 * Throws on a submission no connector should receive: these are bugs in journal preparation, not ERP answers (an
 * unbalanced journal is an answer, and each ERP gives it itself).
 */
export function assertWellFormed(j: JournalSubmission): void {
  const fail = (why: string): never => {
    throw new Error(`journal ${JSON.stringify(j.journalId)}: ${why}`);
  };
  if (j.journalId.trim() === '') fail('empty journal id');
  if (!isCalendarDate(j.date)) fail(`date ${JSON.stringify(j.date)} is not a YYYY-MM-DD date`);
  if (j.date.slice(0, 7) !== j.period) fail(`date ${j.date} is outside period ${j.period}`);
  if (j.lines.length === 0) fail('no lines');
  for (const [i, l] of j.lines.entries()) {
    if (l.account.trim() === '') fail(`line ${i}: empty account`);
    let debit: Dec;
    let credit: Dec;
    try {
      debit = dec(l.debit);
      credit = dec(l.credit);
    } catch {
      debit = credit = dec('NaN');
    }
    if (!debit.isFinite() || !credit.isFinite()) {
      fail(`line ${i}: amounts ${JSON.stringify([l.debit, l.credit])} are not decimals`);
    }
    if (!debit.isZero() && !credit.isZero()) fail(`line ${i}: both debit and credit are non-zero`);
  }
}
