// Contract modifications (ASC 606-10-25-10..13): an amendment restates the contract's lines as they now stand, and is
// accounted for as a separate contract, prospectively, or as a cumulative catch-up; a cancellation ends every
// remaining promise on its effective date.
import type { Line, Treatment } from '../../schemas/index.js';
import { addDays } from './calendar.js';
import { remainderOf } from './fraction.js';
import type { Dec } from './money.js';
import { ZERO, dec, minus, roundMoney, sameAmount, share, sumMoney } from './money.js';
import { allocateGroup, fixedTotal, standalone, startFromInception } from './allocation.js';
import type { ObligationState } from './phases.js';
import { applyPhase, curve, freeze, isFixed, recognisedBy } from './phases.js';
import { progress } from './progress.js';
import type { Replay } from './replay.js';
import { mappingOf, openObligation } from './replay.js';
import type { ContractEvent, InboundData } from './types.js';
import { BEGINNING } from './types.js';

type Amendment = InboundData<'ContractAmended'>;

/** Same terms: an amendment that repeats a line this way does not change it. */
function sameTerms(before: Line, after: Line): boolean {
  return (
    before.sku === after.sku &&
    dec(before.quantity).eq(dec(after.quantity)) &&
    sameAmount(before.amount, after.amount) &&
    sameAmount(before.ssp, after.ssp) &&
    before.serviceStart === after.serviceStart &&
    before.serviceEnd === after.serviceEnd
  );
}

function resolveTreatment(
  replay: Replay,
  requested: Treatment | undefined,
  added: readonly Line[],
  changesExisting: boolean,
): Exclude<Treatment, 'auto'> {
  if (requested !== undefined && requested !== 'auto') return requested;
  // `auto`: separate when lines are only added, each priced at its standalone selling price (ASC 606-10-25-12).
  const atStandalonePrice = added.every((line) =>
    roundMoney(standalone(line, mappingOf(replay, line)), replay.currency).eq(dec(line.amount)),
  );
  return added.length > 0 && !changesExisting && atStandalonePrice ? 'separate' : 'prospective';
}

function raiseNegativeRemaining(replay: Replay, event: ContractEvent, amendment: Amendment, what: string): void {
  replay.exceptions.push({
    code: 'NEGATIVE_REMAINING_CONSIDERATION',
    message: `amendment v${amendment.version} prices the contract below ${what}; nothing more is reversed`,
    eventId: event.eventId,
  });
}

/**
 * ASC 606-10-25-13(b): the modification is part of the existing contract; reallocate as if from inception and
 * recognise the difference to date on the effective date (it falls out of the cumulative rule). Lines that left the
 * contract keep their frozen allocation, which is part of the price.
 */
function restateWithCatchUp(
  replay: Replay,
  event: ContractEvent,
  amendment: Amendment,
  group: readonly ObligationState[],
  price: Dec,
): void {
  const left = [...replay.obligations.values()].filter((obligation) => isFixed(obligation) && !obligation.active);
  let total = minus(price, sumMoney(left.map((obligation) => obligation.allocated)));
  if (total.lt(0)) {
    raiseNegativeRemaining(replay, event, amendment, 'what the lines that left it kept');
    total = ZERO;
  }
  startFromInception(replay, group, total, amendment.effectiveDate, event.eventId);
}

/**
 * ASC 606-10-25-13(a): prospective — the consideration not yet recognised plus the change is allocated to the
 * obligations (or parts of them) still to be performed from the effective date.
 */
function restateProspectively(
  replay: Replay,
  event: ContractEvent,
  amendment: Amendment,
  group: readonly ObligationState[],
  price: Dec,
  recognisedBefore: ReadonlyMap<string, Dec>,
): void {
  const effectiveDate = amendment.effectiveDate;
  const dayBefore = addDays(effectiveDate, -1);
  const recognisedFixed = sumMoney(
    [...replay.obligations.values()]
      .filter(isFixed)
      .map((obligation) => recognisedBefore.get(obligation.line.lineId) ?? ZERO),
  );
  let pool = minus(price, recognisedFixed);
  if (pool.lt(0)) {
    raiseNegativeRemaining(replay, event, amendment, 'what was already recognised');
    pool = ZERO;
  }
  const remainingWeights = group.map((obligation) =>
    share(
      standalone(obligation.line, obligation.mapping),
      remainderOf(progress(obligation, replay.facts, BEGINNING, dayBefore)),
    ),
  );
  const shares = allocateGroup(group, pool, replay.currency, remainingWeights);
  group.forEach((obligation, index) => {
    const base = recognisedBefore.get(obligation.line.lineId) ?? ZERO;
    const amount = shares[index] ?? ZERO;
    applyPhase(
      obligation,
      curve(obligation, replay.facts, replay.currency, effectiveDate, base, amount, event.eventId),
    );
  });
}

