// Whole minor units in the engine's month-by-month loop: every amount they give is the one decimal.js gives, and
// where the two could differ (an exact half of a minor unit) they give none and the engine asks decimal.js.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fractionOf, rationalOf } from '../../src/revenue/fraction.js';
import type { Dec } from '../../src/revenue/money.js';
import {
  dec,
  formatMinor,
  formatMoney,
  formatUnits,
  plus,
  roundMoney,
  share,
  shareMinor,
  toMinor,
  toUnits,
  unitScale,
} from '../../src/revenue/money.js';

const currencies = ['JPY', 'USD', 'BHD', 'CLF'] as const; // 0, 2, 3 and 4 minor-unit digits
const places = { JPY: 0, USD: 2, BHD: 3, CLF: 4 } as const;

/** The amount of `count` minor units, as a decimal. */
const amountOf = (count: bigint, currency: (typeof currencies)[number]): Dec =>
  dec(count.toString()).div(10 ** places[currency]);

/** What the engine's decimal arithmetic gives for `base + amount × n / d`, rounded, in minor units. */
const decimalShare = (base: bigint, amount: bigint, n: number, d: number, currency: (typeof currencies)[number]) => {
  const f = fractionOf({ n, d: 1 }, { n: d, d: 1 });
  const b = amountOf(base, currency);
  const a = amountOf(amount, currency);
  return toMinor(roundMoney(b.isZero() ? share(a, f) : plus(b, share(a, f)), currency), currency);
};

const currency = fc.constantFrom(...currencies);
const count = fc.oneof(fc.bigInt({ min: 0n, max: 10_000_000n }), fc.bigInt({ min: 0n, max: 10n ** 19n }));

describe('amounts in whole minor units', () => {
  it('given any amount in minor units, when it is spelled, then it reads as formatMoney spells the same decimal', () => {
    fc.assert(
      fc.property(
        currency,
        fc.oneof(
          count,
          count.map((c) => -c),
        ),
        (cur, c) => {
          const value = amountOf(c, cur);
          expect(toMinor(value, cur)).toBe(c);
          expect(formatMinor(c, cur)).toBe(formatMoney(value, cur));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('given an amount with more digits than the currency has, when it is counted in a finer unit and spelled, then it reads as formatMoney rounds it', () => {
    fc.assert(
      fc.property(currency, fc.integer({ min: 0, max: 4 }), count, fc.boolean(), (cur, extra, c, negative) => {
        const scale = places[cur] + extra;
        const value = dec((negative ? -c : c).toString()).div(10 ** scale);
        expect(unitScale([value], cur)).toBeLessThanOrEqual(scale);
        expect(formatUnits(toUnits(value, scale), scale, cur)).toBe(formatMoney(value, cur));
      }),
      { numRuns: 2000 },
    );
  });

  it('given an amount with more digits than the currency has, then it is not a count of minor units', () => {
    expect(toMinor(dec('1.005'), 'USD')).toBeUndefined();
    expect(toMinor(dec('1.5'), 'JPY')).toBeUndefined();
    expect(toMinor(dec('1.50'), 'JPY')).toBeUndefined();
    expect(toMinor(dec('1.000'), 'JPY')).toBe(1n);
  });

  it('given a base and a share n/d of an amount, then the rounded sum in minor units is the one decimal.js rounds, or none', () => {
    // Day counts, and the products of month weights (days covered / days in the month) that reach the billions.
    const quotient = fc
      .oneof(
        fc.tuple(fc.integer({ min: 1, max: 400_000 }), fc.integer({ min: 0, max: 400_000 })),
        fc.tuple(fc.integer({ min: 1, max: 9_999_999_999 }), fc.integer({ min: 0, max: 9_999_999_999 })),
      )
      .map(([d, n]) => ({ n: n % (d + 1), d }));
    fc.assert(
      fc.property(currency, count, count, quotient, (cur, base, amount, { n, d }) => {
        const exact = shareMinor(base, amount, BigInt(n), BigInt(d));
        const twiceRest = 2n * ((amount * BigInt(n)) % BigInt(d));
        if (twiceRest === BigInt(d)) expect(exact).toBeUndefined();
        else expect(exact).toBe(decimalShare(base, amount, n, d, cur));
      }),
      { numRuns: 3000 },
    );
  });

  it('given a share exactly half a minor unit off a whole one, then there is no exact answer: the decimal quotient decides', () => {
    // 21 cents × 5/14 is exactly 7.5 cents; 5/14 to 34 digits is a little less, and so is the product to 34 digits:
    // decimal.js rounds it down to 7 cents, where the exact quotient would round up to 8.
    expect(shareMinor(0n, 21n, 5n, 14n)).toBeUndefined();
    expect(decimalShare(0n, 21n, 5, 14, 'USD')).toBe(7n);
    // 3 cents × 1/6: 1/6 to 34 digits is a little more than 1/6, so 0.5 cents rounds up.
    expect(shareMinor(0n, 3n, 1n, 6n)).toBeUndefined();
    expect(decimalShare(0n, 3n, 1, 6, 'USD')).toBe(1n);
  });

  it('given a fraction of two calendar weights, then it carries the exact quotient it was divided from', () => {
    const f = fractionOf({ n: 31, d: 1 }, { n: 365, d: 1 });
    expect(rationalOf(f)).toEqual({ n: 31n, d: 365n });
    expect(rationalOf(dec('0.5'))).toBeUndefined();
  });

  it('given amounts beyond the sizes the proof covers, then there is no exact answer', () => {
    expect(shareMinor(10n ** 20n, 0n, 1n, 2n)).toBeUndefined();
    expect(shareMinor(0n, 1n, 1n, 10n ** 10n)).toBeUndefined();
    expect(shareMinor(-1n, 1n, 1n, 3n)).toBeUndefined();
  });
});
