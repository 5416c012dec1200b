// The foreign-currency translation policy (src/revenue/fx.ts, docs/accounting.md "Foreign currency"): the worked
// examples in test/fixtures/fx, each computed by hand in its `notes`, reproduced to the cent; which published rate
// counts as a date's spot and a period's average; and that a missing rate is never replaced by another.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateBook, SPOT_LOOKBACK_DAYS, isMissing, translate } from '../../src/revenue/fx.js';
import type { FxAmount, FxBill, FxRate, FxRecognition, Translation } from '../../src/revenue/fx.js';
import { dec, formatMoney, minus, monthsBetween, sumMoney } from '../../src/revenue/index.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fx');

interface Example {
  name: string;
  notes: string[];
  transactionCurrency: string;
  functionalCurrency: string;
  rates: FxRate[];
  bills: FxBill[];
  recognition: FxRecognition[];
  expected: Record<string, Record<string, string>>;
}

const total = (xs: readonly FxAmount[]) => formatMoney(sumMoney(xs.map((x) => x.functional)), 'EUR');

function balances(t: Translation): Record<string, string> {
  return {
    receivable: total(t.receivable),
    revenue: total([...t.revenue.values()].flat()),
    deferredRevenue: total(t.deferredRevenue),
    contractAsset: total(t.contractAsset),
    exchangeDifference: formatMoney(t.exchangeDifference, 'EUR'),
  };
}

function through(example: Example, period: string): Translation {
  const outcome = translate({ ...example, through: period, rates: new RateBook(example.rates) });
  if ('missing' in outcome) throw new Error(outcome.missing.message);
  return outcome.translation;
}

const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('worked foreign-currency examples reproduce every hand-computed amount to the cent', () => {
  it('finds the examples (a) to (d) and the rounding case', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });
  for (const file of files) {
    const example = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Example;
    it(`${file}: ${example.name}`, () => {
      const periods = Object.keys(example.expected).sort();
      let before = '0.00';
      for (const period of monthsBetween('2026-01', periods.at(-1)!)) {
        const b = balances(through(example, period));
        const expected = example.expected[period];
        if (expected) {
          const { revenueInPeriod, ...rest } = expected;
          expect({ period, ...b }).toMatchObject({ period, ...rest });
          const inPeriod = formatMoney(minus(dec(b.revenue!), dec(before)), 'EUR');
          if (revenueInPeriod !== undefined)
            expect({ period, inPeriod }).toEqual({ period, inPeriod: revenueInPeriod });
        }
        before = b.revenue!;
      }
    });
  }
});

const rate = (rateType: FxRate['rateType'], rateDate: string, value: string): FxRate => ({
  base: 'USD',
  quote: 'EUR',
  rateType,
  rateDate,
  rate: value,
  eventId: `${rateType}-${rateDate}-${value}`,
});

describe('which published rate is the spot rate of a date and the average of a period', () => {
  it('the spot rate of a date is the spot published for that date', () => {
    const book = new RateBook([rate('spot', '2026-01-14', '0.91'), rate('spot', '2026-01-15', '0.92')]);
    expect(book.spot('USD', 'EUR', '2026-01-15')).toMatchObject({ rate: '0.92', rateDate: '2026-01-15' });
  });

  it(`without one, it is the latest spot of the ${SPOT_LOOKBACK_DAYS} days up to the date (a Saturday takes Friday's)`, () => {
    const book = new RateBook([rate('spot', '2026-01-08', '0.90'), rate('spot', '2026-01-09', '0.91')]);
    expect(book.spot('USD', 'EUR', '2026-01-10')).toMatchObject({ rate: '0.91', rateDate: '2026-01-09' });
    expect(book.spot('USD', 'EUR', '2026-01-15')).toMatchObject({ rate: '0.91', rateDate: '2026-01-09' });
  });

  it('a spot older than the look-back, a later one, an inverse pair or another type is missing, never used', () => {
    const book = new RateBook([
      rate('spot', '2026-01-01', '0.90'),
      rate('spot', '2026-01-20', '0.95'),
      rate('average', '2026-01-10', '0.93'),
      { ...rate('spot', '2026-01-10', '1.10'), base: 'EUR', quote: 'USD' },
    ]);
    const missing = book.spot('USD', 'EUR', '2026-01-10');
    expect(isMissing(missing)).toBe(true);
    expect(missing).toMatchObject({ base: 'USD', quote: 'EUR', rateType: 'spot', needed: '2026-01-10' });
    expect((missing as { message: string }).message).toContain('USD/EUR');
  });

  it('a later publication for the same pair, type and date corrects the earlier one', () => {
    const book = new RateBook([rate('spot', '2026-01-15', '0.92'), rate('spot', '2026-01-15', '0.921')]);
    expect(book.spot('USD', 'EUR', '2026-01-15')).toMatchObject({ rate: '0.921' });
  });

  it("the average of a period is the average dated inside it; another month's is missing", () => {
    const book = new RateBook([rate('average', '2026-01-31', '0.92'), rate('spot', '2026-02-10', '0.9')]);
    expect(book.average('USD', 'EUR', '2026-01')).toMatchObject({ rate: '0.92' });
    expect(book.average('USD', 'EUR', '2026-02')).toMatchObject({ rateType: 'average', needed: '2026-02' });
  });
});

