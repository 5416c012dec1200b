// Money: the one module that does arithmetic on amounts (STYLE.md). decimal.js only, never JS numbers; rounding is
// ROUND_HALF_UP to the currency's ISO 4217 minor unit everywhere (DESIGN.md "Revenue engine").
import { Decimal } from 'decimal.js';
import { minorUnits } from '../../schemas/primitives.js';

/** A private decimal.js constructor: enough precision that only the explicit rounding to minor units ever rounds. */
export const Dec = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

export const ZERO: Dec = new Dec(0);

export function dec(value: string | Dec): Dec {
  return new Dec(value);
}

/** Rounds to the currency's minor unit, half up. */
export function roundMoney(value: Dec, currency: string): Dec {
  return value.toDecimalPlaces(minorUnits(currency), Dec.ROUND_HALF_UP);
}

/** The decimal string of an amount, with exactly the currency's minor-unit digits ("1200.00", "5.000", "300"). */
export function formatMoney(value: Dec, currency: string): string {
  return roundMoney(value, currency).toFixed(minorUnits(currency));
}

export function sumMoney(values: readonly Dec[]): Dec {
  return values.reduce((a, b) => a.plus(b), ZERO);
}

/**
 * Splits `total` in proportion to `weights`, in whole minor units, so the parts sum to `total` exactly: each part
 * gets the floor of its exact share, then the units left over go one each to the largest remainders; equal
 * remainders go in input order. Zero total weight falls back to equal weights. A negative total is split as the
 * negation of its absolute value, so the same rule holds for reductions.
 */
export function allocateLargestRemainder(total: Dec, weights: readonly Dec[], currency: string): Dec[] {
  if (weights.length === 0) return [];
  if (total.isNegative()) return allocateLargestRemainder(total.neg(), weights, currency).map((d) => d.neg());
  if (weights.some((w) => w.isNegative())) throw new Error('allocation weights must not be negative');
  const sumW = sumMoney(weights);
  const ws = sumW.isZero() ? weights.map(() => new Dec(1)) : weights;
  const W = sumW.isZero() ? new Dec(weights.length) : sumW;
  const scale = new Dec(10).pow(minorUnits(currency));
  const units = roundMoney(total, currency).mul(scale);
  const exact = ws.map((w) => units.mul(w).div(W));
  const floors = exact.map((e) => e.floor());
  let left = units.minus(sumMoney(floors)).toNumber(); // a count of minor units, not money: < weights.length
  const order = exact
    .map((e, i) => ({ i, rem: e.minus(floors[i] ?? ZERO) }))
    .sort((a, b) => b.rem.comparedTo(a.rem) || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i] = (floors[i] ?? ZERO).plus(1);
    left -= 1;
  }
  return floors.map((f) => f.div(scale));
}
