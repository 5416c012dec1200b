// The revenue engine (DESIGN.md "Revenue engine"): a pure function from one contract's stored facts and the product
// mapping to its ASC 606 / IFRS 15 schedule — allocation per performance obligation, revenue per calendar month,
// lineage and exceptions. No I/O, no clock; money only through ./money.ts.
//
// Shape of the computation: every obligation (contract line) carries a list of phases. A phase starts on a date and
// gives the unrounded cumulative revenue of the line at any later date; contract events (amendments, credits,
// cancellation) add phases. Revenue of a month = round(cumulative at its end) - round(cumulative at the previous end),
// so every sum is exact to the minor unit.
import type { InboundOf, InboundType, Line, ProductMapping, Treatment } from '../../schemas/index.js';
import type { Convention, Ratio } from './calendar.js';
import { addDays, monthEnd, monthOf, monthsBetween, weight } from './calendar.js';
import { Dec, ZERO, allocateLargestRemainder, dec, formatMoney, roundMoney, sumMoney } from './money.js';

type Data<T extends InboundType> = InboundOf<T>['data'];

/** A stored contract event as read from `contract-<id>`: type, data ({contractId, occurredAt, ...inbound data}), id. */
export interface ContractEvent {
  type: string;
  data: Record<string, unknown>;
  eventId: string;
}

export interface ScheduleInput {
  contractId: string;
  /** The contract stream's events in version / arrival order. */
  events: readonly ContractEvent[];
  products: readonly ProductMapping[];
  mappingVersion: number;
}

export type ExceptionCode =
  'NO_BOOKING' | 'UNMAPPED_SKU' | 'MISSING_SERVICE_PERIOD' | 'UNKNOWN_LINE' | 'NEGATIVE_REMAINING_CONSIDERATION';

export interface ScheduleException {
  code: ExceptionCode;
  message: string;
  lineId?: string;
  sku?: string;
  eventId?: string;
}

export interface Obligation {
  lineId: string;
  sku: string;
  pattern: ProductMapping['pattern'];
  convention?: Convention;
  /** Fixed consideration allocated (ASC 606-10-32-28), after modifications and price reductions. */
  allocated: string;
  /** Variable consideration (usage) recognised on the line. */
  variable: string;
  /** Everything the schedule recognises on the line. */
  recognised: string;
  serviceStart?: string;
  serviceEnd?: string;
  /** False once the line left the contract through an amendment or the contract was cancelled. */
  active: boolean;
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
}

/** Facts that do not change the contract terms, gathered before the terms are replayed. */
interface Facts {
  activations: Map<string, string>;
  milestones: Map<string, { date: string; fraction: Dec }[]>;
  usage: Map<string, { start: string; end: string; amount: Dec }[]>;
}

function dataOf<T extends InboundType>(e: ContractEvent, _type: T): Data<T> {
  // The stored data was validated by the inbound schema when it was accepted (commands/contract.ts).
  return e.data as unknown as Data<T>;
}

const ratio = (r: Ratio, x: Dec): Dec => x.mul(r.n).div(r.d);
const fraction = (num: Ratio, den: Ratio): Dec => dec(String(num.n * den.d)).div(num.d * den.n);

function isFixed(s: LineState): boolean {
  return s.mapping.pattern !== 'usage';
}

/**
 * Share of a line's performance satisfied by `date`, counting only performance on or after `from` (a prospective
 * modification re-bases what remains, ASC 606-10-25-13(a)). 1 when nothing remains to perform after `from`.
 */
