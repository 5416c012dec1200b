// The revenue engine (docs/accounting.md): a pure function from one contract's stored facts and the product
// mapping to its ASC 606 / IFRS 15 schedule — allocation per performance obligation, revenue per calendar month,
// lineage and exceptions. No I/O, no clock; money only through ./money.ts, fractions of performance through
// ./fraction.ts.
//
// Shape of the computation: every obligation (contract line) carries a list of phases. A phase starts on a date,
// carries the allocation in force from then on, and gives the unrounded cumulative fixed revenue of the line at any
// later date; contract events (amendments, credits, cancellation) add phases. Usage lines carry their records and
// the credits against them instead. Revenue of a month = round(cumulative at its end) - round(cumulative at the
// previous end), so every sum is exact to the minor unit.
import type { InboundOf, InboundType, Line, ProductMapping, Treatment } from '../../schemas/index.js';
import type { Convention } from './calendar.js';
import { addDays, memo, monthEnd, monthIndex, monthOf, monthsBetween, weight } from './calendar.js';
import type { Fraction } from './fraction.js';
import {
  NONE,
  WHOLE,
  completed,
  fractionFrom,
  fractionOf,
  progressSince,
  rationalOf,
  remainderOf,
} from './fraction.js';
import type { Dec, Minor } from './money.js';
import {
  ZERO,
  allocateLargestRemainder,
  dec,
  extend,
  formatMinor,
  formatMoney,
  maxMoney,
  minMoney,
  minus,
  minusMinor,
  plus,
  plusMinor,
  roundMoney,
  sameAmount,
  scale,
  share,
  shareMinor,
  sumMoney,
  toMinor,
} from './money.js';

type Data<T extends InboundType> = InboundOf<T>['data'];

/** A stored contract event as read from `contract-<id>`: type, data ({contractId, occurredAt, ...inbound data}), id. */
export interface ContractEvent {
  type: string;
  data: Record<string, unknown>;
  eventId: string;
}

export interface ScheduleInput {
  contractId: string;
  /** The contract's events in application order (versions in version order, other facts where they applied). */
  events: readonly ContractEvent[];
  products: readonly ProductMapping[];
  mappingVersion: number;
  /**
   * The most work the schedule may take, in steps (default: unbounded): one step per obligation per month of the
   * schedule, times the phases and usage records that obligation's cumulative is computed from at each month end.
   * Counted from the facts before the months are computed, so a contract over budget costs almost nothing and the
   * outcome does not depend on what earlier contracts left in the engine's caches.
   */
  maxSteps?: number;
}

/** A schedule that would take more steps than `ScheduleInput.maxSteps` allows; nothing of it is computed. */
export class ScheduleBudgetExceededError extends Error {
  readonly code = 'SCHEDULE_BUDGET_EXCEEDED';
  constructor(
    readonly steps: number,
    readonly maxSteps: number,
    readonly months: number,
  ) {
    super(`the schedule needs ${steps} steps (${months} months) and the derivation budget allows ${maxSteps}`);
    this.name = 'ScheduleBudgetExceededError';
  }
}

export type ExceptionCode =
  | 'NO_BOOKING'
  | 'UNMAPPED_SKU'
  | 'MISSING_SERVICE_PERIOD'
  | 'UNKNOWN_LINE'
  | 'NEGATIVE_REMAINING_CONSIDERATION'
  /** Usage recorded for days on or after the cancellation date: those days are not recognised. */
  | 'USAGE_AFTER_CANCELLATION'
  /** A credit larger than what it can reduce (the line's allocation, or the usage recognised by its date). */
  | 'CREDIT_EXCEEDS_CONSIDERATION';

export interface ScheduleException {
  code: ExceptionCode;
  message: string;
  lineId?: string;
  sku?: string;
  eventId?: string;
}

/**
 * One change of an obligation's fixed allocation. At a date, the allocation in force is the one of the last entry
 * (in list order) whose `from` is on or before that date; `from` null means from inception.
 */
export interface AllocationChange {
  from: string | null;
  allocated: string;
  eventId: string;
}

export interface Obligation {
  lineId: string;
  sku: string;
  pattern: ProductMapping['pattern'];
  convention?: Convention;
  /** Fixed consideration allocated (ASC 606-10-32-28), after modifications, price reductions and cancellation. */
  allocated: string;
  /** Every change of `allocated`, in the order the events applied (empty on usage lines). */
  allocationHistory: AllocationChange[];
  /** Variable consideration (usage) recognised on the line, net of the credits against it. */
  variable: string;
  /** Everything the schedule recognises on the line. */
  recognised: string;
  serviceStart?: string;
  serviceEnd?: string;
  /** False once the line left the contract through an amendment or the contract was cancelled. */
  active: boolean;
  /**
   * The presentation group of a line added by a `separate` modification: the amendment version. Such a modification
   * is a separate contract (ASC 606-10-25-12), presented apart (45-1). Absent on the lines of the original contract.
   */
  group?: number;
}

