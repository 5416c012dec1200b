// The group view (docs/accounting.md, "Foreign currency"): every legal entity's revenue and deferred revenue, each
// first in its functional currency (src/audit/functional.ts), then translated to the group's reporting currency as
// IAS 21.39 / ASC 830-30-45 translate a foreign operation: income and movements at the period's average rate,
// balances at the closing rate. What the two rates make differ is the translation difference (other comprehensive
// income), shown as its own line so that opening + movements + translation difference = closing, to the cent.
import type { Dec } from '../revenue/index.js';
import { ZERO, dec, formatMoney, minus, monthsBetween, plus, previousMonth } from '../revenue/index.js';
import type { FxRate, MissingRate, RateBook } from '../revenue/fx.js';
import { isMissing } from '../revenue/fx.js';
import { postingMappings } from '../posting/index.js';
import type { PostingMappings } from '../posting/index.js';
import { schedulesOf } from './reports.js';
import type { AuditDeps, GroupEntity, GroupEntityPeriod, GroupPeriodTotal, GroupReport } from './types.js';

/** An entity's functional-currency figures of one period: movements in it and the net position at its end. */
interface Movements {
  revenue: Dec;
  billed: Dec;
  exchangeDifference: Dec;
  /** Deferred revenue − contract asset at the period end (a liability, positive). */
  closing: Dec;
}

/** An entity's movements per period from `from` to `to`, and its net position before `from`, in its currency. */
async function movementsOf(deps: AuditDeps, mappings: PostingMappings, legalEntity: string, from: string, to: string) {
  const { docs, untranslated } = await schedulesOf(deps, legalEntity, 'functional', to, mappings);
  const periods = monthsBetween(from, to);
  const netAt = (period: string) =>
    docs.reduce((sum, doc) => {
      const b = doc.balances.filter((x) => x.period <= period).at(-1);
      return b ? plus(sum, minus(dec(b.deferredRevenue), dec(b.contractAsset))) : sum;
    }, ZERO);
  const byPeriod = new Map<string, Movements>();
  for (const period of periods) {
    let m: Movements = { revenue: ZERO, billed: ZERO, exchangeDifference: ZERO, closing: netAt(period) };
    for (const doc of docs) {
      const b = doc.balances.find((x) => x.period === period);
      if (!b) continue;
      m = {
        ...m,
        revenue: plus(m.revenue, dec(b.recognised)),
        billed: plus(m.billed, dec(b.billed)),
        exchangeDifference: plus(m.exchangeDifference, dec((b.exchangeDifference as string | undefined) ?? '0')),
      };
    }
    byPeriod.set(period, m);
  }
  return { opening: netAt(previousMonth(from)), byPeriod, untranslated };
}

/** The rate from `functional` to `reporting` of a type and period: 1 for the same currency. */
function rateFor(
  rates: RateBook,
  kind: 'average' | 'closing',
  functional: string,
  reporting: string,
  period: string,
): FxRate | MissingRate | null {
  if (functional === reporting) return null;
  return kind === 'average'
    ? rates.average(functional, reporting, period)
    : rates.closing(functional, reporting, period);
}

