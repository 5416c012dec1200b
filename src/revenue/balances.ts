// Balances per period end (docs/accounting.md, "Balances"): billed and recognised to date, and the difference
// as deferred revenue (a contract liability, billed ahead of performance) or as a contract asset (performance ahead
// of billing) — ASC 606-10-45-1..4. Pure; money only through ./money.ts.
//
// A `separate` modification is a separate contract (ASC 606-10-25-12), presented apart too (45-1): its obligations
// carry a presentation group, bills are attributed to groups by their lines, and each group has its own position.
// The contract's deferred revenue is the sum of its groups' liabilities and its contract asset the sum of their
// assets: one group's asset never hides another's liability.
import type { Schedule } from './types.js';
import { monthOf, monthsBetween } from './calendar.js';
import type { Dec, Minor } from './money.js';
import { ZERO, dec, formatUnits, minusMinor, plus, plusMinor, toUnits, unitScale, unitsOfText } from './money.js';

export interface BillingEntry {
  /** YYYY-MM-DD */
  date: string;
  /** Signed: invoices positive (excluding tax), credit memos negative. */
  amount: string;
  eventId: string;
  /**
   * Signed amount per presentation group ("0" the original contract, else the version of a separate modification),
   * by the bill's lines; present only on a contract with a separate modification.
   */
  groups?: { [group: string]: string };
}

/** The presentation group of each obligation (line id to group key); null when the contract is a single group. */
export function presentationGroups(schedule: Schedule): Map<string, string> | null {
  if (!schedule.obligations.some((o) => o.group !== undefined)) return null;
  return new Map(schedule.obligations.map((o) => [o.lineId, String(o.group ?? 0)]));
}

/** Signed amounts per presentation group of a bill's lines (an unknown line counts in the original contract). */
export function billedByGroup(
  groups: ReadonlyMap<string, string>,
  lines: readonly { lineId: string; amount: string }[],
  sign: 1 | -1,
): { [group: string]: string } {
  const sums = new Map<string, Dec>();
  for (const l of lines) {
    const g = groups.get(l.lineId) ?? '0';
    sums.set(g, plus(sums.get(g) ?? ZERO, dec(l.amount)));
  }
  const out: { [group: string]: string } = {};
  for (const g of [...sums.keys()].sort((a, b) => Number(a) - Number(b)))
    out[g] = (sign === 1 ? sums.get(g)! : sums.get(g)!.neg()).toFixed();
  return out;
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
  const bills = billing.map((b) => ({ month: monthOf(b.date), amount: dec(b.amount), groups: b.groups }));
  const groupOf = presentationGroups(schedule);
  const scale = unitScale(
    [
      ...bills.map((b) => b.amount),
      ...(groupOf ? bills.flatMap((b) => Object.values(b.groups ?? {}).map((a) => dec(a))) : []),
    ],
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
  const position = groupOf === null ? undefined : groupPositions(schedule, bills, groupOf, scale);
  return monthsBetween(months[0]!, months[months.length - 1]!).map((period) => {
    const billed = billedIn.get(period);
    const recognised = recognisedIn.get(period);
    const groupsAt = position?.(period);
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
      if (groupsAt === undefined) {
        const ahead = minusMinor(billedToDate, recognisedToDate);
        deferred = ahead > 0n ? spell(ahead) : zero;
        asset = ahead < 0n ? spell(minusMinor(0n, ahead)) : zero;
      } else {
        const [liability, contractAsset] = groupsAt;
        deferred = spell(liability);
        asset = spell(contractAsset);
      }
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

/**
 * Per presentation group, billed and recognised to date; the returned function, called with the periods in order,
 * gives at each period end the sum of the groups' liabilities and the sum of their assets (in units of `scale`).
 */
function groupPositions(
  schedule: Schedule,
  bills: readonly { month: string; amount: Dec; groups: { [group: string]: string } | undefined }[],
  groupOf: ReadonlyMap<string, string>,
  scale: number,
): (period: string) => [Minor, Minor] {
  const billedIn = new Map<string, Map<string, Minor>>();
  for (const b of bills) {
    const row = billedIn.get(b.month) ?? new Map<string, Minor>();
    const parts = b.groups ?? { '0': b.amount.toFixed() };
    for (const [g, amount] of Object.entries(parts))
      row.set(g, plusMinor(row.get(g) ?? 0n, toUnits(dec(amount), scale)));
    billedIn.set(b.month, row);
  }
  const recognisedIn = new Map(schedule.periods.map((p) => [p.period, p.lines]));
  const billed = new Map<string, Minor>();
  const recognised = new Map<string, Minor>();
  return (period) => {
    for (const [g, amount] of billedIn.get(period) ?? []) billed.set(g, plusMinor(billed.get(g) ?? 0n, amount));
    for (const [lineId, amount] of Object.entries(recognisedIn.get(period) ?? {})) {
      const g = groupOf.get(lineId) ?? '0';
      recognised.set(g, plusMinor(recognised.get(g) ?? 0n, unitsOfText(amount, scale)));
    }
    let liability = 0n;
    let asset = 0n;
    for (const g of new Set([...billed.keys(), ...recognised.keys()])) {
      const ahead = minusMinor(billed.get(g) ?? 0n, recognised.get(g) ?? 0n);
      if (ahead > 0n) liability = plusMinor(liability, ahead);
      else asset = plusMinor(asset, minusMinor(0n, ahead));
    }
    return [liability, asset];
  };
}