export interface SchedulePeriod {
  /** `YYYY-MM`. */
  period: string;
  /** Revenue of the month per line id (every obligation appears, "0.00" included). */
  lines: Record<string, string>;
  total: string;
  /** Contract revenue recognised through the end of this month. */
  cumulative: string;
}

export interface ScheduleLineage {
  lineId: string;
  /** Ids of the stored events that shaped this line, in stream order. */
  eventIds: string[];
  mappingVersion: number;
}

export interface Schedule {
  contractId: string;
  status: 'ok' | 'exception';
  currency: string | null;
  /** Fixed consideration (excludes usage), after modifications and price reductions. */
  transactionPrice: string;
  mappingVersion: number;
  obligations: Obligation[];
  periods: SchedulePeriod[];
  lineage: ScheduleLineage[];
  exceptions: ScheduleException[];
}

const BEGINNING = '0000-01-01';

interface Phase {
  from: string;
  /** Unrounded cumulative fixed revenue of the line at a date on or after `from`. */
  cum: (date: string) => Dec;
  /** The same rounded to minor units, where that is known without decimal.js; undefined: round `cum`. */
  minor?: (date: string) => Minor | undefined;
  /** The line's allocation while this phase is in force (rounded to the minor unit). */
  allocated: Dec;
  eventId: string;
}

/** The terms a phase recognises against, fixed when the phase starts. */
interface Terms {
  line: Line;
  mapping: ProductMapping;
}

