// The schedule's calendar months and what each line recognises in them. Revenue of a month = round(cumulative at its
// end) - round(cumulative at the previous end), so every sum is exact to the minor unit; the months run from the first
// to the last date any obligation can move on.
import { monthEnd, monthIndex, monthOf, monthsBetween } from './calendar.js';
import { usageRevenueAt } from './facts.js';
import type { Dec, Minor } from './money.js';
import { ZERO, formatMinor, formatMoney, minus, minusMinor, plus, plusMinor, roundMoney, toMinor } from './money.js';
import type { ObligationState } from './phases.js';
import { cumulativeAt, phaseAt, recognisedBy } from './phases.js';
import type { Replay } from './replay.js';
import { creditedBy } from './replay.js';
import type { Obligation, SchedulePeriod } from './types.js';
import { BEGINNING, ScheduleBudgetExceededError } from './types.js';

/** Every date on which some obligation's revenue can change, unsorted. */
function movingDates(replay: Replay, obligations: readonly ObligationState[]): string[] {
  const { facts, usageCredits } = replay;
  const dates: string[] = [];
  for (const obligation of obligations) {
    const lineId = obligation.line.lineId;
    for (const date of [obligation.line.serviceStart, obligation.line.serviceEnd, facts.activations.get(lineId)])
      if (date) dates.push(date);
    for (const milestone of facts.milestones.get(lineId) ?? []) dates.push(milestone.date);
    for (const record of facts.usage.get(lineId) ?? []) dates.push(record.start, record.end);
    for (const credit of usageCredits.get(lineId) ?? []) dates.push(credit.date);
    for (const phase of obligation.phases) if (phase.from !== BEGINNING) dates.push(phase.from);
  }
  return dates;
}

/**
 * The schedule's months (`YYYY-MM`), first to last. Throws ScheduleBudgetExceededError before any month is computed
 * when the schedule would take more than `maxSteps`.
 */
export function scheduleMonths(
  replay: Replay,
  obligations: readonly ObligationState[],
  maxSteps: number | undefined,
): string[] {
  const dates = movingDates(replay, obligations).sort();
  if (dates.length === 0) return [];
  const first = monthOf(dates[0]!);
  const final = monthOf(dates[dates.length - 1]!);
  if (maxSteps !== undefined) {
    const count = monthIndex(final) - monthIndex(first) + 1;
    let steps = 0;
    for (const obligation of obligations)
      steps += count * (1 + obligation.phases.length + (replay.facts.usage.get(obligation.line.lineId)?.length ?? 0));
    if (steps > maxSteps) throw new ScheduleBudgetExceededError(steps, maxSteps, count);
  }
  return monthsBetween(first, final);
}

/** What a line recognised by `date`, net of its credits, in whole minor units (the amounts below are rounded). */
function recognisedMinorAt(replay: Replay, obligation: ObligationState, date: string): Minor {
  const { currency, facts, usageCredits } = replay;
  const lineId = obligation.line.lineId;
  if (!facts.usage.has(lineId) && !usageCredits.has(lineId)) {
    const phase = phaseAt(obligation.phases, date);
    if (phase === undefined) return 0n;
    const known = phase.cumulativeMinor?.(date);
    if (known !== undefined) return known;
  }
  const fixed = cumulativeAt(obligation.phases, date);
  const unrounded = facts.usage.has(lineId) ? plus(fixed, usageRevenueAt(facts, lineId, date)) : fixed;
  const recognised = roundMoney(unrounded, currency);
  const net = usageCredits.has(lineId) ? minus(recognised, creditedBy(replay, lineId, date)) : recognised;
  return toMinor(net, currency)!;
}

/**
 * Month by month, in whole minor units: each month's revenue is a difference of rounded cumulatives, so the sums are
 * integer sums. Also gives what each line recognised through the last month, by line id.
 */
export function periodsOf(
  replay: Replay,
  obligations: readonly ObligationState[],
  months: readonly string[],
): { periods: SchedulePeriod[]; recognised: Map<string, Minor> } {
  const { currency } = replay;
  const recognised = new Map(obligations.map((obligation) => [obligation.line.lineId, 0n]));
  const zero = formatMoney(ZERO, currency);
  let cumulative = 0n;
  let cumulativeText = zero;
  const periods = months.map((period): SchedulePeriod => {
    const end = monthEnd(period);
    const amounts: Record<string, string> = {};
    let total = 0n;
    for (const obligation of obligations) {
      const lineId = obligation.line.lineId;
      const before = recognised.get(lineId) ?? 0n;
      const now = recognisedMinorAt(replay, obligation, end);
      if (now === before) {
        amounts[lineId] = zero;
        continue;
      }
      recognised.set(lineId, now);
      const amount = minusMinor(now, before);
      amounts[lineId] = formatMinor(amount, currency);
      total = plusMinor(total, amount);
    }
    if (total !== 0n) {
      cumulative = plusMinor(cumulative, total);
      cumulativeText = formatMinor(cumulative, currency);
    }
    return { period, lines: amounts, total: formatMinor(total, currency), cumulative: cumulativeText };
  });
  return { periods, recognised };
}

/** The schedule's obligations: terms, allocation history and what each recognised through the last month. */
export function obligationsOf(
  replay: Replay,
  obligations: readonly ObligationState[],
  months: readonly string[],
  recognised: ReadonlyMap<string, Minor>,
): Obligation[] {
  const { currency } = replay;
  const money = (value: Dec) => formatMoney(value, currency);
  const last = months[months.length - 1];
  return obligations.map((obligation) => {
    const { line, mapping } = obligation;
    const total = recognised.get(line.lineId) ?? 0n;
    const fixed = last ? toMinor(recognisedBy(obligation, monthEnd(last), currency), currency)! : 0n;
    return {
      lineId: line.lineId,
      sku: line.sku,
      pattern: mapping.pattern,
      ...(mapping.pattern === 'ratable' ? { convention: mapping.convention ?? 'daily' } : {}),
      allocated: money(obligation.allocated),
      allocationHistory: obligation.phases.map((phase) => ({
        from: phase.from === BEGINNING ? null : phase.from,
        allocated: money(phase.allocated),
        eventId: phase.eventId,
      })),
      variable: formatMinor(minusMinor(total, fixed), currency),
      recognised: formatMinor(total, currency),
      ...(line.serviceStart ? { serviceStart: line.serviceStart } : {}),
      ...(line.serviceEnd ? { serviceEnd: line.serviceEnd } : {}),
      active: obligation.active,
      ...(obligation.group !== 0 ? { group: obligation.group } : {}),
    };
  });
}
