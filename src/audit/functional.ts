// The audit reports in a legal entity's functional currency (docs/accounting.md, "Foreign currency"). A contract in
// another currency is shown as its journals book it: its schedule document re-expressed period by period through the
// same translation the posting run uses (src/revenue/fx.ts), so the waterfall, the roll-forward and the
// reconciliation speak the currency of the ledger they reconcile with. A contract whose translation lacks a rate is
// not converted at some other rate: it is listed apart, untranslated, with the rate it waits for.
import type { RevenueScheduleDoc } from '../../projections/index.js';
import type { FxAmount, RateBook, Translation } from '../revenue/fx.js';
import { translate } from '../revenue/fx.js';
import type { Dec } from '../revenue/index.js';
import { ZERO, formatMoney, minus, plus } from '../revenue/index.js';
import type { UntranslatedContract } from './types.js';

/** Which currency a report speaks: the legal entity's functional currency (default) or each contract's own. */
export type ReportCurrency = 'functional' | 'transaction';

export type FunctionalDoc = { doc: RevenueScheduleDoc } | { untranslated: UntranslatedContract };

const sum = (amounts: readonly FxAmount[]): Dec => amounts.reduce((s, x) => plus(s, x.functional), ZERO);

/** What a translation through one month adds up to, cumulatively. */
interface Cumulative {
  billed: Dec;
  revenueByLine: Map<string, Dec>;
  recognised: Dec;
  deferredRevenue: Dec;
  contractAsset: Dec;
  exchangeDifference: Dec;
}

const NOTHING: Cumulative = {
  billed: ZERO,
  revenueByLine: new Map(),
  recognised: ZERO,
  deferredRevenue: ZERO,
  contractAsset: ZERO,
  exchangeDifference: ZERO,
};

function cumulativeOf(t: Translation): Cumulative {
  const revenueByLine = new Map([...t.revenue.entries()].map(([line, amounts]) => [line, sum(amounts)] as const));
  return {
    billed: minus(sum(t.receivable), sum(t.taxPayable)),
    revenueByLine,
    recognised: [...revenueByLine.values()].reduce((s, x) => plus(s, x), ZERO),
    deferredRevenue: sum(t.deferredRevenue),
    contractAsset: sum(t.contractAsset),
    exchangeDifference: t.exchangeDifference,
  };
}

/**
 * A contract's revenue-schedule document in `functionalCurrency` through the month `through` (what a report of that
 * month needs; a rate missing for a later month does not take it out of an earlier report): per period, the revenue
 * of each line and the balances (billed, recognised, deferred revenue, contract asset, and the exchange difference
 * the rates made) as the translation through that period gives them. A contract already in it, or without a
 * schedule, comes back as it is.
 */
export function inFunctionalCurrency(
  doc: RevenueScheduleDoc,
  functionalCurrency: string | undefined,
  rates: RateBook,
  through: string,
): FunctionalDoc {
  const schedule = doc.schedule;
  if (!schedule || schedule.currency === null || functionalCurrency === undefined) return { doc };
  const currency = schedule.currency;
  if (currency === functionalCurrency) return { doc };
  const months = [...new Set([...schedule.periods.map((p) => p.period), ...doc.balances.map((b) => b.period)])]
    .filter((period) => period <= through)
    .sort();
  const bills = doc.billing.map((b) => ({ date: b.date, amount: b.amount, tax: b.tax, eventId: b.eventId }));
  const recognition = schedule.periods.flatMap((p) =>
    Object.entries(p.lines).map(([lineId, amount]) => ({ period: p.period, lineId, amount })),
  );
  const money = (d: Dec) => formatMoney(d, functionalCurrency);
  const periods: (typeof schedule.periods)[number][] = [];
  const balances: RevenueScheduleDoc['balances'] = [];
  let before = NOTHING;
  for (const period of months) {
    const outcome = translate({
      transactionCurrency: currency,
      functionalCurrency,
      bills,
      recognition,
      through: period,
      rates,
    });
    if ('missing' in outcome)
      return {
        untranslated: { contractId: doc.contractId, currency, functionalCurrency, message: outcome.missing.message },
      };
    const now = cumulativeOf(outcome.translation);
    const original = schedule.periods.find((p) => p.period === period);
    if (original) {
      const revenueOf = (line: string) =>
        minus(now.revenueByLine.get(line) ?? ZERO, before.revenueByLine.get(line) ?? ZERO);
      const lines = Object.fromEntries(Object.keys(original.lines).map((line) => [line, money(revenueOf(line))]));
      const total = Object.keys(original.lines).reduce((s, line) => plus(s, revenueOf(line)), ZERO);
      periods.push({ ...original, lines, total: money(total), cumulative: money(now.recognised) });
    }
    balances.push({
      period,
      billed: money(minus(now.billed, before.billed)),
      recognised: money(minus(now.recognised, before.recognised)),
      billedToDate: money(now.billed),
      recognisedToDate: money(now.recognised),
      deferredRevenue: money(now.deferredRevenue),
      contractAsset: money(now.contractAsset),
      exchangeDifference: money(minus(now.exchangeDifference, before.exchangeDifference)),
    });
    before = now;
  }
  const translated = { ...schedule, currency: functionalCurrency, periods } as RevenueScheduleDoc['schedule'];
  return { doc: { ...doc, schedule: translated, balances } };
}

/** Billed to date through `through` as a (translated) document's balances say; zero before its first bill. */
export function billedToDate(doc: RevenueScheduleDoc, through: string, currency: string): string {
  const upTo = doc.balances.filter((b) => b.period <= through);
  return upTo.at(-1)?.billedToDate ?? formatMoney(ZERO, currency);
}
