// The exchange rates a generated company with cross-border sales needs (rates.crossBorder in ./company.ts), as a rate
// source would publish them (FxRatesPublished, docs/accounting.md "Foreign currency"): USD->EUR spot on every
// business day, for the invoices DE01 issues in USD, and each month's average and closing, for its revenue recognised
// before billing; and every entity's currency to the group's USD at each month's average and closing, for the group
// view. The figures follow a smooth deterministic path (no randomness: the same dates give the same rates), wide
// enough that translation and rounding are exercised, not a forecast.
import { Decimal } from 'decimal.js';
import type { FxRatesPublished } from '../../schemas/index.js';

const DAY = 86_400_000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** 1 USD in EUR on a day: 0.92 give or take 0.03 over a season. */
function usdEur(dayNumber: number): Decimal {
  return new Decimal(0.92).plus(new Decimal(0.03).mul(Math.sin(dayNumber / 45))).toDecimalPlaces(4);
}

/** 1 unit of each entity currency in USD, around the indicative rates of the price book. */
const TO_USD: Readonly<Record<string, (dayNumber: number) => Decimal>> = {
  EUR: (d) => new Decimal(1).div(usdEur(d)).toDecimalPlaces(6),
  JPY: (d) => new Decimal(0.0067).plus(new Decimal(0.0002).mul(Math.cos(d / 60))).toDecimalPlaces(6),
  BHD: () => new Decimal('2.659574'),
};

const rate = (
  base: string,
  quote: string,
  rateType: 'spot' | 'average' | 'closing',
  rateDate: string,
  value: Decimal,
): FxRatesPublished => ({
  type: 'FxRatesPublished',
  source: { system: 'ecb', id: `${base}${quote}-${rateType}-${rateDate}`, version: 1 },
  occurredAt: `${rateDate}T16:00:00Z`,
  data: { rateDate, base, quote, rate: value.toFixed(), rateType },
});

/**
 * The rates from `from` (YYYY-MM-DD, a week early so the first invoice finds a spot rate) for `months` months, in
 * date order: spot on weekdays, then each month's average (of its weekdays) and closing (its last weekday's).
 */
export function* generateRates(from: string, months: number): Generator<FxRatesPublished, void, undefined> {
  const start = Date.parse(`${from}T00:00:00Z`) - 7 * DAY;
  const end = Date.UTC(Number(from.slice(0, 4)), Number(from.slice(5, 7)) - 1 + months, 1);
  let monthDays: number[] = [];
  for (let ms = start; ms < end; ms += DAY) {
    const day = Math.floor(ms / DAY);
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      yield rate('USD', 'EUR', 'spot', isoDay(ms), usdEur(day));
      monthDays.push(day);
    }
    const lastOfMonth = new Date(ms + DAY).getUTCDate() === 1;
    if (lastOfMonth && monthDays.length > 0) {
      const date = isoDay(ms);
      const close = monthDays.at(-1)!;
      const mean = (f: (d: number) => Decimal) =>
        monthDays
          .reduce((s, d) => s.plus(f(d)), new Decimal(0))
          .div(monthDays.length)
          .toDecimalPlaces(6);
      yield rate('USD', 'EUR', 'average', date, mean(usdEur));
      yield rate('USD', 'EUR', 'closing', date, usdEur(close));
      for (const [currency, toUsd] of Object.entries(TO_USD)) {
        yield rate(currency, 'USD', 'average', date, mean(toUsd));
        yield rate(currency, 'USD', 'closing', date, toUsd(close));
      }
      monthDays = [];
    }
  }
}
