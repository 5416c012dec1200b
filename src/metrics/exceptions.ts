// The open exceptions as the metrics read them: a thin adapter over the exceptions read model (`listExceptions`,
// src/audit/exceptions.ts), so the gauges count the same work items the workbench lists — same kinds, codes, first
// seen, amount at stake and SLA — with status active (open or acknowledged).
//
// Every kind but `journal_blocked`: listing blocked contracts reads every booked contract's stream and folds its
// schedule (what the next posting run would find), a cost that grows with the store, not with the exceptions, and
// that a refresh every few seconds must not pay. Each posting run counts them already
// (revtrail_posting_blocked_contracts, by code).
import type { HoldReason } from '../../commands/versions.js';
import { ErrorCodes, REJECTION_CODES, Currency } from '../../schemas/index.js';
import { EXCEPTION_KINDS, HELD_EVENT_REJECTED_CODE } from '../../projections/index.js';
import type { ExceptionKind } from '../../projections/index.js';
import type { ExceptionCode } from '../revenue/index.js';
import { PROJECTION_FAILED } from '../runner/index.js';
import { listExceptions } from '../audit/exceptions.js';
import type { ExceptionDeps, ExceptionView } from '../audit/exceptions.js';

/** The kinds the gauges count (see above for the one left out). */
export const METRIC_KINDS: readonly ExceptionKind[] = EXCEPTION_KINDS.filter((k) => k !== 'journal_blocked');

/** What the gauges need of an item. */
export type OpenException = Pick<ExceptionView, 'kind' | 'code' | 'firstSeen' | 'amount' | 'currency' | 'overdue'>;

/** Every active item of the counted kinds, as the exceptions read model lists it now. */
export async function openExceptions(deps: ExceptionDeps): Promise<OpenException[]> {
  const out: OpenException[] = [];
  // One kind at a time: a kind filter lets the reader read only the documents of that kind.
  for (const kind of METRIC_KINDS) {
    const { items } = await listExceptions(deps, { kind, status: 'active' }, { limit: Infinity, offset: 0 });
    out.push(...items);
  }
  return out;
}

const SCHEDULE_CODES: Record<ExceptionCode, true> = {
  NO_BOOKING: true,
  UNMAPPED_SKU: true,
  MISSING_SERVICE_PERIOD: true,
  UNKNOWN_LINE: true,
  NEGATIVE_REMAINING_CONSIDERATION: true,
  USAGE_AFTER_CANCELLATION: true,
  CREDIT_EXCEEDS_CONSIDERATION: true,
};
const HOLD_REASONS: Record<HoldReason, true> = {
  AWAITING_BOOKING: true,
  HELD_VERSION_GAP: true,
  UNKNOWN_LINE_ID: true,
  UNKNOWN_INVOICE: true,
};

/** The codes Revtrail gives items: validation and domain codes, ERP refusals, schedule exceptions, hold reasons. */
const KNOWN_CODES: ReadonlySet<string> = new Set([
  ...ErrorCodes,
  ...REJECTION_CODES,
  ...Object.keys(SCHEDULE_CODES),
  ...Object.keys(HOLD_REASONS),
  'HELD',
  'HELD_TOO_LONG',
  'REJECTED',
  HELD_EVENT_REJECTED_CODE,
  PROJECTION_FAILED,
  'ERP_TIE_OUT_DIFFERENCE',
]);

/** The `code` label: one of the known codes, else OTHER, so the label's values stay a bounded set. */
export const codeLabel = (code: string): string => (KNOWN_CODES.has(code) ? code : 'OTHER');

/**
 * The `currency` label of an item's amount: an ISO 4217 code, else null (the amount is not counted). A refused
 * input states whatever currency it was sent with ("usd"), which is no label value.
 */
export const currencyLabel = (currency: string | null): string | null =>
  currency !== null && Currency.safeParse(currency).success ? currency : null;
