// The open exceptions as the metrics read them: ONE function (`openExceptions`) over the exception readers that
// exist — schedule exceptions, held and held-rejected events, quarantined documents and journals the ERP refused —
// found through the read models' index tags, so its cost follows the number of contracts with an exception, not the
// size of the store. Each item carries what the gauges need: kind, when it was first seen (where the documents say:
// a held event's receipt, a refused journal's last submission) and the amount at stake (the line, event or journal
// it holds up). Refused inputs (rejections-*) and blocked contracts are not here: the first are counted as they
// happen (revtrail_events_received_total{outcome="rejected"}), the second by each posting run
// (revtrail_posting_blocked_contracts), since finding them means reading every contract's stream.
import type { JsonObject } from '../../schemas/index.js';
import { REJECTION_CODES } from '../../schemas/index.js';
import type { PostingStatusDoc, RevenueScheduleDoc } from '../../projections/index.js';
import { HELD_EVENT_REJECTED_CODE, HELD_TAG, bookingOf } from '../../projections/index.js';
import type { ExceptionCode } from '../revenue/index.js';
import { dec, sumMoney } from '../revenue/index.js';
import { sequencingExceptions } from '../audit/index.js';
import type { ReadStore } from '../readmodel/index.js';
import { PROJECTION_FAILED, QUARANTINE_TAG, markOf } from '../runner/index.js';

const SCHEDULES = 'revenue-schedule';
const POSTINGS = 'posting-status';

const SCHEDULE_CODES: Record<ExceptionCode, true> = {
  NO_BOOKING: true,
  UNMAPPED_SKU: true,
  MISSING_SERVICE_PERIOD: true,
  UNKNOWN_LINE: true,
  NEGATIVE_REMAINING_CONSIDERATION: true,
  USAGE_AFTER_CANCELLATION: true,
  CREDIT_EXCEEDS_CONSIDERATION: true,
};

export interface OpenException {
  /** Identity across refreshes: kind, contract and the event or journal it is about. */
  key: string;
  /** The exception code (UNMAPPED_SKU, HELD_TOO_LONG, CONNECTOR_ERROR, PROJECTION_FAILED, ...). */
  kind: string;
  contractId: string;
  /** ISO time it was first seen, where the documents record it; null: the caller dates it when it first sees it. */
  firstSeen: string | null;
  /** Decimal string in `currency`; null when nothing states an amount (a quarantined document). */
  amount: string | null;
  currency: string | null;
}

export interface OpenExceptionsOptions {
  now: Date;
  /** Days a held event may wait before it is HELD_TOO_LONG. */
  heldMaxAgeDays: number;
}

/** Every open exception the read models show now. */
export async function openExceptions(read: ReadStore, options: OpenExceptionsOptions): Promise<OpenException[]> {
  const [scheduled, posted] = await Promise.all([
    read.keysByTag(SCHEDULES, [
      ...Object.keys(SCHEDULE_CODES).map((c) => `exception:${c}`),
      `exception:${HELD_EVENT_REJECTED_CODE}`,
      QUARANTINE_TAG,
      HELD_TAG,
    ]),
    read.keysByTag(POSTINGS, [...REJECTION_CODES.map((c) => `rejection:${c}`), QUARANTINE_TAG]),
  ]);
  const out: OpenException[] = [];
  for (const [id, doc] of await read.getMany(SCHEDULES, [...new Set(scheduled)].sort()))
    out.push(...scheduleExceptions(id, doc as RevenueScheduleDoc, options));
  for (const [id, doc] of await read.getMany(POSTINGS, [...new Set(posted)].sort()))
    out.push(...postingExceptions(id, doc as PostingStatusDoc));
  return out;
}

/** An event's money: its `amount`, else the sum of its lines' amounts; null when it has none. */
function amountOf(data: JsonObject | undefined): string | null {
  if (!data) return null;
  if (typeof data.amount === 'string') return data.amount;
  const lines = Array.isArray(data.lines) ? (data.lines as JsonObject[]) : [];
  const amounts = lines.map((l) => l.amount).filter((a): a is string => typeof a === 'string');
  return amounts.length === 0 ? null : sumMoney(amounts.map((a) => dec(a))).toFixed();
}

function scheduleExceptions(
  contractId: string,
  doc: RevenueScheduleDoc,
  options: OpenExceptionsOptions,
): OpenException[] {
  const booking = bookingOf(doc);
  const currency = typeof booking?.currency === 'string' ? booking.currency : null;
  const lines = Array.isArray(booking?.lines) ? (booking.lines as JsonObject[]) : [];
  const lineAmount = (lineId: string | null | undefined): string | null => {
    const line = lineId ? lines.find((l) => l.lineId === lineId) : undefined;
    return line ? amountOf(line) : amountOf(booking ?? undefined);
  };
  const facts = new Map([...doc.facts, ...doc.pending, ...doc.rejected].map((f) => [f.eventId, f]));
  const out: OpenException[] = (doc.schedule?.exceptions ?? []).map((x) => ({
    key: `${x.code}|${contractId}|${x.eventId ?? x.lineId ?? ''}`,
    kind: x.code,
    contractId,
    firstSeen: null,
    amount: (x.eventId ? amountOf(facts.get(x.eventId)?.data) : null) ?? lineAmount(x.lineId),
    currency,
  }));
  const received = new Map([...doc.pending, ...doc.rejected].map((f) => [f.eventId, f.receivedAt]));
  const held = { now: () => options.now, maxAgeDays: options.heldMaxAgeDays };
  for (const x of sequencingExceptions(doc, held))
    out.push({
      key: `${x.code}|${contractId}|${x.eventId}`,
      kind: x.code,
      contractId,
      firstSeen: received.get(x.eventId) ?? null,
      amount: amountOf(facts.get(x.eventId)?.data),
      currency,
    });
  const mark = markOf(doc);
  if (mark) out.push(quarantined(contractId, 'schedule', mark.eventId));
  return out;
}

function postingExceptions(contractId: string, doc: PostingStatusDoc): OpenException[] {
  const out: OpenException[] = [];
  for (const j of doc.journals) {
    if (j.status !== 'rejected' || !j.rejection) continue;
    const last = j.submissions[j.submissions.length - 1];
    out.push({
      key: `${j.rejection.code}|${contractId}|${j.journalId}`,
      kind: j.rejection.code,
      contractId,
      firstSeen: last?.submittedAt ?? j.updatedAt,
      amount: j.debit,
      currency: doc.currency,
    });
  }
  const mark = markOf(doc);
  if (mark) out.push(quarantined(contractId, 'posting', mark.eventId));
  return out;
}

const quarantined = (contractId: string, where: string, eventId: string | null): OpenException => ({
  key: `${PROJECTION_FAILED}|${contractId}|${where}|${eventId ?? ''}`,
  kind: PROJECTION_FAILED,
  contractId,
  firstSeen: null,
  amount: null,
  currency: null,
});
