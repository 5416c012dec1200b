// Performance obligations as the engine replays them: each contract line carries a list of phases. A phase starts on
// a date, carries the allocation in force from then on, and gives the unrounded cumulative fixed revenue of the line
// at any later date; contract events (amendments, credits, cancellation) add phases, never rewrite them.
import type { Line, ProductMapping } from '../../schemas/index.js';
import { addDays } from './calendar.js';
import type { Facts } from './facts.js';
import { NONE, WHOLE, rationalOf } from './fraction.js';
import type { Dec, Minor } from './money.js';
import { ZERO, plus, roundMoney, share, shareMinor, toMinor } from './money.js';
import { progressOf } from './progress.js';

export interface Phase {
  from: string;
  /** Unrounded cumulative fixed revenue of the line at a date on or after `from`. */
  cumulative: (date: string) => Dec;
  /** The same rounded to minor units, where that is known without decimal.js; undefined: round `cumulative`. */
  cumulativeMinor?: (date: string) => Minor | undefined;
  /** The line's allocation while this phase is in force (rounded to the minor unit). */
  allocated: Dec;
  eventId: string;
}

/** One contract line as a performance obligation, with the terms and allocation in force after the events so far. */
export interface ObligationState {
  line: Line;
  mapping: ProductMapping;
  allocated: Dec;
  phases: Phase[];
  eventIds: string[];
  active: boolean;
  /**
   * Price reductions applied to the line so far (service credits, price-reducing credit memos). An amendment states
   * its lines' prices as agreed, before any credit: the reduction persists through it (ASC 606-10-32-42..45).
   */
  reduced: Dec;
  /** Presentation group: 0 for the original contract, the amendment version for a separate modification. */
  group: number;
}

/** A line of fixed consideration; usage lines carry variable consideration (their records and credits) instead. */
export function isFixed(obligation: ObligationState): boolean {
  return obligation.mapping.pattern !== 'usage';
}

/** The phase in force at `date`: the last one applied that starts on or before it. */
export function phaseAt(phases: readonly Phase[], date: string): Phase | undefined {
  let inForce: Phase | undefined;
  for (const phase of phases) if (phase.from <= date) inForce = phase;
  return inForce;
}

/** Unrounded cumulative fixed revenue at `date`, by the phase in force then. */
export function cumulativeAt(phases: readonly Phase[], date: string): Dec {
  return phaseAt(phases, date)?.cumulative(date) ?? ZERO;
}

/** Fixed revenue a line recognised by `date`, rounded to the currency's minor unit. */
export function recognisedBy(obligation: ObligationState, date: string, currency: string): Dec {
  return roundMoney(cumulativeAt(obligation.phases, date), currency);
}

export function applyPhase(obligation: ObligationState, phase: Phase): void {
  obligation.phases.push(phase);
  obligation.allocated = phase.allocated;
}

/**
 * A phase from `from` that recognises `amount` over the line's remaining performance, on top of `base`, against the
 * terms the line has when the phase starts.
 */
export function curve(
  obligation: ObligationState,
  facts: Facts,
  currency: string,
  from: string,
  base: Dec,
  amount: Dec,
  eventId: string,
): Phase {
  const progressAt = progressOf({ line: obligation.line, mapping: obligation.mapping }, facts, from);
  const allocated = plus(base, amount);
  const baseMinor = toMinor(base, currency);
  const amountMinor = toMinor(amount, currency);
  const allocatedMinor = toMinor(allocated, currency);
  return {
    from,
    cumulative: (date) => {
      // None or all of it (the common answers once a period is over) need no arithmetic.
      const fraction = progressAt(date);
      if (fraction === WHOLE) return allocated;
      if (fraction === NONE) return base;
      return base.isZero() ? share(amount, fraction) : plus(base, share(amount, fraction));
    },
    // The same in whole minor units: a fraction of a service period is an exact quotient of day counts.
    cumulativeMinor: (date) => {
      const fraction = progressAt(date);
      if (fraction === WHOLE) return allocatedMinor;
      if (fraction === NONE) return baseMinor;
      const rational = rationalOf(fraction);
      if (rational === undefined || baseMinor === undefined || amountMinor === undefined) return undefined;
      return shareMinor(baseMinor, amountMinor, rational.n, rational.d);
    },
    allocated,
    eventId,
  };
}

/** A line stops on `from`: it keeps what it recognised before, and that is its allocation from then on. */
export function freeze(obligation: ObligationState, from: string, eventId: string, currency: string): void {
  const frozen = recognisedBy(obligation, addDays(from, -1), currency);
  const frozenMinor = toMinor(frozen, currency);
  applyPhase(obligation, {
    from,
    cumulative: () => frozen,
    cumulativeMinor: () => frozenMinor,
    allocated: frozen,
    eventId,
  });
}
