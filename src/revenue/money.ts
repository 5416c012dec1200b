// Money: the one module that does arithmetic on amounts (STYLE.md). decimal.js only, never JS numbers; rounding is
// ROUND_HALF_UP to the currency's ISO 4217 minor unit everywhere (docs/accounting.md).
import { Decimal } from 'decimal.js';
import { minorUnits } from '../../schemas/primitives.js';

/** A private decimal.js constructor: enough precision that only the explicit rounding to minor units ever rounds. */
export const Dec = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;

export const ZERO: Dec = new Dec(0);

export function dec(value: string | Dec): Dec {
  return new Dec(value);
}

/** Rounds to the currency's minor unit, half up. */
export function roundMoney(value: Dec, currency: string): Dec {
  const places = minorUnits(currency);
  // Most amounts are already whole minor units (sums and differences of rounded amounts): their own rounding.
  return value.decimalPlaces() <= places ? value : value.toDecimalPlaces(places, Dec.ROUND_HALF_UP);
}

/**
 * The decimal string of an amount, with exactly the currency's minor-unit digits ("1200.00", "5.000", "300"); an
 * amount that rounds to zero is "0.00", never "-0.00".
 */
export function formatMoney(value: Dec, currency: string): string {
  const places = minorUnits(currency);
  if (value.isZero()) return ZERO_TEXT[places] ?? ZERO.toFixed(places);
  // Most amounts are already in minor units: spelled as they are and padded, without the rounded copy toFixed(places)
  // makes (a non-zero amount in minor units is never "-0").
  const dp = value.decimalPlaces();
  if (dp <= places) {
    const text = value.toFixed();
    return dp === places ? text : `${text}${dp === 0 ? '.' : ''}${'0'.repeat(places - dp)}`;
  }
  // toFixed rounds half up to the minor unit itself (one rounding, not two); only a negative amount can spell "-0".
  const text = value.toFixed(places, Dec.ROUND_HALF_UP);
  return text.charCodeAt(0) === 45 && NEGATIVE_ZERO.test(text) ? text.slice(1) : text;
}

const NEGATIVE_ZERO = /^-0(\.0*)?$/;
/** Zero spelled with 0 to 4 minor-unit digits. */
const ZERO_TEXT = [0, 1, 2, 3, 4].map((places) => ZERO.toFixed(places));

/**
 * A whole number of minor units (cents for USD, fils for KWD): the engine's month-by-month loop adds and subtracts
 * rounded amounts as exact integers (bigint, never number); every quotient is still a decimal.js one, or an exact
 * rational rounded as decimal.js would round it (`shareMinor`).
 */
export type Minor = bigint;

/** Sum of two counts of the same unit (minor units, or the finer unit of `toUnits`). */
export function plusMinor(a: Minor, b: Minor): Minor {
  return a + b;
}

/** Difference of two counts of the same unit. */
export function minusMinor(a: Minor, b: Minor): Minor {
  return a - b;
}

/** An amount that is a whole number of minor units, as that count; undefined when it is not one. */
export function toMinor(value: Dec, currency: string): Minor | undefined {
  const places = minorUnits(currency);
  return value.decimalPlaces() > places ? undefined : toUnits(value, places);
}

/**
 * A plain decimal string ("-12.5", "300") with at most `scale` digits after the point, as a count of 10^-scale
 * units: its digits without the point, padded.
 */
export function unitsOfText(text: string, scale: number): Minor {
  const point = text.indexOf('.');
  const dp = point < 0 ? 0 : text.length - point - 1;
  const digits = point < 0 ? text : text.slice(0, point) + text.slice(point + 1);
  return BigInt(dp === scale ? digits : digits + '0'.repeat(scale - dp));
}

/** The fewest digits after the point that count every one of `amounts` exactly, and at least the minor unit's. */
export function unitScale(amounts: readonly Dec[], currency: string): number {
  return amounts.reduce((scale, a) => Math.max(scale, a.decimalPlaces()), minorUnits(currency));
}

/** An amount with at most `scale` digits after the point, as a count of 10^-scale units. */
export function toUnits(value: Dec, scale: number): Minor {
  // toFixed() spells the amount's own digits, without rounding and without an exponent.
  return unitsOfText(value.toFixed(), scale);
}