function progress(s: Terms, facts: Facts, from: string, date: string): Dec {
  const { line, mapping } = s;
  switch (mapping.pattern) {
    case 'ratable': {
      // ASC 606-10-25-27(a), 55-17: a stand-ready service transfers evenly over its service period.
      if (line.serviceStart === undefined) return ZERO;
      const end = line.serviceEnd ?? line.serviceStart;
      const start = from > line.serviceStart ? from : line.serviceStart;
      if (date < start) return ZERO;
      const convention = mapping.convention ?? 'daily';
      const whole = weight(start, end, convention);
      if (whole.n === 0) return dec('1');
      return fraction(weight(start, date < end ? date : end, convention), whole);
    }
    case 'point_in_time': {
      // ASC 606-10-25-30: control passes at a point in time: on activation, or on the service start date.
      const on = satisfiedOn(s, facts);
      return on !== undefined && on <= date ? dec('1') : ZERO;
    }
    case 'milestone': {
      // An output method (ASC 606-10-55-17): each completed milestone's fraction, capped at the whole obligation.
      const done = (d: string) =>
        Dec.min(
          dec('1'),
          sumMoney((facts.milestones.get(line.lineId) ?? []).filter((m) => m.date <= d).map((m) => m.fraction)),
        );
      const before = done(addDays(from === BEGINNING ? '1970-01-02' : from, -1));
      const rest = dec('1').minus(before);
      if (rest.lte(0)) return dec('1');
      return Dec.max(ZERO, done(date).minus(before)).div(rest);
    }
    case 'usage':
      return ZERO;
  }
}

function satisfiedOn(s: Terms, facts: Facts): string | undefined {
  const activated = facts.activations.get(s.line.lineId);
  if (s.mapping.trigger === 'activation') return activated;
  if (s.mapping.trigger === 'service_start') return s.line.serviceStart;
  return activated ?? s.line.serviceStart;
}

function cumAt(s: LineState, date: string): Dec {
  let phase: Phase | undefined;
  for (const p of s.phases) if (p.from <= date) phase = p;
  return phase ? phase.cum(date) : ZERO;
}

/** Unrounded usage revenue recognised by `date`: each record spread evenly over the days of its usage period. */
function usageAt(facts: Facts, lineId: string, date: string): Dec {
  return sumMoney(
    (facts.usage.get(lineId) ?? []).map((u) =>
      date < u.start
        ? ZERO
        : ratio(weight(u.start, date < u.end ? date : u.end, 'daily'), u.amount).div(weight(u.start, u.end, 'daily').n),
    ),
  );
}

function gatherFacts(events: readonly ContractEvent[]): Facts {
  const facts: Facts = { activations: new Map(), milestones: new Map(), usage: new Map() };
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
        { date: d.completedOn, fraction: dec(d.fraction) },
      ]);
    } else if (e.type === 'UsageRecorded') {
      const d = dataOf(e, 'UsageRecorded');
      facts.usage.set(d.lineId, [
        ...(facts.usage.get(d.lineId) ?? []),
        { start: d.periodStart, end: d.periodEnd, amount: dec(d.amount) },
      ]);
    }
  }
  return facts;
}

