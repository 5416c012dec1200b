// Allocation of the transaction price (ASC 606-10-32-28..41): fixed consideration split over the fixed lines by
// relative standalone selling price, in whole minor units, and the phases that start a group of lines at its shares.
// Usage is variable consideration allocated entirely to its own line (32-40), so it stays out of the split.
import type { Line, ProductMapping } from '../../schemas/index.js';
import type { Dec } from './money.js';
import { ZERO, allocateLargestRemainder, dec, extend, sumMoney } from './money.js';
import type { ObligationState } from './phases.js';
import { applyPhase, curve } from './phases.js';
import type { Replay } from './replay.js';
import { mappingOf } from './replay.js';
import { BEGINNING } from './types.js';

/** Relative standalone selling price of a line: the line's `ssp` overrides the mapping's; per unit × quantity. */
export function standalone(line: Line, mapping: ProductMapping): Dec {
  return extend(line.ssp ?? mapping.ssp, line.quantity);
}

/**
 * Allocation of `total` over a group of lines (ASC 606-10-32-28, 32-31): by relative standalone selling price, or by
 * the `weights` given (one per line, in group order).
 */
export function allocateGroup(
  group: readonly ObligationState[],
  total: Dec,
  currency: string,
  weights?: readonly Dec[],
): Dec[] {
  const basis = weights ?? group.map((obligation) => standalone(obligation.line, obligation.mapping));
  return allocateLargestRemainder(total, basis, currency);
}

/** The fixed consideration the given lines state (usage lines state none). */
export function fixedTotal(replay: Replay, lines: readonly Line[]): Dec {
  return sumMoney(lines.filter((line) => mappingOf(replay, line).pattern !== 'usage').map((line) => dec(line.amount)));
}

/** Start (or restart, as if from inception) a group of lines at its allocation of `total`, in force from `from`. */
export function startFromInception(
  replay: Replay,
  group: readonly ObligationState[],
  total: Dec,
  from: string,
  eventId: string,
): void {
  const allocations = allocateGroup(group, total, replay.currency);
  group.forEach((obligation, index) => {
    // The curve runs from inception (a cumulative catch-up when `from` is later).
    const phase = curve(
      obligation,
      replay.facts,
      replay.currency,
      BEGINNING,
      ZERO,
      allocations[index] ?? ZERO,
      eventId,
    );
    applyPhase(obligation, { ...phase, from });
  });
}