/** `formatMoney` of a count of 10^-scale units (scale >= the minor unit): rounded half up to the minor unit. */
export function formatUnits(units: Minor, scale: number, currency: string): string {
  const extra = scale - minorUnits(currency);
  if (extra === 0) return formatMinor(units, currency);
  const unit = 10n ** BigInt(extra);
  const magnitude = units < 0n ? -units : units;
  const rounded = magnitude / unit + (2n * (magnitude % unit) >= unit ? 1n : 0n);
  return formatMinor(units < 0n ? -rounded : rounded, currency);
}

/** `formatMoney` of a count of minor units: the same string for the same amount. */
export function formatMinor(value: Minor, currency: string): string {
  const places = minorUnits(currency);
  if (places === 0) return value.toString();
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(places + 1, '0');
  const point = digits.length - places;
  return `${negative ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Sizes within which `shareMinor` proves its answer equal to decimal.js's (see there). */
const SHARE_MINOR_LIMIT = 10n ** 20n;
const SHARE_DIVISOR_LIMIT = 10n ** 10n;

/**
 * `base + amount × n / d` rounded half up to a whole number of minor units, for non-negative counts and 0 <= n <= d:
 * the amount `roundMoney(plus(base, share(amount, f)))` gives when `f` is the decimal of n / d (`fractionOf`).
 * Undefined where the two could differ, and the caller asks decimal.js instead: decimal.js rounds n / d, the product
 * and the sum to 34 significant digits, which moves the result by less than 2e-33 of base + amount (< 1e20 minor
 * units here), i.e. by less than 2e-13 of a minor unit; the exact quotient is at least 1 / 2d (> 5e-11, d < 1e10)
 * away from the half-way point unless it is exactly on it. So both round the same way except exactly on a half,
 * where the decimal's last digit decides and this returns undefined.
 */
export function shareMinor(base: Minor, amount: Minor, n: bigint, d: bigint): Minor | undefined {
  if (base < 0n || amount < 0n || n < 0n || n > d || base + amount >= SHARE_MINOR_LIMIT) return undefined;
  if (d >= SHARE_DIVISOR_LIMIT) return undefined;
  const product = amount * n;
  const whole = product / d;
  const twiceRest = 2n * (product - whole * d);
  if (twiceRest === d) return undefined;
  return base + whole + (twiceRest > d ? 1n : 0n);
}

export function sumMoney(values: readonly Dec[]): Dec {
  return values.reduce((a, b) => a.plus(b), ZERO);
}

export function plus(a: Dec, b: Dec): Dec {
  return a.plus(b);
}

export function minus(a: Dec, b: Dec): Dec {
  return a.minus(b);
}

export function minMoney(a: Dec, b: Dec): Dec {
  return Dec.min(a, b);
}

export function maxMoney(a: Dec, b: Dec): Dec {
  return Dec.max(a, b);
}

/** Equal amounts whatever their spelling ("100.0" and "100.00"); two missing amounts are equal too. */
export function sameAmount(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined ? a === b : dec(a).eq(dec(b));
}

/** Price of `quantity` units at `unitPrice` each, unrounded. */
export function extend(unitPrice: string, quantity: string): Dec {
  return dec(unitPrice).mul(dec(quantity));
}

/** `amount × fraction`, unrounded: the part of an amount that a dimensionless fraction (0..1) of it earns. */
export function share(amount: Dec, fraction: Dec): Dec {
  return amount.mul(fraction);
}

/**
 * `amount × part / whole`, unrounded, dividing last so that an exact quotient stays exact (a whole scaled by
 * whole / whole is the whole again, to the last digit).
 */
export function scale(amount: Dec, part: Dec | number, whole: Dec | number): Dec {
  return amount.mul(part).div(whole);
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

export function negateMoney(value: string): string {
  return dec(value).neg().toString();
}

/** `after - before` signed ("+7.95", "-1.92"), a missing side counting as zero; null when they are equal. */
export function changeOf(before: string | undefined, after: string | undefined, currency: string): string | null {
  const d = dec(after ?? '0').minus(dec(before ?? '0'));
  if (d.isZero()) return null;
  return `${d.isPositive() ? '+' : ''}${formatMoney(d, currency)}`;
}

/** An amount translated at `rate` (1 unit of its currency = rate units of `currency`), rounded half up to `currency`'s minor unit. */
export function translateMoney(amount: Dec, rate: string, currency: string): Dec {
  return roundMoney(amount.times(rate), currency);
}
