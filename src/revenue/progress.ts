// Progress toward satisfying a performance obligation (ASC 606-10-25-23..30, 55-16..21): the share of a line's
// performance transferred by a date, by its mapping's pattern — ratable under its day-count convention (daily or
// monthly), at a point in time, by milestones — counting only performance on or after the start of a phase.
import type { Line, ProductMapping } from '../../schemas/index.js';
import type { Convention } from './calendar.js';
import { addDays, memo, weight } from './calendar.js';
import type { Facts } from './facts.js';
import { completedBy } from './facts.js';
import type { Fraction } from './fraction.js';
import { NONE, WHOLE, fractionOf, progressSince } from './fraction.js';
import { BEGINNING } from './types.js';

/** The terms a phase recognises against, fixed when the phase starts. */
export interface Terms {
  line: Line;
  mapping: ProductMapping;
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
  let fraction = shares.byDate.get(date);
  if (fraction === undefined) {
    const whole = weight(shares.start, shares.end, shares.convention);
    fraction = whole.n === 0 ? WHOLE : fractionOf(weight(shares.start, date, shares.convention), whole);
    shares.byDate.set(date, fraction);
  }
  return fraction;
}

/**
 * ASC 606-10-25-27(a), 55-17: a stand-ready service transfers evenly over its service period (from `serviceStart`),
 * under the mapping's convention. The period is fixed for the phase, so its shares are looked up by date.
 */
function ratableProgress(terms: Terms, serviceStart: string, from: string): (date: string) => Fraction {
  const end = terms.line.serviceEnd ?? serviceStart;
  const start = from > serviceStart ? from : serviceStart;
  const shares = ratableShares(`${terms.mapping.convention ?? 'daily'}|${start}|${end}`);
  // Once the period is over the share is exactly the whole (fractionOf(w, w) is 1): no division needed.
  return (date) => (date < start ? NONE : date >= end ? WHOLE : ratableShare(shares, date));
}

/** ASC 606-10-25-30: control passes at a point in time: on activation, or on the service start date. */
function satisfiedOn(terms: Terms, facts: Facts): string | undefined {
  const activated = facts.activations.get(terms.line.lineId);
  if (terms.mapping.trigger === 'activation') return activated;
  if (terms.mapping.trigger === 'service_start') return terms.line.serviceStart;
  return activated ?? terms.line.serviceStart;
}

/**
 * Share of a line's performance satisfied by `date`, counting only performance on or after `from` (a prospective
 * modification re-bases what remains, ASC 606-10-25-13(a)). 1 when nothing remains to perform after `from`.
 */
export function progress(terms: Terms, facts: Facts, from: string, date: string): Fraction {
  const { line, mapping } = terms;
  switch (mapping.pattern) {
    case 'ratable':
      if (line.serviceStart === undefined) return NONE;
      return ratableProgress(terms, line.serviceStart, from)(date);
    case 'point_in_time': {
      const on = satisfiedOn(terms, facts);
      return on !== undefined && on <= date ? WHOLE : NONE;
    }
    case 'milestone': {
      // An output method (ASC 606-10-55-17): each completed milestone's fraction, capped at the whole obligation.
      const done = (date: string) => completedBy(facts, line.lineId, date);
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
export function progressOf(terms: Terms, facts: Facts, from: string): (date: string) => Fraction {
  const { line, mapping } = terms;
  if (mapping.pattern !== 'ratable' || line.serviceStart === undefined)
    return (date) => progress(terms, facts, from, date);
  return ratableProgress(terms, line.serviceStart, from);
}
