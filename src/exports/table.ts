// The tables Revtrail exports (CSV, XLSX, the evidence pack), shaped from what the audit readers answer: each shaper
// is a pure function of one reader's result, so an export shows the same figures as GraphQL and REST, computed once.
// A cell says what it is (money in a currency, a date, an instant), so each writer renders it its own way.
import type {
  DeferredRevenueRollforward,
  Reconciliation,
  RevenueWaterfall,
  RollforwardSection,
  ScheduleView,
} from '../audit/index.js';
import type { ExceptionView } from '../audit/exceptions.js';
import type { PostingJournal } from '../../projections/index.js';

/** An amount as the readers give it (a decimal string) and the currency whose minor units format it. */
export interface MoneyCell {
  money: string;
  currency: string | null;
}

/** A calendar date (`YYYY-MM-DD`) or an instant (ISO 8601). */
export interface DateCell {
  date: string;
}

export type Cell = string | number | boolean | null | MoneyCell | DateCell;

export interface Table {
  /** The export's name (`waterfall`, `journals`, ...): the worksheet's and the file's. */
  name: string;
  headers: string[];
  rows: Cell[][];
}

export const money = (amount: string, currency: string | null): MoneyCell => ({ money: amount, currency });
export const date = (text: string | null): DateCell | null => (text === null ? null : { date: text });
export const isMoney = (c: Cell): c is MoneyCell => typeof c === 'object' && c !== null && 'money' in c;
export const isDate = (c: Cell): c is DateCell => typeof c === 'object' && c !== null && 'date' in c;

/** One row per currency and SKU, a column per period, then a total row per currency. */
export function waterfallTable(w: RevenueWaterfall): Table {
  const rows: Cell[][] = [];
  for (const c of w.currencies) {
    for (const r of c.rows) {
      rows.push([
        w.legalEntity,
        c.currency,
        r.sku,
        r.obligations,
        ...r.periods.map((p) => money(p.amount, c.currency)),
        money(r.total, c.currency),
      ]);
    }
    rows.push([
      w.legalEntity,
      c.currency,
      'TOTAL',
      null,
      ...c.totals.map((p) => money(p.amount, c.currency)),
      money(c.total, c.currency),
    ]);
  }
  return { name: 'waterfall', headers: ['legalEntity', 'currency', 'sku', 'obligations', ...w.periods, 'total'], rows };
}

/** One row per currency and side: deferred revenue, contract asset, and their net. */
export function rollforwardTable(r: DeferredRevenueRollforward): Table {
  const rows: Cell[][] = [];
  const sides = ['deferredRevenue', 'contractAsset', 'net'] as const;
  for (const c of r.currencies) {
    for (const side of sides) {
      const s: RollforwardSection = c[side];
      const m = (amount: string) => money(amount, c.currency);
      rows.push([
        r.legalEntity,
        r.period,
        c.currency,
        side,
        c.contracts,
        m(s.opening),
        m(s.billed),
        m(s.recognised),
        m(s.reclassified),
        m(s.closing),
        s.ties,
      ]);
    }
  }
  const headers = ['legalEntity', 'period', 'currency', 'side', 'contracts', 'opening', 'billed', 'recognised'];
  return { name: 'rollforward', headers: [...headers, 'reclassified', 'closing', 'ties'], rows };
}

/** Per account and currency: journaled, posted and refused through the period (debit positive). */
export function reconciliationTable(r: Reconciliation): Table {
  return {
    name: 'reconciliation',
    headers: ['legalEntity', 'period', 'account', 'currency', 'journaled', 'posted', 'rejected'],
    rows: r.accounts.map((a) => [
      r.legalEntity,
      r.period,
      a.account,
      a.currency,
      money(a.journaled, a.currency),
      money(a.posted, a.currency),
      money(a.rejected, a.currency),
    ]),
  };
}

/** Per contract: billed, recognised, journaled, posted, refused, and its breaks; contracts with breaks first. */
export function reconciliationContractsTable(r: Reconciliation): Table {
  const ordered = [...r.contracts].sort(
    (a, b) => Number(b.breaks.length > 0) - Number(a.breaks.length > 0) || a.contractId.localeCompare(b.contractId),
  );
  return {
    name: 'reconciliation-contracts',
    headers: [
      'legalEntity',
      'period',
      'contractId',
      'currency',
      'billed',
      'recognised',
      'journaledBilled',
      'postedBilled',
      'journaled',
      'posted',
      'rejected',
      'breaks',
    ],
    rows: ordered.map((c) => {
      const m = (amount: string | null) => (amount === null ? null : money(amount, c.currency));
      return [
        r.legalEntity,
        r.period,
        c.contractId,
        c.currency,
        m(c.billed),
        m(c.recognised),
        m(c.journaledBilled),
        m(c.postedBilled),
        m(c.journaled),
        m(c.posted),
        m(c.rejected),
        c.breaks.map((b) => `${b.code} ${b.amount}`).join('; '),
      ];
    }),
  };
}

/** A journal of a period as the posting-status read model holds it, with the contract whose stream holds it. */
export interface PeriodJournal {
  contractId: string;
  journal: PostingJournal;
}

export function journalsTable(journals: readonly PeriodJournal[]): Table {
  return {
    name: 'journals',
    headers: [
      'journalId',
      'contractId',
      'legalEntity',
      'period',
      'through',
      'date',
      'status',
      'currency',
      'debit',
      'credit',
      'revenue',
      'erpDocumentId',
      'connector',
      'rejectionCode',
      'rejectionMessage',
      'supersedes',
      'supersededBy',
      'preparedAt',
    ],
    rows: journals.map(({ contractId, journal: j }) => [
      j.journalId,
      contractId,
      j.legalEntity,
      j.period,
      j.through,
      date(j.date),
      j.status,
      j.currency,
      money(j.debit, j.currency),
      money(j.credit, j.currency),
      money(j.revenue, j.currency),
      j.erpDocumentId,
      j.connector,
      j.rejection?.code ?? null,
      j.rejection?.message ?? null,
      j.supersedes,
      j.supersededBy,
      date(j.preparedAt),
    ]),
  };
}

/** One row per period and obligation of a contract's revenue schedule, with the period's total and cumulative. */
export function scheduleTable(contractId: string, s: ScheduleView): Table {
  const skus = new Map(s.obligations.map((o) => [o.obligation, o.sku]));
  const rows: Cell[][] = [];
  for (const p of s.periods) {
    for (const o of p.obligations) {
      rows.push([
        contractId,
        s.currency,
        p.period,
        o.obligation,
        skus.get(o.obligation) ?? null,
        money(o.amount, s.currency),
        money(p.total, s.currency),
        money(p.cumulative, s.currency),
      ]);
    }
  }
  return {
    name: 'schedule',
    headers: ['contractId', 'currency', 'period', 'obligation', 'sku', 'amount', 'periodTotal', 'cumulative'],
    rows,
  };
}

export function exceptionsTable(items: readonly ExceptionView[]): Table {
  return {
    name: 'exceptions',
    headers: [
      'id',
      'kind',
      'code',
      'status',
      'contractId',
      'legalEntity',
      'currency',
      'amount',
      'firstSeen',
      'ageHours',
      'slaDueAt',
      'overdue',
      'owner',
      'message',
    ],
    rows: items.map((x) => [
      x.id,
      x.kind,
      x.code,
      x.status,
      x.contractId,
      x.legalEntity,
      x.currency,
      money(x.amount, x.currency),
      date(x.firstSeen),
      x.ageHours,
      date(x.slaDueAt),
      x.overdue,
      x.owner,
      x.message,
    ]),
  };
}
