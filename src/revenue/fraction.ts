// Fractions of performance for the revenue engine: dimensionless shares in [0, 1] of an obligation transferred by a
// date (ASC 606-10-55-16..21, output methods), as decimals. No money here: ./money.ts turns a fraction into an amount.
import type { Ratio } from './calendar.js';
import { Dec } from './money.js';

/** A dimensionless share, 0..1. */
export type Fraction = Dec;

export const NONE: Fraction = new Dec(0);
export const WHOLE: Fraction = new Dec(1);

/** A fraction as the exact quotient it was computed from: `n / d`, integers, `d` > 0. */
export interface Rational {
  n: bigint;
  d: bigint;
}

/**
 * The exact quotient behind each fraction `fractionOf` made (and behind NONE and WHOLE). The decimal is that quotient
 * to 34 significant digits; money.ts's `shareMinor` rounds with the quotient itself wherever both roundings agree.
 */
const rationals = new WeakMap<Fraction, Rational>([
  [NONE, { n: 0n, d: 1n }],
  [WHOLE, { n: 1n, d: 1n }],
]);

/** The exact quotient a fraction was computed from; undefined for a fraction read from a decimal string. */
export function rationalOf(f: Fraction): Rational | undefined {
  return rationals.get(f);
}

/** `part / whole` for two calendar weights, with a single division so that `x / x` is exactly 1. */
export function fractionOf(part: Ratio, whole: Ratio): Fraction {
  const n = part.n * whole.d;
  const d = part.d * whole.n;
  const f = new Dec(n).div(d);
  // Weights are small integers: their products are exact, and the quotient is the one the decimal was divided from.
  if (Number.isSafeInteger(n) && Number.isSafeInteger(d) && d > 0) rationals.set(f, { n: BigInt(n), d: BigInt(d) });
  return f;
}

export function fractionFrom(decimal: string): Fraction {
  return new Dec(decimal);
}

/** The share completed by a set of completed parts (milestones), never more than the whole. */
export function completed(parts: readonly Fraction[]): Fraction {
  return Dec.min(
    WHOLE,
    parts.reduce((a, b) => a.plus(b), NONE),
  );
}

/** What is left to perform once `done` is performed. */
export function remainderOf(done: Fraction): Fraction {
  return WHOLE.minus(done);
}

/**
 * Progress re-based on what remained after `before` was done: (now − before) / (1 − before), and the whole when
 * nothing remained (a prospective modification measures only what is still to be performed, ASC 606-10-25-13(a)).
 */
export function progressSince(now: Fraction, before: Fraction): Fraction {
  // Nothing done before: progress is simply what is done now.
  if (before.isZero()) return now.isNegative() ? NONE : now;
  const rest = remainderOf(before);
  if (rest.lte(0)) return WHOLE;
  return Dec.max(NONE, now.minus(before)).div(rest);
}
