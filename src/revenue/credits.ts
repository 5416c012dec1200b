// Price concessions after inception: service credits and credit memos that reduce the transaction price
// (ASC 606-10-32-42..45). A credit naming lines lowers those lines (a fixed line's allocation, a usage line's variable
// consideration); a service credit naming none reduces the contract's price, allocated as at inception. A credit
// memo that does not reduce the transaction price is billing only (balances), and never reaches this module.
import type { Dec } from './money.js';
import { ZERO, dec, formatMoney, maxMoney, minMoney, minus, plus, roundMoney, scale, sumMoney } from './money.js';
import { allocateGroup } from './allocation.js';
import { usageRevenueAt } from './facts.js';
import type { ObligationState } from './phases.js';
import { applyPhase, cumulativeAt, isFixed } from './phases.js';
import type { Replay } from './replay.js';
import { creditedBy, raiseUnknownLine } from './replay.js';
import type { ContractEvent } from './types.js';

/** Raises the part of a credit larger than what it can reduce (`applied` of `requested`), if any. */
function raiseExcess(
  replay: Replay,
  event: ContractEvent,
  what: string,
  requested: Dec,
  applied: Dec,
  lineId?: string,
): void {
  if (!minus(requested, applied).gt(0)) return;
  const money = (value: Dec) => formatMoney(value, replay.currency);
  replay.exceptions.push({
    code: 'CREDIT_EXCEEDS_CONSIDERATION',
    message:
      `${event.type} of ${money(requested)} exceeds ${what} (${money(applied)}); ` +
      `${money(minus(requested, applied))} is not applied`,
    ...(lineId === undefined ? {} : { lineId }),
    eventId: event.eventId,
  });
}

function reduceLine(replay: Replay, event: ContractEvent, obligation: ObligationState, on: string, requested: Dec) {
  // ASC 606-10-32-43..44 (or to the named line, 32-40): the part of the reduction that belongs to performance
  // already satisfied is recognised on the change date. A reduction never takes an allocation below zero.
  obligation.eventIds.push(event.eventId);
  const cut = minMoney(requested, obligation.allocated);
  raiseExcess(
    replay,
    event,
    `the allocation of line ${obligation.line.lineId}`,
    requested,
    cut,
    obligation.line.lineId,
  );
  if (!cut.gt(0)) return;
  // A change is not recognised before a change already applied to the line took effect: its catch-up then lands
  // on that later date, so each phase only ever scales the terms in force when it starts.
  const latest = obligation.phases.reduce((max, phase) => (phase.from > max ? phase.from : max), on);
  const previous = [...obligation.phases];
  const allocatedBefore = obligation.allocated;
  const left = minus(allocatedBefore, cut);
  obligation.reduced = plus(obligation.reduced, cut);
  applyPhase(obligation, {
    from: latest,
    cumulative: (date) => scale(cumulativeAt(previous, date), left, allocatedBefore),
    allocated: left,
    eventId: event.eventId,
  });
}

function creditUsage(replay: Replay, event: ContractEvent, obligation: ObligationState, on: string, requested: Dec) {
  // A credit against usage is a price concession on that line's variable consideration (ASC 606-10-32-25, 32-40,
  // 32-44), recognised as negative revenue on its date — but never more than the usage recognised on the line by
  // then, net of the earlier credits, at that date or at any later credit's date (usage revenue never turns
  // negative).
  obligation.eventIds.push(event.eventId);
  const { currency, facts } = replay;
  const lineId = obligation.line.lineId;
  const credits = replay.usageCredits.get(lineId) ?? [];
  const net = (date: string) =>
    minus(roundMoney(usageRevenueAt(facts, lineId, date), currency), creditedBy(replay, lineId, date));
  const available = [on, ...credits.map((credit) => credit.date).filter((date) => date > on)]
    .map(net)
    .reduce((lowest, amount) => minMoney(lowest, amount));
  const cut = minMoney(roundMoney(requested, currency), maxMoney(available, ZERO));
  raiseExcess(replay, event, `the usage recognised on line ${lineId} by ${on}`, requested, cut, lineId);
  if (cut.gt(0)) replay.usageCredits.set(lineId, [...credits, { date: on, amount: cut }]);
}

/** Credits naming lines: fixed lines lower their allocation, usage lines their variable consideration. */
export function creditLines(
  replay: Replay,
  event: ContractEvent,
  on: string,
  perLine: readonly { lineId: string; amount: string }[],
): void {
  const byLine = new Map<string, Dec>();
  for (const credit of perLine) byLine.set(credit.lineId, plus(byLine.get(credit.lineId) ?? ZERO, dec(credit.amount)));
  for (const [lineId, amount] of byLine) {
    const obligation = replay.obligations.get(lineId);
    if (!obligation) raiseUnknownLine(replay, event, lineId);
    else if (isFixed(obligation)) reduceLine(replay, event, obligation, on, amount);
    else creditUsage(replay, event, obligation, on, amount);
  }
}

export function reduceContractPrice(replay: Replay, event: ContractEvent, on: string, total: Dec): void {
  // ASC 606-10-32-42..44: a change in the transaction price is allocated on the same basis as at inception. Once
  // the contract is cancelled no line is active: the reduction then falls on what the lines earned.
  const withAllocation = [...replay.obligations.values()].filter(
    (obligation) => isFixed(obligation) && obligation.allocated.gt(0),
  );
  const active = withAllocation.filter((obligation) => obligation.active);
  const group = active.length > 0 ? active : withAllocation;
  const cut = minMoney(total, sumMoney(group.map((obligation) => obligation.allocated)));
  raiseExcess(replay, event, 'the consideration allocated to the contract', total, cut);
  const parts = allocateGroup(
    group,
    cut,
    replay.currency,
    group.map((obligation) => obligation.allocated),
  );
  group.forEach((obligation, index) => reduceLine(replay, event, obligation, on, parts[index] ?? ZERO));
}