/**
 * Modifies the existing contract: `removed` lines stop on the effective date, `kept` lines take their new terms,
 * and the fixed lines among `members` (those that go on) share the consideration the amendment states for them.
 * Amendment amounts state the contract as it now stands, so that consideration includes what was recognised
 * before, on the lines that go on and on those that left (ASC 606-10-25-13).
 */
function restate(
  replay: Replay,
  event: ContractEvent,
  amendment: Amendment,
  changes: { kept: readonly Line[]; removed: readonly ObligationState[]; members: readonly Line[] },
  treatment: 'prospective' | 'cumulative_catch_up',
): void {
  const { currency, obligations } = replay;
  const effectiveDate = amendment.effectiveDate;
  const dayBefore = addDays(effectiveDate, -1);
  const recognisedBefore = new Map(
    [...obligations.values()].map((obligation) => [
      obligation.line.lineId,
      recognisedBy(obligation, dayBefore, currency),
    ]),
  );
  // Lines that leave the contract keep what they recognised before the effective date.
  for (const obligation of changes.removed) {
    if (isFixed(obligation)) freeze(obligation, effectiveDate, event.eventId, currency);
    obligation.active = false;
    obligation.eventIds.push(event.eventId);
  }
  for (const line of changes.kept) {
    const obligation = obligations.get(line.lineId) as ObligationState;
    obligation.line = line;
    obligation.mapping = mappingOf(replay, line);
    obligation.active = true;
    obligation.eventIds.push(event.eventId);
  }
  const group = changes.members.map((line) => obligations.get(line.lineId) as ObligationState).filter(isFixed);
  // The stated price, less the reductions the lines that go on carry: a prospective modification starts from the
  // transaction price as reduced, a cumulative catch-up reallocates it.
  const price = minus(fixedTotal(replay, changes.members), sumMoney(group.map((obligation) => obligation.reduced)));
  if (treatment === 'cumulative_catch_up') restateWithCatchUp(replay, event, amendment, group, price);
  else restateProspectively(replay, event, amendment, group, price, recognisedBefore);
}

export function amend(replay: Replay, event: ContractEvent, amendment: Amendment): void {
  if (replay.cancelled) return;
  const { obligations } = replay;
  const added = amendment.lines.filter((line) => !obligations.has(line.lineId));
  const kept = amendment.lines.filter((line) => obligations.has(line.lineId));
  const removed = [...obligations.values()].filter(
    (obligation) => obligation.active && !amendment.lines.some((line) => line.lineId === obligation.line.lineId),
  );
  const changesExisting =
    removed.length > 0 ||
    kept.some((line) => {
      const obligation = obligations.get(line.lineId) as ObligationState;
      return !obligation.active || !sameTerms(obligation.line, line);
    });
  const treatment = resolveTreatment(replay, amendment.treatment, added, changesExisting);
  const addedObligations = added.map((line) => openObligation(replay, line, event.eventId));

  if (treatment === 'separate') {
    // ASC 606-10-25-12: distinct goods or services added at their standalone selling prices are a separate
    // contract, allocated within their own group. What the same amendment changes in the existing lines
    // (prices, quantities, dates, lines removed) is not part of that separate contract: it modifies the existing
    // one, prospectively (25-13(a)), on the price the amendment now gives the existing lines.
    if (changesExisting) restate(replay, event, amendment, { kept, removed, members: kept }, 'prospective');
    for (const obligation of addedObligations) {
      obligation.group = amendment.version;
      obligations.set(obligation.line.lineId, obligation);
    }
    startFromInception(replay, addedObligations.filter(isFixed), fixedTotal(replay, added), BEGINNING, event.eventId);
    return;
  }
  for (const obligation of addedObligations) obligations.set(obligation.line.lineId, obligation);
  restate(replay, event, amendment, { kept, removed, members: amendment.lines }, treatment);
}

export function cancel(replay: Replay, event: ContractEvent, effectiveDate: string): void {
  // Cancellation ends the contract: recognition stops on the effective date (nothing after it is transferred),
  // and each line's allocation becomes what it recognised, so the transaction price is what was earned.
  if (replay.cancelled) return;
  replay.cancelled = true;
  for (const obligation of replay.obligations.values()) {
    if (!obligation.active) continue;
    if (isFixed(obligation)) freeze(obligation, effectiveDate, event.eventId, replay.currency);
    obligation.active = false;
    obligation.eventIds.push(event.eventId);
  }
}