/** One entity's periods in the reporting currency, carrying the closing of each into the opening of the next. */
function translateEntity(
  functionalCurrency: string,
  reporting: string,
  rates: RateBook,
  from: string,
  movements: Awaited<ReturnType<typeof movementsOf>>,
): GroupEntityPeriod[] {
  const inReporting = (amount: Dec, rate: FxRate | MissingRate | null) =>
    rate === null ? amount : dec(formatMoney(amount.mul(dec((rate as FxRate).rate)), reporting));
  const fmtF = (d: Dec) => formatMoney(d, functionalCurrency);
  const fmtR = (d: Dec) => formatMoney(d, reporting);
  const openingRate = rateFor(rates, 'closing', functionalCurrency, reporting, previousMonth(from));
  let openingF = movements.opening;
  // Nothing open before the range needs no rate to translate it.
  const openingMissing = openingRate !== null && isMissing(openingRate) && !openingF.isZero();
  let opening: Dec | null = openingMissing ? null : openingF.isZero() ? ZERO : inReporting(openingF, openingRate);
  let missingOpening = openingMissing ? openingRate.message : null;
  const out: GroupEntityPeriod[] = [];
  for (const [period, m] of movements.byPeriod) {
    const average = rateFor(rates, 'average', functionalCurrency, reporting, period);
    const closingRate = rateFor(rates, 'closing', functionalCurrency, reporting, period);
    const missing = [missingOpening, average, closingRate]
      .map((r) => (typeof r === 'string' ? r : r && isMissing(r) ? r.message : null))
      .filter((x): x is string => x !== null);
    const figures =
      missing.length > 0 || opening === null
        ? null
        : (() => {
            const revenue = inReporting(m.revenue, average);
            const billed = inReporting(m.billed, average);
            const exchangeDifference = inReporting(m.exchangeDifference, average);
            const closing = inReporting(m.closing, closingRate);
            // opening + billed − revenue + exchange difference + translation difference = closing
            const moved = plus(minus(billed, revenue), exchangeDifference);
            return { revenue, billed, exchangeDifference, closing, translation: minus(closing, plus(opening, moved)) };
          })();
    out.push({
      period,
      averageRate: average && !isMissing(average) ? average.rate : null,
      closingRate: closingRate && !isMissing(closingRate) ? closingRate.rate : null,
      functional: {
        opening: fmtF(openingF),
        billed: fmtF(m.billed),
        revenue: fmtF(m.revenue),
        exchangeDifference: fmtF(m.exchangeDifference),
        closing: fmtF(m.closing),
      },
      reporting: figures && {
        opening: fmtR(opening!),
        billed: fmtR(figures.billed),
        revenue: fmtR(figures.revenue),
        exchangeDifference: fmtR(figures.exchangeDifference),
        translationDifference: fmtR(figures.translation),
        closing: fmtR(figures.closing),
      },
      missingRates: missing,
    });
    openingF = m.closing;
    opening = figures ? figures.closing : null;
    missingOpening = figures
      ? null
      : `the opening of ${period} is not translated (a rate of the period before is missing)`;
  }
  return out;
}

/**
 * Every legal entity with a functional currency, from `from` to `to`, in its functional currency and translated to
 * `reportingCurrency`; with the group's totals per period, complete only when no entity lacks a rate.
 */
export async function groupReport(
  deps: AuditDeps,
  reportingCurrency: string,
  from: string,
  to: string,
): Promise<GroupReport> {
  const mappings = await postingMappings(deps.store);
  const entities: GroupEntity[] = [];
  for (const [legalEntity, functionalCurrency] of [...mappings.entityCurrencies].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const movements = await movementsOf(deps, mappings, legalEntity, from, to);
    const periods = translateEntity(functionalCurrency, reportingCurrency, mappings.rates, from, movements);
    entities.push({ legalEntity, functionalCurrency, periods, untranslated: movements.untranslated });
  }
  const totals: GroupPeriodTotal[] = monthsBetween(from, to).map((period, i) => {
    const rows = entities.map((e) => e.periods[i]!);
    const sum = (pick: (r: NonNullable<GroupEntityPeriod['reporting']>) => string) =>
      formatMoney(
        rows.reduce((s, r) => (r.reporting ? plus(s, dec(pick(r.reporting))) : s), ZERO),
        reportingCurrency,
      );
    return {
      period,
      complete: rows.every((r) => r.reporting !== null) && entities.every((e) => e.untranslated.length === 0),
      revenue: sum((r) => r.revenue),
      billed: sum((r) => r.billed),
      exchangeDifference: sum((r) => r.exchangeDifference),
      translationDifference: sum((r) => r.translationDifference),
      opening: sum((r) => r.opening),
      closing: sum((r) => r.closing),
    };
  });
  return { reportingCurrency, from, to, periods: monthsBetween(from, to), entities, totals };
}
