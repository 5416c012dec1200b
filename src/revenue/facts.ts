// The facts of a contract that do not change its terms: activations, completed milestones and usage records, gathered
// once before the terms are replayed, and what they say by a date (the share of milestones completed, the usage
// revenue earned).
//
// Usage is variable consideration for the days it covers. A cancellation ends the remaining promises on its effective
// date (a termination modifies the contract's scope, ASC 606-10-25-10, 25-13(a)), so usage on or after it transfers
// nothing under this contract (25-23): those days are not recognised, and the record is raised for an owner to review
// (it may belong to a new contract, or call for a credit).
import { addDays, weight } from './calendar.js';
import type { Fraction } from './fraction.js';
import { completed, fractionFrom } from './fraction.js';
import type { Dec } from './money.js';
import { ZERO, dec, plus, scale } from './money.js';
import type { ContractEvent, InboundData, ScheduleException } from './types.js';
import { dataOf } from './types.js';

export interface UsageRecord {
  start: string;
  end: string;
  /** Last day recognised: `end`, or the day before the cancellation. */
  until: string;
  amount: Dec;
}

interface MilestoneCompletion {
  date: string;
  fraction: Fraction;
}

export interface Facts {
  activations: Map<string, string>;
  milestones: Map<string, MilestoneCompletion[]>;
  /** Per milestone line, the share completed by each date asked, keyed by how many milestone dates are on or before it. */
  milestonesDone: Map<string, { dates: string[]; done: Map<number, Fraction> }>;
  usage: Map<string, UsageRecord[]>;
  /** Per usage line, its records that run to their end (not cut by a cancellation), by end date, with running sums. */
  usageDone: Map<string, { ends: string[]; sums: Dec[] }>;
}

function recordActivation(facts: Facts, activation: InboundData<'ServiceActivated'>): void {
  const earlier = facts.activations.get(activation.lineId);
  if (earlier === undefined || activation.activatedOn < earlier)
    facts.activations.set(activation.lineId, activation.activatedOn);
}

function recordMilestone(facts: Facts, milestone: InboundData<'MilestoneCompleted'>, seen: Set<string>): void {
  const key = JSON.stringify([milestone.lineId, milestone.milestoneId]);
  if (seen.has(key)) return; // a milestone completes once
  seen.add(key);
  facts.milestones.set(milestone.lineId, [
    ...(facts.milestones.get(milestone.lineId) ?? []),
    { date: milestone.completedOn, fraction: fractionFrom(milestone.fraction) },
  ]);
}

function recordUsage(
  facts: Facts,
  event: ContractEvent,
  cancelledOn: string | undefined,
  exceptions: ScheduleException[],
): void {
  const usage = dataOf(event, 'UsageRecorded');
  let until = usage.periodEnd;
  if (cancelledOn !== undefined && usage.periodEnd >= cancelledOn) {
    until = addDays(cancelledOn, -1);
    const days = weight(usage.periodStart, usage.periodEnd, 'daily').n;
    const after = days - weight(usage.periodStart, until, 'daily').n;
    exceptions.push({
      code: 'USAGE_AFTER_CANCELLATION',
      message:
        `usage on line ${usage.lineId} for ${usage.periodStart}..${usage.periodEnd} has ${after} of ${days} days on ` +
        `or after the cancellation on ${cancelledOn}; those days are not recognised`,
      lineId: usage.lineId,
      eventId: event.eventId,
    });
  }
  facts.usage.set(usage.lineId, [
    ...(facts.usage.get(usage.lineId) ?? []),
    { start: usage.periodStart, end: usage.periodEnd, until, amount: dec(usage.amount) },
  ]);
}

/** Running sums of the usage records that count in full once their period is over, by end date. */
function sumFinishedUsage(facts: Facts): void {
  for (const [lineId, records] of facts.usage) {
    const finished = records
      .filter((record) => record.until === record.end && record.start <= record.end)
      .sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
    const sums: Dec[] = [];
    for (const record of finished) sums.push(plus(sums[sums.length - 1] ?? ZERO, record.amount));
    facts.usageDone.set(lineId, { ends: finished.map((record) => record.end), sums });
  }
}

/** Activations, milestones and usage of a contract; usage on or after `cancelledOn` is raised in `exceptions`. */
export function gatherFacts(
  events: readonly ContractEvent[],
  cancelledOn: string | undefined,
  exceptions: ScheduleException[],
): Facts {
  const facts: Facts = {
    activations: new Map(),
    milestones: new Map(),
    milestonesDone: new Map(),
    usage: new Map(),
    usageDone: new Map(),
  };
  const seenMilestones = new Set<string>();
  for (const event of events) {
    if (event.type === 'ServiceActivated') recordActivation(facts, dataOf(event, 'ServiceActivated'));
    else if (event.type === 'MilestoneCompleted')
      recordMilestone(facts, dataOf(event, 'MilestoneCompleted'), seenMilestones);
    else if (event.type === 'UsageRecorded') recordUsage(facts, event, cancelledOn, exceptions);
  }
  sumFinishedUsage(facts);
  return facts;
}

/**
 * The share of a milestone line completed by `date`. The milestones completed by a date change only on a milestone
 * date, so the share is summed once per milestone date (a line is asked at every month end).
 */
export function completedBy(facts: Facts, lineId: string, date: string): Fraction {
  const milestones = facts.milestones.get(lineId) ?? [];
  let byDate = facts.milestonesDone.get(lineId);
  if (byDate === undefined) {
    byDate = { dates: [...new Set(milestones.map((milestone) => milestone.date))].sort(), done: new Map() };
    facts.milestonesDone.set(lineId, byDate);
  }
  let reached = 0;
  while (reached < byDate.dates.length && byDate.dates[reached]! <= date) reached++;
  let done = byDate.done.get(reached);
  if (done === undefined) {
    done = completed(milestones.filter((milestone) => milestone.date <= date).map((milestone) => milestone.fraction));
    byDate.done.set(reached, done);
  }
  return done;
}

/** Unrounded usage revenue recognised by `date`: each record spread evenly over the days of its usage period. */
export function usageRevenueAt(facts: Facts, lineId: string, date: string): Dec {
  const records = facts.usage.get(lineId);
  if (records === undefined) return ZERO;
  // Records whose whole period is over count in full (their share is days / days, exactly 1): a running sum.
  const finished = facts.usageDone.get(lineId)!;
  let over = 0;
  for (let high = finished.ends.length; over < high;) {
    const middle = (over + high) >>> 1;
    if (finished.ends[middle]! <= date) over = middle + 1;
    else high = middle;
  }
  let sum = over === 0 ? ZERO : finished.sums[over - 1]!;
  for (const record of records) {
    if (date < record.start || record.until < record.start || (record.until === record.end && date >= record.end))
      continue;
    const last = date < record.until ? date : record.until;
    sum = plus(
      sum,
      scale(record.amount, weight(record.start, last, 'daily').n, weight(record.start, record.end, 'daily').n),
    );
  }
  return sum;
}
