// Journals as the domain knows them (docs/accounting.md, "Journals"): the lines a journal carries, a prepared
// journal with its lineage, what an ERP answered to its submission, and the codes a journal can be refused or a
// contract blocked with. Data only: the commands fold these into a contract's journal state, journal preparation
// makes them, and the ERP connectors (src/posting/connectors/) take and give them.

/**
 * Why an ERP refused a journal. CONNECTOR_UNAVAILABLE (the ERP could not be reached) and CONNECTOR_ERROR (the
 * connector threw, hung or answered something that is not an outcome) are retryable: the others are answers about
 * the journal itself, and resubmitting it unchanged gets the same answer.
 */
export type RejectionCode =
  'PERIOD_CLOSED' | 'UNBALANCED' | 'UNKNOWN_ACCOUNT' | 'CONNECTOR_UNAVAILABLE' | 'CONNECTOR_ERROR';

export const REJECTION_CODES: readonly RejectionCode[] = [
  'PERIOD_CLOSED',
  'UNBALANCED',
  'UNKNOWN_ACCOUNT',
  'CONNECTOR_UNAVAILABLE',
  'CONNECTOR_ERROR',
];

/**
 * Why a booked contract cannot be journaled now; the first run after the cause is fixed prepares it. FX_RATE_MISSING:
 * a rate its translation into the functional currency needs is not published (docs/accounting.md, "Foreign
 * currency"). CURRENCY_MISMATCH is no longer given (a contract in another currency is translated) and stays so that
 * questions asked with it are still understood.
 */
export type PostingBlockCode = 'UNMAPPED_ENTITY' | 'CURRENCY_MISMATCH' | 'SCHEDULE_EXCEPTION' | 'FX_RATE_MISSING';

export const POSTING_BLOCK_CODES: readonly PostingBlockCode[] = [
  'UNMAPPED_ENTITY',
  'CURRENCY_MISMATCH',
  'SCHEDULE_EXCEPTION',
  'FX_RATE_MISSING',
];

/**
 * A journal line of a contract in another currency than its legal entity's: the transaction-currency amount on the
 * line's side, and the published rate (an FxRatesPublished event) the functional amount was made at.
 */
export interface JournalLineFx {
  currency: string;
  amount: string;
  rate: string;
  rateType: 'spot' | 'average' | 'closing';
  rateDate: string;
  rateEventId: string;
}

export interface JournalLine {
  /** The ERP account code ("4000"). */
  account: string;
  /** Decimal strings in the journal's currency; one side of a line is zero ("0" or "0.00"). */
  debit: string;
  credit: string;
  description: string;
  dimensions: Record<string, string>;
  /** Only on a translated contract's lines made at one rate (not on its exchange difference). */
  fx?: JournalLineFx;
}

export interface JournalLineage {
  /** Invoices and credit memos through the period, and the events that shaped the schedule lines journaled. */
  sourceEventIds: string[];
  /** The schedule lines behind the revenue lines: recognised to date per obligation through `through`. */
  scheduleLines: { lineId: string; sku: string; through: string; recognisedToDate: string; mappingVersion: number }[];
  productMappingVersion: number;
  accountMappingVersion: number;
  /**
   * The correlation ids of the source events (`sourceEventIds`) that carry one, sorted, each once: a journal built
   * from several source records carries each record's id, so that a trace by any of them finds it. Absent on
   * journals prepared before correlation ids were carried onto journals: read as none.
   */
  correlationIds?: string[];
}

export interface PreparedJournal {
  contractId: string;
  legalEntity: string;
  currency: string;
  /** The period whose balances it brings up to date. */
  through: string;
  /** The period it is posted in (`through`, or the first open period after it when that one is closed). */
  period: string;
  /** Accounting date: the last day of `period`. */
  date: string;
  lines: JournalLine[];
  lineage: JournalLineage;
}

/** What an ERP answered to a journal's submission: the document holding it, or a coded refusal. */
export type SubmitOutcome =
  | { status: 'posted'; erpDocumentId: string; alreadyPosted: boolean }
  | { status: 'rejected'; code: RejectionCode; retryable: boolean; message: string };