/** Relative standalone selling price of a line: the line's `ssp` overrides the mapping's; per unit × quantity. */
function standalone(line: Line, mapping: ProductMapping): Dec {
  return dec(line.ssp ?? mapping.ssp).mul(dec(line.quantity));
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

  const facts = gatherFacts(events);
  const exceptions: ScheduleException[] = [];
  const lines = new Map<string, LineState>();
  const mappingOf = (l: Line): ProductMapping => products.get(l.sku) as ProductMapping;
  const round = (x: Dec): Dec => roundMoney(x, currency);
  const recognisedBy = (s: LineState, date: string): Dec => round(cumAt(s, date));

  /** A phase that recognises `share` over the line's remaining performance from `from`, on top of `base`. */
  const curve = (s: LineState, from: string, base: Dec, share: Dec): Phase => {
    const terms: Terms = { line: s.line, mapping: s.mapping };
    return { from, cum: (date) => base.plus(share.mul(progress(terms, facts, from, date))) };
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
    return { line: l, mapping, allocated: ZERO, phases: [], eventIds: [eventId], active: true };
  };

  /** Start (or restart, as if from inception) a group of lines at its allocation. */
  const fromInception = (group: LineState[], total: Dec, from: string) => {
    const allocations = allocateGroup(group, total);
    group.forEach((s, i) => {
      const a = allocations[i] ?? ZERO;
      s.allocated = a;
      // Phase effective from `from`, but its curve runs from inception (a cumulative catch-up).
      s.phases.push({ ...curve(s, BEGINNING, ZERO, a), from });
    });
  };

  const fixedTotal = (ls: readonly Line[]) =>
    sumMoney(ls.filter((l) => mappingOf(l).pattern !== 'usage').map((l) => dec(l.amount)));

  // Booking: ASC 606-10-32-2 transaction price = fixed consideration; usage is variable consideration allocated
  // entirely to the usage obligation (606-10-32-40), so it stays out of the relative-SSP allocation.
  for (const l of booked.lines) lines.set(l.lineId, newLine(l, booking.eventId));
  fromInception([...lines.values()].filter(isFixed), fixedTotal(booked.lines), BEGINNING);

  let cancelledOn: string | undefined;
  for (const e of events) {
    if (e === booking) continue;
    if (e.type === 'ContractAmended') amend(e, dataOf(e, 'ContractAmended'));
    else if (e.type === 'ContractCancelled') cancel(e, dataOf(e, 'ContractCancelled').effectiveDate);
    else if (e.type === 'ServiceCreditApproved') {
      const d = dataOf(e, 'ServiceCreditApproved');
      reducePrice(
        e,
        d.approvedOn,
        d.lineId === undefined ? undefined : [{ lineId: d.lineId, amount: d.amount }],
        dec(d.amount),
      );
    } else if (e.type === 'CreditMemoIssued') {
      const d = dataOf(e, 'CreditMemoIssued');
      if (d.reducesTransactionPrice) reducePrice(e, d.issuedOn, d.lines, sumMoney(d.lines.map((l) => dec(l.amount))));
    } else if (e.type === 'ServiceActivated' || e.type === 'MilestoneCompleted' || e.type === 'UsageRecorded') {
      const lineId = (e.data as { lineId: string }).lineId;
      const s = lines.get(lineId);
      if (s) s.eventIds.push(e.eventId);
      else
        exceptions.push({
          code: 'UNKNOWN_LINE',
          message: `${e.type} names unknown line ${lineId}`,
          lineId,
          eventId: e.eventId,
        });
    }
  }

  function amend(e: ContractEvent, d: Data<'ContractAmended'>) {
    if (cancelledOn !== undefined) return;
    const eff = d.effectiveDate;
    const before = addDays(eff, -1);
    const added = d.lines.filter((l) => !lines.has(l.lineId));
    const kept = d.lines.filter((l) => lines.has(l.lineId));
    const removed = [...lines.values()].filter((s) => s.active && !d.lines.some((l) => l.lineId === s.line.lineId));
    const treatment = resolveTreatment(d.treatment, added, kept);
    const addedStates = added.map((l) => newLine(l, e.eventId));

    if (treatment === 'separate') {
      // ASC 606-10-25-12: distinct goods or services added at their standalone selling prices are a separate
      // contract; the existing obligations are left as they are.
      for (const s of addedStates) lines.set(s.line.lineId, s);
      fromInception(addedStates.filter(isFixed), fixedTotal(added), BEGINNING);
      return;
    }

    // Lines that leave the contract keep what they recognised before the effective date.
    for (const s of removed) {
      const frozen = recognisedBy(s, before);
      s.phases.push({ from: eff, cum: () => frozen });
      s.allocated = frozen;
      s.active = false;
      s.eventIds.push(e.eventId);
    }
    const recognisedBefore = new Map([...lines.values()].map((s) => [s.line.lineId, recognisedBy(s, before)]));
    for (const l of kept) {
      const s = lines.get(l.lineId) as LineState;
      s.line = l;
      s.mapping = mappingOf(l);
      s.eventIds.push(e.eventId);
    }
    for (const s of addedStates) lines.set(s.line.lineId, s);
    const group = [...kept, ...added].map((l) => lines.get(l.lineId) as LineState).filter(isFixed);
    const newPrice = fixedTotal(d.lines);

    if (treatment === 'cumulative_catch_up') {
      // ASC 606-10-25-13(b): the modification is part of the existing contract; reallocate as if from inception and
      // recognise the difference to date on the effective date (it falls out of the cumulative rule).
      const removedRecognised = sumMoney(removed.map((s) => s.allocated));
      fromInception(group, newPrice.minus(removedRecognised), eff);
      return;
    }

    // ASC 606-10-25-13(a): prospective — the consideration not yet recognised plus the change is allocated to the
    // obligations (or parts of them) still to be performed from the effective date.
    const recognisedFixed = sumMoney(
      [...lines.values()].filter(isFixed).map((s) => recognisedBefore.get(s.line.lineId) ?? ZERO),
    );
    let pool = newPrice.minus(recognisedFixed);
    if (pool.isNegative()) {
      exceptions.push({
        code: 'NEGATIVE_REMAINING_CONSIDERATION',
        message: `amendment v${d.version} prices the contract below what was already recognised; nothing is reversed`,
        eventId: e.eventId,
      });
      pool = ZERO;
    }
    const remainingWeights = group.map((s) =>
      standalone(s.line, s.mapping).mul(dec('1').minus(progress(s, facts, BEGINNING, before))),
    );
    const shares = allocateGroup(group, pool, remainingWeights);
    group.forEach((s, i) => {
      const base = recognisedBefore.get(s.line.lineId) ?? ZERO;
      const share = shares[i] ?? ZERO;
      s.allocated = base.plus(share);
      s.phases.push(curve(s, eff, base, share));
    });
  }

  function resolveTreatment(t: Treatment | undefined, added: Line[], kept: Line[]): Exclude<Treatment, 'auto'> {
    if (t !== undefined && t !== 'auto') return t;
    // `auto` (DESIGN.md): separate when lines are only added, each priced at its standalone selling price.
    const unchanged = kept.every((l) => {
      const s = lines.get(l.lineId) as LineState;
      return JSON.stringify(s.line) === JSON.stringify(l);
    });
    const atSsp = added.every((l) => round(standalone(l, mappingOf(l))).eq(dec(l.amount)));
    return added.length > 0 && unchanged && atSsp && kept.length === [...lines.values()].filter((x) => x.active).length
      ? 'separate'
      : 'prospective';
  }

  function cancel(e: ContractEvent, effectiveDate: string) {
    // Cancellation ends the contract: recognition stops on the effective date (nothing after it is transferred).
    if (cancelledOn !== undefined) return;
    cancelledOn = effectiveDate;
    const before = addDays(effectiveDate, -1);
    for (const s of lines.values()) {
      if (!s.active) continue;
      const frozen = recognisedBy(s, before);
      s.phases.push({ from: effectiveDate, cum: () => frozen });
      s.active = false;
      s.eventIds.push(e.eventId);
    }
  }

  function reducePrice(
    e: ContractEvent,
    on: string,
    perLine: { lineId: string; amount: string }[] | undefined,
    total: Dec,
  ) {
    // ASC 606-10-32-42..44: a change in the transaction price is allocated on the same basis as at inception (or to
    // the named line, 32-40); the part belonging to performance already satisfied is recognised on the change date.
    const group = [...lines.values()].filter((s) => s.active && isFixed(s));
    const reductions = new Map<string, Dec>();
    if (perLine) {
      for (const l of perLine) reductions.set(l.lineId, (reductions.get(l.lineId) ?? ZERO).plus(dec(l.amount)));
    } else {
      const parts = allocateGroup(
        group,
        total,
        group.map((s) => s.allocated),
      );
      group.forEach((s, i) => reductions.set(s.line.lineId, parts[i] ?? ZERO));
    }
    for (const [lineId, r] of reductions) {
      const s = lines.get(lineId);
      if (!s || !isFixed(s) || s.allocated.isZero()) continue;
      const cut = Dec.min(r, s.allocated);
      const previous = [...s.phases];
      const a = s.allocated;
      const scaled = (date: string) => {
        let phase: Phase | undefined;
        for (const p of previous) if (p.from <= date) phase = p;
        return (phase ? phase.cum(date) : ZERO).mul(a.minus(cut)).div(a);
      };
      s.allocated = a.minus(cut);
      s.phases.push({ from: on, cum: scaled });
      s.eventIds.push(e.eventId);
    }
  }

  // Periods: every month from the first to the last date any obligation can move on.
  const states = [...lines.values()];
  const dates: string[] = [];
  for (const s of states) {
    for (const x of [s.line.serviceStart, s.line.serviceEnd, facts.activations.get(s.line.lineId)])
      if (x) dates.push(x);
    for (const m of facts.milestones.get(s.line.lineId) ?? []) dates.push(m.date);
    for (const u of facts.usage.get(s.line.lineId) ?? []) dates.push(u.start, u.end);
    for (const p of s.phases) if (p.from !== BEGINNING) dates.push(p.from);
  }
  dates.sort();
  const months =
    dates.length === 0 ? [] : monthsBetween(monthOf(dates[0] as string), monthOf(dates[dates.length - 1] as string));
  const totalAt = (s: LineState, date: string) => round(cumAt(s, date).plus(usageAt(facts, s.line.lineId, date)));

  const previous = new Map(states.map((s) => [s.line.lineId, ZERO]));
  let cumulative = ZERO;
  const periods: SchedulePeriod[] = months.map((period) => {
    const end = monthEnd(period);
    const amounts: Record<string, string> = {};
    let total = ZERO;
    for (const s of states) {
      const now = totalAt(s, end);
      const amount = now.minus(previous.get(s.line.lineId) ?? ZERO);
      previous.set(s.line.lineId, now);
      amounts[s.line.lineId] = formatMoney(amount, currency);
      total = total.plus(amount);
    }
    cumulative = cumulative.plus(total);
    return {
      period,
      lines: amounts,
      total: formatMoney(total, currency),
      cumulative: formatMoney(cumulative, currency),
    };
  });

  const obligations: Obligation[] = states.map((s) => {
    const recognised = previous.get(s.line.lineId) ?? ZERO;
    const last = months[months.length - 1];
    const fixed = last ? round(cumAt(s, monthEnd(last))) : ZERO;
    return {
      lineId: s.line.lineId,
      sku: s.line.sku,
      pattern: s.mapping.pattern,
      ...(s.mapping.pattern === 'ratable' ? { convention: s.mapping.convention ?? 'daily' } : {}),
      allocated: formatMoney(s.allocated, currency),
      variable: formatMoney(recognised.minus(fixed), currency),
      recognised: formatMoney(recognised, currency),
      ...(s.line.serviceStart ? { serviceStart: s.line.serviceStart } : {}),
      ...(s.line.serviceEnd ? { serviceEnd: s.line.serviceEnd } : {}),
      active: s.active,
    };
  });

  return {
    contractId,
    status: exceptions.length > 0 ? 'exception' : 'ok',
    currency,
    transactionPrice: formatMoney(sumMoney(states.filter(isFixed).map((s) => s.allocated)), currency),
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
    for (const [lineId, amount] of Object.entries(p.lines))
      row.set(lineId, (row.get(lineId) ?? ZERO).plus(dec(amount)));
    acc.set(year, row);
  }
  return Object.fromEntries(
    [...acc].map(([year, row]) => [year, Object.fromEntries([...row].map(([l, a]) => [l, formatMoney(a, currency)]))]),
  );
}