interface LineState {
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

interface UsageRecord {
  start: string;
  end: string;
  /** Last day recognised: `end`, or the day before the cancellation. */
  until: string;
  amount: Dec;
}

/** Facts that do not change the contract terms, gathered before the terms are replayed. */
interface Facts {
  activations: Map<string, string>;
  milestones: Map<string, { date: string; fraction: Fraction }[]>;
  /** Per milestone line, the share completed by each date asked, keyed by how many milestone dates are on or before it. */
  milestonesDone: Map<string, { dates: string[]; done: Map<number, Fraction> }>;
  usage: Map<string, UsageRecord[]>;
  /** Per usage line, its records that run to their end (not cut by a cancellation), by end date, with running sums. */
  usageDone: Map<string, { ends: string[]; sums: Dec[] }>;
}

function dataOf<T extends InboundType>(e: ContractEvent, _type: T): Data<T> {
  // The stored data was validated by the inbound schema when it was accepted (commands/contract.ts).
  return e.data as unknown as Data<T>;
}

function isFixed(s: LineState): boolean {
  return s.mapping.pattern !== 'usage';
}

/**
 * Share of a line's performance satisfied by `date`, counting only performance on or after `from` (a prospective
 * modification re-bases what remains, ASC 606-10-25-13(a)). 1 when nothing remains to perform after `from`.
 */
function progress(s: Terms, facts: Facts, from: string, date: string): Fraction {
  const { line, mapping } = s;
  switch (mapping.pattern) {
    case 'ratable': {
      // ASC 606-10-25-27(a), 55-17: a stand-ready service transfers evenly over its service period.
      if (line.serviceStart === undefined) return NONE;
      return progressOf(s, facts, from)(date);
    }
    case 'point_in_time': {
      // ASC 606-10-25-30: control passes at a point in time: on activation, or on the service start date.
      const on = satisfiedOn(s, facts);
      return on !== undefined && on <= date ? WHOLE : NONE;
    }
    case 'milestone': {
      // An output method (ASC 606-10-55-17): each completed milestone's fraction, capped at the whole obligation.
      const done = (d: string) => completedBy(facts, line.lineId, d);
      // From inception nothing was done before: no date arithmetic for the common case.
      return progressSince(done(date), from === BEGINNING ? NONE : done(addDays(from, -1)));
    }
    case 'usage':
      return NONE;
  }
}

/**
 * `progress` of one phase as a function of the date alone: a phase asks it at every month end, and for a ratable line
 * the service period is fixed, so its shares are looked up by date in the period's table.
 */
function progressOf(s: Terms, facts: Facts, from: string): (date: string) => Fraction {
  const { line, mapping } = s;
  if (mapping.pattern !== 'ratable' || line.serviceStart === undefined) return (date) => progress(s, facts, from, date);
  const end = line.serviceEnd ?? line.serviceStart;
  const start = from > line.serviceStart ? from : line.serviceStart;
  const shares = ratableShares(`${mapping.convention ?? 'daily'}|${start}|${end}`);
  // Once the period is over the share is exactly the whole (fractionOf(w, w) is 1): no division needed.
  return (date) => (date < start ? NONE : date >= end ? WHOLE : ratableShare(shares, date));
}

/** The shares of one service period transferred by each date asked so far, and the period (`convention|start|end`). */
interface RatableShares {
  convention: Convention;
  start: string;
  end: string;
  byDate: Map<string, Fraction>;
}

/**
 * The table of a service period, shared across contracts: they share service periods and month ends, so a rebuild
 * asks the same few thousand questions for tens of thousands of lines (bench/rebuild: 12,974 periods, ~30 dates
 * each; bounded at 20,000 periods).
 */
const ratableShares = memo((key): RatableShares => {
  const [convention, start, end] = key.split('|') as [Convention, string, string];
  return { convention, start, end, byDate: new Map() };
}, 20_000);

/** The share of the service period transferred by `date` (start <= date < end). */
function ratableShare(shares: RatableShares, date: string): Fraction {
  let f = shares.byDate.get(date);
  if (f === undefined) {
    const whole = weight(shares.start, shares.end, shares.convention);
    f = whole.n === 0 ? WHOLE : fractionOf(weight(shares.start, date, shares.convention), whole);
    shares.byDate.set(date, f);
  }
  return f;
}

function satisfiedOn(s: Terms, facts: Facts): string | undefined {
  const activated = facts.activations.get(s.line.lineId);
  if (s.mapping.trigger === 'activation') return activated;
  if (s.mapping.trigger === 'service_start') return s.line.serviceStart;
  return activated ?? s.line.serviceStart;
}

/**
 * The share of a milestone line completed by `date`. The milestones completed by a date change only on a milestone
 * date, so the share is summed once per milestone date (a line is asked at every month end).
 */
function completedBy(facts: Facts, lineId: string, date: string): Fraction {
  const milestones = facts.milestones.get(lineId) ?? [];
  let memo = facts.milestonesDone.get(lineId);
  if (memo === undefined) {
    memo = { dates: [...new Set(milestones.map((m) => m.date))].sort(), done: new Map() };
    facts.milestonesDone.set(lineId, memo);
  }
  let reached = 0;
  while (reached < memo.dates.length && memo.dates[reached]! <= date) reached++;
  let done = memo.done.get(reached);
  if (done === undefined) {
    done = completed(milestones.filter((m) => m.date <= date).map((m) => m.fraction));
    memo.done.set(reached, done);
  }
  return done;
}

/** The phase in force at `date`: the last one applied that starts on or before it. */
function phaseAt(phases: readonly Phase[], date: string): Phase | undefined {
  let phase: Phase | undefined;
  for (const p of phases) if (p.from <= date) phase = p;
  return phase;
}

function cumOf(phases: readonly Phase[], date: string): Dec {
  return phaseAt(phases, date)?.cum(date) ?? ZERO;
}

/** Unrounded usage revenue recognised by `date`: each record spread evenly over the days of its usage period. */
function usageAt(facts: Facts, lineId: string, date: string): Dec {
  const records = facts.usage.get(lineId);
  if (records === undefined) return ZERO;
  // Records whose whole period is over count in full (their share is days / days, exactly 1): a running sum.
  const done = facts.usageDone.get(lineId)!;
  let over = 0;
  for (let hi = done.ends.length; over < hi;) {
    const mid = (over + hi) >>> 1;
    if (done.ends[mid]! <= date) over = mid + 1;
    else hi = mid;
  }
  let sum = over === 0 ? ZERO : done.sums[over - 1]!;
  for (const u of records) {
    if (date < u.start || u.until < u.start || (u.until === u.end && date >= u.end)) continue;
    sum = plus(
      sum,
      scale(u.amount, weight(u.start, date < u.until ? date : u.until, 'daily').n, weight(u.start, u.end, 'daily').n),
    );
  }
  return sum;
}

/**
 * Activations, milestones and usage. Usage is variable consideration for the days it covers. A cancellation ends the
 * remaining promises on its effective date (a termination modifies the contract's scope, ASC 606-10-25-10, 25-13(a)),
 * so usage on or after it transfers nothing under this contract (25-23): those days are not recognised, and the
 * record is raised for an owner to review (it may belong to a new contract, or call for a credit).
 */
function gatherFacts(
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
  for (const e of events) {
    if (e.type === 'ServiceActivated') {
      const d = dataOf(e, 'ServiceActivated');
      const prev = facts.activations.get(d.lineId);
      if (prev === undefined || d.activatedOn < prev) facts.activations.set(d.lineId, d.activatedOn);
    } else if (e.type === 'MilestoneCompleted') {
      const d = dataOf(e, 'MilestoneCompleted');
      const key = JSON.stringify([d.lineId, d.milestoneId]);
      if (seenMilestones.has(key)) continue; // a milestone completes once
      seenMilestones.add(key);
      facts.milestones.set(d.lineId, [
        ...(facts.milestones.get(d.lineId) ?? []),
        { date: d.completedOn, fraction: fractionFrom(d.fraction) },
      ]);
    } else if (e.type === 'UsageRecorded') {
      const d = dataOf(e, 'UsageRecorded');
      let until = d.periodEnd;
      if (cancelledOn !== undefined && d.periodEnd >= cancelledOn) {
        until = addDays(cancelledOn, -1);
        const days = weight(d.periodStart, d.periodEnd, 'daily').n;
        const after = days - weight(d.periodStart, until, 'daily').n;
        exceptions.push({
          code: 'USAGE_AFTER_CANCELLATION',
          message:
            `usage on line ${d.lineId} for ${d.periodStart}..${d.periodEnd} has ${after} of ${days} days on or after ` +
            `the cancellation on ${cancelledOn}; those days are not recognised`,
          lineId: d.lineId,
          eventId: e.eventId,
        });
      }
      facts.usage.set(d.lineId, [
        ...(facts.usage.get(d.lineId) ?? []),
        { start: d.periodStart, end: d.periodEnd, until, amount: dec(d.amount) },
      ]);
    }
  }
  for (const [lineId, records] of facts.usage) {
    const full = records
      .filter((u) => u.until === u.end && u.start <= u.end)
      .sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : 0));
    const sums: Dec[] = [];
    for (const u of full) sums.push(plus(sums[sums.length - 1] ?? ZERO, u.amount));
    facts.usageDone.set(lineId, { ends: full.map((u) => u.end), sums });
  }
  return facts;
}