describe('a missing rate blocks the translation', () => {
  const bills: FxBill[] = [{ date: '2026-02-01', amount: '300.00', tax: '0.00', eventId: 'INV' }];
  const recognition: FxRecognition[] = [{ period: '2026-01', lineId: 'L1', amount: '300.00' }];
  const input = { transactionCurrency: 'USD', functionalCurrency: 'EUR', bills, recognition };

  it("revenue before billing needs its period's average and names it when it is missing", () => {
    const outcome = translate({ ...input, through: '2026-01', rates: new RateBook([]) });
    expect(outcome).toMatchObject({ missing: { rateType: 'average', needed: '2026-01', base: 'USD', quote: 'EUR' } });
  });

  it("billing needs the invoice date's spot rate, and posts once it is published", () => {
    const averageOnly = new RateBook([rate('average', '2026-01-31', '0.92')]);
    expect(translate({ ...input, through: '2026-02', rates: averageOnly })).toMatchObject({
      missing: { rateType: 'spot', needed: '2026-02-01' },
    });
    const withSpot = new RateBook([rate('average', '2026-01-31', '0.92'), rate('spot', '2026-02-01', '0.94')]);
    const outcome = translate({ ...input, through: '2026-02', rates: withSpot });
    expect('translation' in outcome && total(outcome.translation.receivable)).toBe('282.00');
  });

  it('what lies after the period translated needs no rate yet', () => {
    expect('translation' in translate({ ...input, through: '2025-12', rates: new RateBook([]) })).toBe(true);
  });
});

describe('rounding keeps a contract tied to the cent', () => {
  it('a billing released in any number of uneven parts releases exactly its functional amount', () => {
    const cents = fc.integer({ min: 1, max: 10_000_000 });
    fc.assert(
      fc.property(
        cents,
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 99_999 }),
        (billedCents, weights, rateUnits) => {
          // Split the billing in parts proportional to the weights, in whole cents, the last taking the rest.
          const total = weights.reduce((a, b) => a + b, 0);
          const parts = weights.map((w) => Math.floor((billedCents * w) / total));
          parts[parts.length - 1]! += billedCents - parts.reduce((a, b) => a + b, 0);
          const text = (c: number) => dec(String(c)).dividedBy(100).toFixed(2);
          const periods = monthsBetween('2026-01', '2027-12').slice(0, parts.length);
          const rates = new RateBook([rate('spot', '2026-01-01', dec(String(rateUnits)).dividedBy(10_000).toFixed())]);
          const outcome = translate({
            transactionCurrency: 'USD',
            functionalCurrency: 'EUR',
            bills: [{ date: '2026-01-01', amount: text(billedCents), tax: '0.00', eventId: 'INV' }],
            recognition: parts.map((p, i) => ({ period: periods[i]!, lineId: 'L1', amount: text(p) })),
            through: periods.at(-1)!,
            rates,
          });
          if (!('translation' in outcome)) return false;
          const b = balances(outcome.translation);
          return b.revenue === b.receivable && b.deferredRevenue === '0.00' && b.exchangeDifference === '0.00';
        },
      ),
      { numRuns: 300, seed: 830 },
    );
  });
});
