// The revenue engine (docs/accounting.md): a pure function from one contract's stored facts and the product
// mapping to its ASC 606 / IFRS 15 schedule — allocation per performance obligation, revenue per calendar month,
// lineage and exceptions. No I/O, no clock; money only through ./money.ts, fractions of performance through
// ./fraction.ts.
//
// This module orchestrates: it checks that the contract can be scheduled, books it, replays its events in order and
// reads the schedule off the result. Each obligation (contract line) carries a list of phases (./phases.ts); the
// booking allocates the transaction price (./allocation.ts), amendments and cancellation add phases
// (./modifications.ts), credits lower allocations or usage (./credits.ts), and the months are computed from the
// phases, the usage records and the credits (./periods.ts).
import type { Line, ProductMapping } from '../../schemas/index.js';
import { fixedTotal, startFromInception } from './allocation.js';
import { creditLines, reduceContractPrice } from './credits.js';
import { amend, cancel } from './modifications.js';
import { ZERO, dec, formatMoney, sumMoney } from './money.js';
import { obligationsOf, periodsOf, scheduleMonths } from './periods.js';
import { isFixed } from './phases.js';
import type { Replay } from './replay.js';
import { openObligation, raiseUnknownLine, startReplay } from './replay.js';
import type { ContractEvent, InboundData, Schedule, ScheduleException, ScheduleInput } from './types.js';
import { BEGINNING, dataOf } from './types.js';

function emptySchedule(input: ScheduleInput, exceptions: ScheduleException[], currency: string | null): Schedule {
  return {
    contractId: input.contractId,
    status: 'exception',
    currency,
    transactionPrice: currency ? formatMoney(ZERO, currency) : '0',
    mappingVersion: input.mappingVersion,
    obligations: [],
    periods: [],
    lineage: [],
    exceptions,
  };
}

/** A SKU without a mapping is never guessed: relative SSP needs every line, so the whole contract waits. */
function unmappedSkus(
  events: readonly ContractEvent[],
  products: ReadonlyMap<string, ProductMapping>,
  mappingVersion: number,
): ScheduleException[] {
  const unmapped = new Map<string, string>();
  for (const event of events) {
    if (event.type !== 'ContractBooked' && event.type !== 'ContractAmended') continue;
    for (const line of (event.data as { lines: Line[] }).lines) {
      if (!products.has(line.sku)) unmapped.set(line.sku, line.lineId);
    }
  }
  return [...unmapped].map(([sku, lineId]) => ({
    code: 'UNMAPPED_SKU' as const,
    message: `SKU ${sku} (line ${lineId}) has no product mapping in version ${mappingVersion}`,
    sku,
    lineId,
  }));
}

/**
 * Booking: ASC 606-10-32-2 transaction price = fixed consideration; usage is variable consideration allocated
 * entirely to the usage obligation (606-10-32-40), so it stays out of the relative-SSP allocation.
 */
function book(replay: Replay, booking: ContractEvent, booked: InboundData<'ContractBooked'>): void {
  for (const line of booked.lines) replay.obligations.set(line.lineId, openObligation(replay, line, booking.eventId));
  const fixed = [...replay.obligations.values()].filter(isFixed);
  startFromInception(replay, fixed, fixedTotal(replay, booked.lines), BEGINNING, booking.eventId);
}

/** One contract event after the booking, in application order. */
function applyEvent(replay: Replay, event: ContractEvent): void {
  switch (event.type) {
    case 'ContractAmended':
      amend(replay, event, dataOf(event, 'ContractAmended'));
      break;
    case 'ContractCancelled':
      cancel(replay, event, dataOf(event, 'ContractCancelled').effectiveDate);
      break;
    case 'ServiceCreditApproved': {
      const credit = dataOf(event, 'ServiceCreditApproved');
      if (credit.lineId === undefined) reduceContractPrice(replay, event, credit.approvedOn, dec(credit.amount));
      else creditLines(replay, event, credit.approvedOn, [{ lineId: credit.lineId, amount: credit.amount }]);
      break;
    }
    case 'CreditMemoIssued': {
      // A credit memo that does not reduce the transaction price is billing only (balances), not revenue.
      const memo = dataOf(event, 'CreditMemoIssued');
      if (memo.reducesTransactionPrice) creditLines(replay, event, memo.issuedOn, memo.lines);
      break;
    }
    case 'ServiceActivated':
    case 'MilestoneCompleted':
    case 'UsageRecorded': {
      // Gathered as facts before the replay; here they only join the lineage of the line they name.
      const lineId = (event.data as { lineId: string }).lineId;
      const obligation = replay.obligations.get(lineId);
      if (obligation) obligation.eventIds.push(event.eventId);
      else raiseUnknownLine(replay, event, lineId);
      break;
    }
  }
}

/**
 * The schedule of one contract. Throws ScheduleBudgetExceededError (and computes nothing) when `input.maxSteps` is
 * less than the work the schedule takes; every other problem is an exception in the schedule.
 */
export function computeSchedule(input: ScheduleInput): Schedule {
  const { contractId, events, mappingVersion } = input;
  const booking = events.find((event) => event.type === 'ContractBooked');
  if (!booking)
    return emptySchedule(input, [{ code: 'NO_BOOKING', message: `contract ${contractId} has no booking yet` }], null);
  const booked = dataOf(booking, 'ContractBooked');
  const currency = booked.currency;
  const products = new Map(input.products.map((product) => [product.sku, product]));
  const unmapped = unmappedSkus(events, products, mappingVersion);
  if (unmapped.length > 0) return emptySchedule(input, unmapped, currency);

  const replay = startReplay(events, currency, products);
  book(replay, booking, booked);
  for (const event of events) if (event !== booking) applyEvent(replay, event);

  const obligations = [...replay.obligations.values()];
  const months = scheduleMonths(replay, obligations, input.maxSteps);
  const { periods, recognised } = periodsOf(replay, obligations, months);
  return {
    contractId,
    status: replay.exceptions.length > 0 ? 'exception' : 'ok',
    currency,
    transactionPrice: formatMoney(
      sumMoney(obligations.filter(isFixed).map((obligation) => obligation.allocated)),
      currency,
    ),
    mappingVersion,
    obligations: obligationsOf(replay, obligations, months, recognised),
    periods,
    lineage: obligations.map((obligation) => ({
      lineId: obligation.line.lineId,
      eventIds: obligation.eventIds,
      mappingVersion,
    })),
    exceptions: replay.exceptions,
  };
}
