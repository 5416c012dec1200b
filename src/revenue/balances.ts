// Balances per period end (DESIGN.md "Balances per contract"): billed and recognised to date, and the difference
// as deferred revenue (a contract liability, billed ahead of performance) or as a contract asset (performance ahead
// of billing) — ASC 606-10-45-1..4. Pure; money only through ./money.ts.
import type { Schedule } from './engine.js';
import { monthOf, monthsBetween } from './calendar.js';
import { ZERO, dec, formatMoney, minus, plus, sumMoney } from './money.js';
import type { Dec } from './money.js';

export interface BillingEntry {
  /** YYYY-MM-DD */
  date: string;
  /** Signed: invoices positive (excluding tax), credit memos negative. */
  amount: string;
  eventId: string;
}

export interface PeriodBalance {
  /** YYYY-MM */
  period: string;
  billed: string;
  recognised: string;
  billedToDate: string;
  recognisedToDate: string;
  deferredRevenue: string;
  contractAsset: string;
}

export function balancesOf(schedule: Schedule, billing: readonly BillingEntry[]): PeriodBalance[] {
  const currency = schedule.currency;
  if (currency === null) return [];
  const billedIn = new Map<string, Dec[]>();
  for (const b of billing) {
    const m = monthOf(b.date);
    billedIn.set(m, [...(billedIn.get(m) ?? []), dec(b.amount)]);
  }
  // Each period's total and the cumulative total through it, as the schedule spells them (in minor units).
  const recognisedIn = new Map(schedule.periods.map((p) => [p.period, p]));
  const months = [...billedIn.keys(), ...recognisedIn.keys()].sort();
  if (months.length === 0) return [];
  const zero = formatMoney(ZERO, currency);
  let billedToDate = ZERO;
  let recognisedToDate = ZERO;
  // Most months change one side or neither: amounts are formatted only when they change.
  let billedText = zero;
  let recognisedText = zero;
  let deferred = zero;
  let asset = zero;
  return monthsBetween(months[0]!, months[months.length - 1]!).map((period) => {
    const bills = billedIn.get(period);
    const billed = bills === undefined ? ZERO : sumMoney(bills);
    const recognised = recognisedIn.get(period);
    if (bills !== undefined) {
      billedToDate = plus(billedToDate, billed);
      billedText = formatMoney(billedToDate, currency);
    }
    if (recognised !== undefined) {
      recognisedToDate = dec(recognised.cumulative);
      recognisedText = recognised.cumulative;
    }
    if (bills !== undefined || recognised !== undefined) {
      // Billed ahead of performance is deferred revenue, performance ahead of billing a contract asset.
      const ahead = minus(billedToDate, recognisedToDate);
      deferred = ahead.gt(0) ? formatMoney(ahead, currency) : zero;
      asset = ahead.lt(0) ? formatMoney(ahead.neg(), currency) : zero;
    }
    return {
      period,
      billed: bills === undefined ? zero : formatMoney(billed, currency),
      recognised: recognised === undefined ? zero : recognised.total,
      billedToDate: billedText,
      recognisedToDate: recognisedText,
      deferredRevenue: deferred,
      contractAsset: asset,
    };
  });
}
