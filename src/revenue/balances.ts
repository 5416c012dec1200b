// Balances per period end (DESIGN.md "Balances per contract"): billed and recognised to date, and the difference
// as deferred revenue (a contract liability, billed ahead of performance) or as a contract asset (performance ahead
// of billing) — ASC 606-10-45-1..4. Pure; money only through ./money.ts.
import type { Schedule } from './engine.js';
import { monthOf, monthsBetween } from './calendar.js';
import type { Minor } from './money.js';
import { dec, formatUnits, minusMinor, plusMinor, toUnits, unitScale, unitsOfText } from './money.js';

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
  // Counted exactly in units of the finest digit any bill has (the minor unit, unless a bill has more digits), and
  // spelled rounded to the minor unit.
  const bills = billing.map((b) => ({ month: monthOf(b.date), amount: dec(b.amount) }));
  const scale = unitScale(
    bills.map((b) => b.amount),
    currency,
  );
  const spell = (units: Minor): string => formatUnits(units, scale, currency);
  const billedIn = new Map<string, Minor>();
  for (const b of bills) billedIn.set(b.month, plusMinor(billedIn.get(b.month) ?? 0n, toUnits(b.amount, scale)));
  // Each period's total and the cumulative total through it, as the schedule spells them (in minor units).
  const recognisedIn = new Map(schedule.periods.map((p) => [p.period, p]));
  const months = [...billedIn.keys(), ...recognisedIn.keys()].sort();
  if (months.length === 0) return [];
  const zero = spell(0n);
  let billedToDate = 0n;
  let recognisedToDate = 0n;
  // Most months change one side or neither: amounts are spelled only when they change.
  let billedText = zero;
  let recognisedText = zero;
  let deferred = zero;
  let asset = zero;
  return monthsBetween(months[0]!, months[months.length - 1]!).map((period) => {
    const billed = billedIn.get(period);
    const recognised = recognisedIn.get(period);
    if (billed !== undefined) {
      billedToDate = plusMinor(billedToDate, billed);
      billedText = spell(billedToDate);
    }
    if (recognised !== undefined) {
      recognisedToDate = unitsOfText(recognised.cumulative, scale);
      recognisedText = recognised.cumulative;
    }
    if (billed !== undefined || recognised !== undefined) {
      // Billed ahead of performance is deferred revenue, performance ahead of billing a contract asset.
      const ahead = minusMinor(billedToDate, recognisedToDate);
      deferred = ahead > 0n ? spell(ahead) : zero;
      asset = ahead < 0n ? spell(minusMinor(0n, ahead)) : zero;
    }
    return {
      period,
      billed: billed === undefined ? zero : spell(billed),
      recognised: recognised === undefined ? zero : recognised.total,
      billedToDate: billedText,
      recognisedToDate: recognisedText,
      deferredRevenue: deferred,
      contractAsset: asset,
    };
  });
}
