// Calendar arithmetic on `YYYY-MM-DD` dates for the revenue engine: day counts and the ratable weights of the
// daily and monthly conventions, as exact rationals (integers only; no money here, no clock).

export interface Ratio {
  n: number;
  d: number;
}

function parts(date: string): [number, number, number] {
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
}

/**
 * Memoises a pure function of a string key. A schedule asks the same few questions (a service period against each
 * month end) for every line and month, and a rebuild asks them for every contract; bounded by clearing when full.
 */
export function memo<T>(fn: (key: string) => T, max = 100_000): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      if (cache.size >= max) cache.clear();
      v = fn(key);
      cache.set(key, v);
    }
    return v;
  };
}

/** Days since 1970-01-01 (UTC calendar arithmetic; the date is data, not the clock). */
export const dayNumber: (date: string) => number = memo((date) => {
  const [y, m, d] = parts(date);
  return Date.UTC(y, m - 1, d) / 86_400_000;
});

export function fromDayNumber(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromDayNumber(dayNumber(date) + days);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function monthOf(date: string): string {
  return date.slice(0, 7);
}

export const monthEnd: (period: string) => string = memo((period) => {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  return `${period}-${String(daysInMonth(y, m)).padStart(2, '0')}`;
});

export function nextMonth(period: string): string {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  return m === 12 ? `${String(y + 1).padStart(4, '0')}-01` : `${period.slice(0, 4)}-${String(m + 1).padStart(2, '0')}`;
}

export function previousMonth(period: string): string {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7));
  return m === 1 ? `${String(y - 1).padStart(4, '0')}-12` : `${period.slice(0, 4)}-${String(m - 1).padStart(2, '0')}`;
}

/** Months since year 0 of a `YYYY-MM` period: the difference of two is the months between them. */
export function monthIndex(period: string): number {
  return Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1;
}

/** Every `YYYY-MM` from `first` to `last` inclusive. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let p = first; p <= last; p = nextMonth(p)) out.push(p);
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function add(a: Ratio, b: Ratio): Ratio {
  const n = a.n * b.d + b.n * a.d;
  const d = a.d * b.d;
  const g = gcd(Math.abs(n), d) || 1;
  return { n: n / g, d: d / g };
}

export type Convention = 'daily' | 'monthly';

/**
 * Weight of the days [from, to] inclusive under a convention: `daily` counts days; `monthly` counts each calendar
 * month as 1, a partial month as days covered / days in that month. Empty ranges weigh 0.
 */
export function weight(from: string, to: string, convention: Convention): Ratio {
  if (to < from) return { n: 0, d: 1 };
  if (convention === 'daily') return { n: dayNumber(to) - dayNumber(from) + 1, d: 1 };
  return monthlyWeight(`${from}|${to}`);
}

// Closed form, constant time: the first and last months in part, every month between them whole. (A month by month sum
// is the same rational, but costs the span's months per question, and a ratable line asks once per month end.)
const monthlyWeight = memo((key): Ratio => {
  const from = key.slice(0, 10);
  const to = key.slice(11);
  const [fromMonth, toMonth] = [monthOf(from), monthOf(to)];
  const part = (start: string, end: string, period: string): Ratio => {
    const dim = daysInMonth(Number(period.slice(0, 4)), Number(period.slice(5, 7)));
    const covered = dayNumber(end) - dayNumber(start) + 1;
    return covered === dim ? { n: 1, d: 1 } : { n: covered, d: dim };
  };
  if (fromMonth === toMonth) return add({ n: 0, d: 1 }, part(from, to, fromMonth));
  const whole = { n: monthIndex(toMonth) - monthIndex(fromMonth) - 1, d: 1 };
  return add(add(part(from, monthEnd(fromMonth), fromMonth), whole), part(`${toMonth}-01`, to, toMonth));
});