/** Relative standalone selling price of a line: the line's `ssp` overrides the mapping's; per unit × quantity. */
function standalone(line: Line, mapping: ProductMapping): Dec {
  return extend(line.ssp ?? mapping.ssp, line.quantity);
}

/** Same terms: an amendment that repeats a line this way does not change it. */
function sameTerms(a: Line, b: Line): boolean {
  return (
    a.sku === b.sku &&
    dec(a.quantity).eq(dec(b.quantity)) &&
    sameAmount(a.amount, b.amount) &&
    sameAmount(a.ssp, b.ssp) &&
    a.serviceStart === b.serviceStart &&
    a.serviceEnd === b.serviceEnd
  );
}

export function computeSchedule(input: ScheduleInput): Schedule {
  const { contractId, events, mappingVersion } = input;
  const empty = (exceptions: ScheduleException[], currency: string | null): Schedule => ({
    contractId,
    status: 'exception',
    currency,
    transactionPrice: currency ? formatMoney(ZERO, currency) : '0',
    mappingVersion,
    obligations: [],
    periods: [],
    lineage: [],
    exceptions,
  });

  const booking = events.find((e) => e.type === 'ContractBooked');
  if (!booking) return empty([{ code: 'NO_BOOKING', message: `contract ${contractId} has no booking yet` }], null);
  const booked = dataOf(booking, 'ContractBooked');
  const currency = booked.currency;
  const products = new Map(input.products.map((p) => [p.sku, p]));

  // A SKU without a mapping is never guessed: relative SSP needs every line, so the whole contract waits.
  const unmapped = new Map<string, string>();
  for (const e of events) {
    if (e.type !== 'ContractBooked' && e.type !== 'ContractAmended') continue;
    for (const l of (e.data as { lines: Line[] }).lines) {
      if (!products.has(l.sku)) unmapped.set(l.sku, l.lineId);
    }
  }
  if (unmapped.size > 0) {
    return empty(
      [...unmapped].map(([sku, lineId]) => ({
        code: 'UNMAPPED_SKU' as const,
        message: `SKU ${sku} (line ${lineId}) has no product mapping in version ${mappingVersion}`,
        sku,
        lineId,
      })),
      currency,
    );
  }

  // The first cancellation is the one that applies (a contract ends once); usage needs its date up front.
  const cancellation = events.find((e) => e.type === 'ContractCancelled');
  const cancelledOn = cancellation ? dataOf(cancellation, 'ContractCancelled').effectiveDate : undefined;
  const exceptions: ScheduleException[] = [];
  const facts = gatherFacts(events, cancelledOn, exceptions);
  const lines = new Map<string, LineState>();
  /** Credits against usage lines, in application order: each on its date, already capped. */
  const usageCredits = new Map<string, { date: string; amount: Dec }[]>();
  const mappingOf = (l: Line): ProductMapping => products.get(l.sku) as ProductMapping;
  const round = (x: Dec): Dec => roundMoney(x, currency);
  const money = (x: Dec): string => formatMoney(x, currency);
  const recognisedBy = (s: LineState, date: string): Dec => round(cumOf(s.phases, date));
  const minor = (x: Dec): Minor | undefined => toMinor(x, currency);
  const creditedBy = (lineId: string, date: string): Dec => {
    const credits = usageCredits.get(lineId);
    return credits === undefined ? ZERO : sumMoney(credits.filter((c) => c.date <= date).map((c) => c.amount));
  };

  const apply = (s: LineState, phase: Phase) => {
    s.phases.push(phase);
    s.allocated = phase.allocated;
  };

  /** A phase from `from` that recognises `amount` over the line's remaining performance, on top of `base`. */
  const curve = (s: LineState, from: string, base: Dec, amount: Dec, eventId: string): Phase => {
    const progressAt = progressOf({ line: s.line, mapping: s.mapping }, facts, from);
    const allocated = plus(base, amount);
    const baseMinor = minor(base);
    const amountMinor = minor(amount);
    const allocatedMinor = minor(allocated);
    return {
      from,
      cum: (date) => {
        // None or all of it (the common answers once a period is over) need no arithmetic.
        const f = progressAt(date);
        if (f === WHOLE) return allocated;
        if (f === NONE) return base;
        return base.isZero() ? share(amount, f) : plus(base, share(amount, f));
      },
      // The same in whole minor units: a fraction of a service period is an exact quotient of day counts.
      minor: (date) => {
        const f = progressAt(date);
        if (f === WHOLE) return allocatedMinor;
        if (f === NONE) return baseMinor;
        const r = rationalOf(f);
        if (r === undefined || baseMinor === undefined || amountMinor === undefined) return undefined;
        return shareMinor(baseMinor, amountMinor, r.n, r.d);
      },
      allocated,
      eventId,
    };
  };

  /** A line stops on `from`: it keeps what it recognised before, and that is its allocation from then on. */
  const freeze = (s: LineState, from: string, eventId: string) => {
    const frozen = recognisedBy(s, addDays(from, -1));
    const frozenMinor = minor(frozen);
    apply(s, { from, cum: () => frozen, minor: () => frozenMinor, allocated: frozen, eventId });
  };

  /** Allocation of fixed consideration by relative standalone selling price (ASC 606-10-32-28, 32-31). */
  const allocateGroup = (group: LineState[], total: Dec, weights?: Dec[]): Dec[] =>
    allocateLargestRemainder(total, weights ?? group.map((s) => standalone(s.line, s.mapping)), currency);

  const newLine = (l: Line, eventId: string): LineState => {
    const mapping = mappingOf(l);
    if (mapping.pattern === 'ratable' && l.serviceStart === undefined) {
      exceptions.push({
        code: 'MISSING_SERVICE_PERIOD',
        message: `line ${l.lineId} (${l.sku}) is ratable but has no service period; nothing is recognised`,
        lineId: l.lineId,
        sku: l.sku,
        eventId,
      });
    }
    return {
      line: l,
      mapping,
      allocated: ZERO,
      phases: [],
      eventIds: [eventId],
      active: true,
      reduced: ZERO,
      group: 0,
    };
  };

  /** Start (or restart, as if from inception) a group of lines at its allocation, in force from `from`. */
  const fromInception = (group: LineState[], total: Dec, from: string, eventId: string) => {
    const allocations = allocateGroup(group, total);
    group.forEach((s, i) => {
      // The curve runs from inception (a cumulative catch-up when `from` is later).
      apply(s, { ...curve(s, BEGINNING, ZERO, allocations[i] ?? ZERO, eventId), from });
    });
  };

  const fixedTotal = (ls: readonly Line[]) =>
    sumMoney(ls.filter((l) => mappingOf(l).pattern !== 'usage').map((l) => dec(l.amount)));

  const excess = (e: ContractEvent, what: string, requested: Dec, cut: Dec, lineId?: string) => {
    if (!minus(requested, cut).gt(0)) return;
    exceptions.push({
      code: 'CREDIT_EXCEEDS_CONSIDERATION',
      message:
        `${e.type} of ${money(requested)} exceeds ${what} (${money(cut)}); ` +
        `${money(minus(requested, cut))} is not applied`,
      ...(lineId === undefined ? {} : { lineId }),
      eventId: e.eventId,
    });
  };

  // Booking: ASC 606-10-32-2 transaction price = fixed consideration; usage is variable consideration allocated
  // entirely to the usage obligation (606-10-32-40), so it stays out of the relative-SSP allocation.
  for (const l of booked.lines) lines.set(l.lineId, newLine(l, booking.eventId));
  fromInception([...lines.values()].filter(isFixed), fixedTotal(booked.lines), BEGINNING, booking.eventId);

  let cancelled = false;
  for (const e of events) {
    if (e === booking) continue;
    if (e.type === 'ContractAmended') amend(e, dataOf(e, 'ContractAmended'));
    else if (e.type === 'ContractCancelled') cancel(e, dataOf(e, 'ContractCancelled').effectiveDate);
    else if (e.type === 'ServiceCreditApproved') {
      const d = dataOf(e, 'ServiceCreditApproved');
      if (d.lineId === undefined) reduceContractPrice(e, d.approvedOn, dec(d.amount));
      else credit(e, d.approvedOn, [{ lineId: d.lineId, amount: d.amount }]);
    } else if (e.type === 'CreditMemoIssued') {
      // A credit memo that does not reduce the transaction price is billing only (balances), not revenue.
      const d = dataOf(e, 'CreditMemoIssued');
      if (d.reducesTransactionPrice) credit(e, d.issuedOn, d.lines);
    } else if (e.type === 'ServiceActivated' || e.type === 'MilestoneCompleted' || e.type === 'UsageRecorded') {
      const lineId = (e.data as { lineId: string }).lineId;
      const s = lines.get(lineId);
      if (s) s.eventIds.push(e.eventId);
      else unknownLine(e, lineId);
    }
  }

  function unknownLine(e: ContractEvent, lineId: string) {
    exceptions.push({
      code: 'UNKNOWN_LINE',
      message: `${e.type} names unknown line ${lineId}`,
      lineId,
      eventId: e.eventId,
    });
  }

  function amend(e: ContractEvent, d: Data<'ContractAmended'>) {
    if (cancelled) return;
    const added = d.lines.filter((l) => !lines.has(l.lineId));
    const kept = d.lines.filter((l) => lines.has(l.lineId));
    const removed = [...lines.values()].filter((s) => s.active && !d.lines.some((l) => l.lineId === s.line.lineId));
    const changesExisting =
      removed.length > 0 ||
      kept.some((l) => {
        const s = lines.get(l.lineId) as LineState;
        return !s.active || !sameTerms(s.line, l);
      });
    const treatment = resolveTreatment(d.treatment, added, changesExisting);
    const addedStates = added.map((l) => newLine(l, e.eventId));

    if (treatment === 'separate') {
      // ASC 606-10-25-12: distinct goods or services added at their standalone selling prices are a separate
      // contract, allocated within their own group. What the same amendment changes in the existing lines
      // (prices, quantities, dates, lines removed) is not part of that separate contract: it modifies the existing
      // one, prospectively (25-13(a)), on the price the amendment now gives the existing lines.
      if (changesExisting) restate(e, d, kept, removed, kept, 'prospective');
      for (const s of addedStates) {
        s.group = d.version;
        lines.set(s.line.lineId, s);
      }
      fromInception(addedStates.filter(isFixed), fixedTotal(added), BEGINNING, e.eventId);
      return;
    }
    for (const s of addedStates) lines.set(s.line.lineId, s);
    restate(e, d, kept, removed, d.lines, treatment);
  }

  /**
   * Modifies the existing contract: `removed` lines stop on the effective date, `kept` lines take their new terms,
   * and the fixed lines among `members` (those that go on) share the consideration the amendment states for them.
   * Amendment amounts state the contract as it now stands, so that consideration includes what was recognised
   * before, on the lines that go on and on those that left (ASC 606-10-25-13).
   */
  function restate(
    e: ContractEvent,
    d: Data<'ContractAmended'>,
    kept: readonly Line[],
    removed: readonly LineState[],
    members: readonly Line[],
    treatment: 'prospective' | 'cumulative_catch_up',
  ) {
    const eff = d.effectiveDate;
    const before = addDays(eff, -1);
    const recognisedBefore = new Map([...lines.values()].map((s) => [s.line.lineId, recognisedBy(s, before)]));
    // Lines that leave the contract keep what they recognised before the effective date.
    for (const s of removed) {
      if (isFixed(s)) freeze(s, eff, e.eventId);
      s.active = false;
      s.eventIds.push(e.eventId);
    }
    for (const l of kept) {
      const s = lines.get(l.lineId) as LineState;
      s.line = l;
      s.mapping = mappingOf(l);
      s.active = true;
      s.eventIds.push(e.eventId);
    }
    const group = members.map((l) => lines.get(l.lineId) as LineState).filter(isFixed);
    // The stated price, less the reductions the lines that go on carry: a prospective modification starts from the
    // transaction price as reduced, a cumulative catch-up reallocates it.
    const price = minus(fixedTotal(members), sumMoney(group.map((s) => s.reduced)));
    const negative = (what: string) =>
      exceptions.push({
        code: 'NEGATIVE_REMAINING_CONSIDERATION',
        message: `amendment v${d.version} prices the contract below ${what}; nothing more is reversed`,
        eventId: e.eventId,
      });

    if (treatment === 'cumulative_catch_up') {
      // ASC 606-10-25-13(b): the modification is part of the existing contract; reallocate as if from inception and
      // recognise the difference to date on the effective date (it falls out of the cumulative rule). Lines that
      // left the contract keep their frozen allocation, which is part of the price.
      let total = minus(
        price,
        sumMoney([...lines.values()].filter((s) => isFixed(s) && !s.active).map((s) => s.allocated)),
      );
      if (total.lt(0)) {
        negative('what the lines that left it kept');
        total = ZERO;
      }
      fromInception(group, total, eff, e.eventId);
      return;
    }

    // ASC 606-10-25-13(a): prospective — the consideration not yet recognised plus the change is allocated to the
    // obligations (or parts of them) still to be performed from the effective date.
    const recognisedFixed = sumMoney(
      [...lines.values()].filter(isFixed).map((s) => recognisedBefore.get(s.line.lineId) ?? ZERO),
    );
    let pool = minus(price, recognisedFixed);
    if (pool.lt(0)) {
      negative('what was already recognised');
      pool = ZERO;
    }
    const remainingWeights = group.map((s) =>
      share(standalone(s.line, s.mapping), remainderOf(progress(s, facts, BEGINNING, before))),
    );
    const shares = allocateGroup(group, pool, remainingWeights);
    group.forEach((s, i) => {
      apply(s, curve(s, eff, recognisedBefore.get(s.line.lineId) ?? ZERO, shares[i] ?? ZERO, e.eventId));
    });
  }

  function resolveTreatment(
    t: Treatment | undefined,
    added: readonly Line[],
    changesExisting: boolean,
  ): Exclude<Treatment, 'auto'> {
    if (t !== undefined && t !== 'auto') return t;
    // `auto`: separate when lines are only added, each priced at its standalone selling price (ASC 606-10-25-12).
    const atSsp = added.every((l) => round(standalone(l, mappingOf(l))).eq(dec(l.amount)));
    return added.length > 0 && !changesExisting && atSsp ? 'separate' : 'prospective';
  }

  function cancel(e: ContractEvent, effectiveDate: string) {
    // Cancellation ends the contract: recognition stops on the effective date (nothing after it is transferred),
    // and each line's allocation becomes what it recognised, so the transaction price is what was earned.
    if (cancelled) return;
    cancelled = true;
    for (const s of lines.values()) {
      if (!s.active) continue;
      if (isFixed(s)) freeze(s, effectiveDate, e.eventId);
      s.active = false;
      s.eventIds.push(e.eventId);
    }
  }

  /** Credits naming lines: fixed lines lower their allocation, usage lines their variable consideration. */
  function credit(e: ContractEvent, on: string, perLine: readonly { lineId: string; amount: string }[]) {
    const byLine = new Map<string, Dec>();
    for (const l of perLine) byLine.set(l.lineId, plus(byLine.get(l.lineId) ?? ZERO, dec(l.amount)));
    for (const [lineId, amount] of byLine) {
      const s = lines.get(lineId);
      if (!s) unknownLine(e, lineId);
      else if (isFixed(s)) reduceLine(e, s, on, amount);
      else creditUsage(e, s, on, amount);
    }
  }

  function reduceContractPrice(e: ContractEvent, on: string, total: Dec) {
    // ASC 606-10-32-42..44: a change in the transaction price is allocated on the same basis as at inception. Once
    // the contract is cancelled no line is active: the reduction then falls on what the lines earned.
    const withAllocation = [...lines.values()].filter((s) => isFixed(s) && s.allocated.gt(0));
    const active = withAllocation.filter((s) => s.active);
    const group = active.length > 0 ? active : withAllocation;
    const cut = minMoney(total, sumMoney(group.map((s) => s.allocated)));
    excess(e, 'the consideration allocated to the contract', total, cut);
    const parts = allocateGroup(
      group,
      cut,
      group.map((s) => s.allocated),
    );
    group.forEach((s, i) => reduceLine(e, s, on, parts[i] ?? ZERO));
  }

  function reduceLine(e: ContractEvent, s: LineState, on: string, requested: Dec) {
    // ASC 606-10-32-43..44 (or to the named line, 32-40): the part of the reduction that belongs to performance
    // already satisfied is recognised on the change date. A reduction never takes an allocation below zero.
    s.eventIds.push(e.eventId);
    const cut = minMoney(requested, s.allocated);
    excess(e, `the allocation of line ${s.line.lineId}`, requested, cut, s.line.lineId);
    if (!cut.gt(0)) return;
    // A change is not recognised before a change already applied to the line took effect: its catch-up then lands
    // on that later date, so each phase only ever scales the terms in force when it starts.
    const latest = s.phases.reduce((m, p) => (p.from > m ? p.from : m), on);
    const previous = [...s.phases];
    const a = s.allocated;
    const left = minus(a, cut);
    s.reduced = plus(s.reduced, cut);
    apply(s, {
      from: latest,
      cum: (date) => scale(cumOf(previous, date), left, a),
      allocated: left,
      eventId: e.eventId,
    });
  }

  function creditUsage(e: ContractEvent, s: LineState, on: string, requested: Dec) {
    // A credit against usage is a price concession on that line's variable consideration (ASC 606-10-32-25, 32-40,
    // 32-44), recognised as negative revenue on its date — but never more than the usage recognised on the line by
    // then, net of the earlier credits, at that date or at any later credit's date (usage revenue never turns
    // negative).
    s.eventIds.push(e.eventId);
    const lineId = s.line.lineId;
    const credits = usageCredits.get(lineId) ?? [];
    const net = (date: string) => minus(round(usageAt(facts, lineId, date)), creditedBy(lineId, date));
    const available = [on, ...credits.map((c) => c.date).filter((date) => date > on)]
      .map(net)
      .reduce((a, b) => minMoney(a, b));
    const cut = minMoney(round(requested), maxMoney(available, ZERO));
    excess(e, `the usage recognised on line ${lineId} by ${on}`, requested, cut, lineId);
    if (cut.gt(0)) usageCredits.set(lineId, [...credits, { date: on, amount: cut }]);
  }

  // Periods: every month from the first to the last date any obligation can move on.
  const states = [...lines.values()];
  const dates: string[] = [];
  for (const s of states) {
    for (const x of [s.line.serviceStart, s.line.serviceEnd, facts.activations.get(s.line.lineId)])
      if (x) dates.push(x);
    for (const m of facts.milestones.get(s.line.lineId) ?? []) dates.push(m.date);
    for (const u of facts.usage.get(s.line.lineId) ?? []) dates.push(u.start, u.end);
    for (const c of usageCredits.get(s.line.lineId) ?? []) dates.push(c.date);
    for (const p of s.phases) if (p.from !== BEGINNING) dates.push(p.from);
  }
  dates.sort();
  const first = dates.length === 0 ? null : monthOf(dates[0]!);
  const final = dates.length === 0 ? null : monthOf(dates[dates.length - 1]!);
  if (input.maxSteps !== undefined && first !== null && final !== null) {
    const count = monthIndex(final) - monthIndex(first) + 1;
    let steps = 0;
    for (const s of states) steps += count * (1 + s.phases.length + (facts.usage.get(s.line.lineId)?.length ?? 0));
    if (steps > input.maxSteps) throw new ScheduleBudgetExceededError(steps, input.maxSteps, count);
  }
  const months = first === null || final === null ? [] : monthsBetween(first, final);
  /** What a line recognised by `date`, net of its credits, in whole minor units (the amounts below are rounded). */
  const totalAt = (s: LineState, date: string): Minor => {
    const id = s.line.lineId;
    if (!facts.usage.has(id) && !usageCredits.has(id)) {
      const phase = phaseAt(s.phases, date);
      if (phase === undefined) return 0n;
      const known = phase.minor?.(date);
      if (known !== undefined) return known;
    }
    const fixed = cumOf(s.phases, date);
    const recognised = round(facts.usage.has(id) ? plus(fixed, usageAt(facts, id, date)) : fixed);
    return minor(usageCredits.has(id) ? minus(recognised, creditedBy(id, date)) : recognised)!;
  };

  // Month by month, in whole minor units: each month's revenue is a difference of rounded cumulatives, so the sums
  // are integer sums.
  const previous = new Map(states.map((s) => [s.line.lineId, 0n]));
  const zero = money(ZERO);
  let cumulative = 0n;
  let cumulativeText = zero;
  const periods: SchedulePeriod[] = months.map((period) => {
    const end = monthEnd(period);
    const amounts: Record<string, string> = {};
    let total = 0n;
    for (const s of states) {
      const id = s.line.lineId;
      const was = previous.get(id) ?? 0n;
      const now = totalAt(s, end);
      if (now === was) {
        amounts[id] = zero;
        continue;
      }
      previous.set(id, now);
      const amount = minusMinor(now, was);
      amounts[id] = formatMinor(amount, currency);
      total = plusMinor(total, amount);
    }
    if (total !== 0n) {
      cumulative = plusMinor(cumulative, total);
      cumulativeText = formatMinor(cumulative, currency);
    }
    return { period, lines: amounts, total: formatMinor(total, currency), cumulative: cumulativeText };
  });

  const last = months[months.length - 1];
  const obligations: Obligation[] = states.map((s) => {
    const recognised = previous.get(s.line.lineId) ?? 0n;
    const fixed = last ? minor(recognisedBy(s, monthEnd(last)))! : 0n;
    return {
      lineId: s.line.lineId,
      sku: s.line.sku,
      pattern: s.mapping.pattern,
      ...(s.mapping.pattern === 'ratable' ? { convention: s.mapping.convention ?? 'daily' } : {}),
      allocated: money(s.allocated),
      allocationHistory: s.phases.map((p) => ({
        from: p.from === BEGINNING ? null : p.from,
        allocated: money(p.allocated),
        eventId: p.eventId,
      })),
      variable: formatMinor(minusMinor(recognised, fixed), currency),
      recognised: formatMinor(recognised, currency),
      ...(s.line.serviceStart ? { serviceStart: s.line.serviceStart } : {}),
      ...(s.line.serviceEnd ? { serviceEnd: s.line.serviceEnd } : {}),
      active: s.active,
      ...(s.group !== 0 ? { group: s.group } : {}),
    };
  });

  return {
    contractId,
    status: exceptions.length > 0 ? 'exception' : 'ok',
    currency,
    transactionPrice: money(sumMoney(states.filter(isFixed).map((s) => s.allocated))),
    mappingVersion,
    obligations,
    periods,
    lineage: states.map((s) => ({ lineId: s.line.lineId, eventIds: s.eventIds, mappingVersion })),
    exceptions,
  };
}

/** Contract revenue recognised through the end of `period` (`YYYY-MM`). */
export function recognisedThrough(schedule: Schedule, period: string): string {
  let through: string | undefined;
  for (const p of schedule.periods) if (p.period <= period) through = p.cumulative;
  return through ?? formatMoney(ZERO, schedule.currency ?? 'USD');
}

/** Revenue per calendar year and line, summed from the monthly periods. */
export function revenueByYear(schedule: Schedule): Record<string, Record<string, string>> {
  const currency = schedule.currency ?? 'USD';
  const acc = new Map<string, Map<string, Dec>>();
  for (const p of schedule.periods) {
    const year = p.period.slice(0, 4);
    const row = acc.get(year) ?? new Map<string, Dec>();
    for (const [lineId, amount] of Object.entries(p.lines)) row.set(lineId, plus(row.get(lineId) ?? ZERO, dec(amount)));
    acc.set(year, row);
  }
  return Object.fromEntries(
    [...acc].map(([year, row]) => [year, Object.fromEntries([...row].map(([l, a]) => [l, formatMoney(a, currency)]))]),
  );
}
