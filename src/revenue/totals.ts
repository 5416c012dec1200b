// Totals read from a computed schedule's monthly periods: revenue recognised through a month, revenue per year.
import type { Dec } from './money.js';
import { ZERO, dec, formatMoney, plus } from './money.js';
import type { Schedule } from './types.js';

/** Contract revenue recognised through the end of `period` (`YYYY-MM`). */
export function recognisedThrough(schedule: Schedule, period: string): string {
  let through: string | undefined;
  for (const month of schedule.periods) if (month.period <= period) through = month.cumulative;
  return through ?? formatMoney(ZERO, schedule.currency ?? 'USD');
}

/** Revenue per calendar year and line, summed from the monthly periods. */
export function revenueByYear(schedule: Schedule): Record<string, Record<string, string>> {
  const currency = schedule.currency ?? 'USD';
  const byYear = new Map<string, Map<string, Dec>>();
  for (const month of schedule.periods) {
    const year = month.period.slice(0, 4);
    const row = byYear.get(year) ?? new Map<string, Dec>();
    for (const [lineId, amount] of Object.entries(month.lines))
      row.set(lineId, plus(row.get(lineId) ?? ZERO, dec(amount)));
    byYear.set(year, row);
  }
  return Object.fromEntries(
    [...byYear].map(([year, row]) => [
      year,
      Object.fromEntries([...row].map(([lineId, amount]) => [lineId, formatMoney(amount, currency)])),
    ]),
  );
}
