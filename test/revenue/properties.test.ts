// Invariants of the revenue engine for any contract: generated bookings, amendments under every treatment,
// cancellations, credits (with and without a line, against fixed and usage lines), credit memos, usage and
// milestones, in every currency precision.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InboundEvent, Line, ProductMapping, Treatment } from '../../schemas/index.js';
import { minorUnits } from '../../schemas/index.js';
import type { Obligation, Schedule } from '../../src/revenue/index.js';
import { dec, sumMoney } from '../../src/revenue/index.js';
import { ev, schedule } from './support.js';

const currencies = ['USD', 'JPY', 'BHD'] as const;
type Currency = (typeof currencies)[number];
type Kind = 'daily' | 'monthly' | 'point_in_time' | 'milestone' | 'usage';

const dayOf = (n: number): string => new Date(Date.UTC(2025, 0, 1 + n)).toISOString().slice(0, 10);
const plusDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const monthEndOf = (period: string): string =>
  new Date(Date.UTC(Number(period.slice(0, 4)), Number(period.slice(5, 7)), 0)).toISOString().slice(0, 10);

const day = fc.integer({ min: 0, max: 365 * 3 });
const units = fc.integer({ min: 0, max: 10_000_000 });
const positiveUnits = fc.integer({ min: 1, max: 2_000_000 });

const lineArb = fc.record({
  kind: fc.constantFrom<Kind>('daily', 'monthly', 'point_in_time', 'milestone', 'usage'),
  units,
  ssp: fc.integer({ min: 0, max: 1_000_000 }),
  start: day,
  length: fc.integer({ min: 0, max: 700 }),
  /** Milestone fractions: they always complete the obligation (the last cap at the whole). */
  milestones: fc.constantFrom(['1'], ['0.5', '0.5'], ['0.25', '0.75'], ['0.6', '0.6']),
  milestoneDays: fc.array(day, { minLength: 2, maxLength: 2 }),
});
type GenLine = typeof lineArb extends fc.Arbitrary<infer T> ? T : never;

const opArb = fc.oneof(
  fc.record({
    op: fc.constant('amend' as const),
    day,
    treatment: fc.constantFrom<Treatment>('auto', 'separate', 'prospective', 'cumulative_catch_up'),
    changes: fc.array(
      fc.record({ pick: fc.nat(), what: fc.constantFrom('keep', 'price', 'dates', 'remove'), units, start: day }),
      { maxLength: 3 },
    ),
    adds: fc.array(lineArb, { maxLength: 2 }),
    atSsp: fc.boolean(),
  }),
  fc.record({ op: fc.constant('cancel' as const), day }),
  fc.record({ op: fc.constant('credit' as const), day, pick: fc.option(fc.nat()), units: positiveUnits }),
  fc.record({
    op: fc.constant('memo' as const),
    day,
    picks: fc.array(fc.record({ pick: fc.nat(), units: positiveUnits }), { minLength: 1, maxLength: 3 }),
    reduces: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('usage' as const),
    day,
    pick: fc.nat(),
    length: fc.integer({ min: 0, max: 60 }),
    units,
  }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** Builds a contract's inbound events and mapping from the generated plan, keeping every event valid. */
function contract(
  currency: Currency,
  booking: GenLine[],
  ops: Op[],
): { events: InboundEvent[]; products: ProductMapping[] } {
  const scale = dec('10').pow(minorUnits(currency));
  const money = (u: number) => dec(String(u)).div(scale).toFixed(minorUnits(currency));
  const products: ProductMapping[] = [];
  const kinds = new Map<string, Kind>();
  const milestoneEvents: InboundEvent[] = [];
  let next = 0;
  const make = (g: GenLine, atSsp = false): Line => {
    const lineId = `L${next++}`;
    const sku = `S-${lineId}`;
    kinds.set(lineId, g.kind);
    const ssp = money(g.ssp);
    products.push(
      g.kind === 'daily' || g.kind === 'monthly'
        ? { sku, pattern: 'ratable', convention: g.kind, ssp }
        : g.kind === 'point_in_time'
          ? { sku, pattern: 'point_in_time', trigger: 'service_start', ssp }
          : { sku, pattern: g.kind, ssp },
    );
    if (g.kind === 'milestone') {
      g.milestones.forEach((fraction, i) =>
        milestoneEvents.push(
          ev('MilestoneCompleted', {
            lineId,
            milestoneId: `m${i}`,
            completedOn: dayOf(g.milestoneDays[i] ?? 0),
            fraction,
          }),
        ),
      );
    }
    const start = dayOf(g.start);
    return {
      lineId,
      sku,
      quantity: '1',
      amount: g.kind === 'usage' ? money(0) : atSsp ? ssp : money(g.units),
      ...(g.kind === 'milestone' ? {} : { serviceStart: start, serviceEnd: plusDays(start, g.length) }),
    };
  };

  let current = booking.map((g) => make(g));
  const events: InboundEvent[] = [
    ev('ContractBooked', {
      version: 1,
      customerId: 'CU',
      legalEntity: 'E1',
      currency,
      bookingDate: '2025-01-01',
      lines: current,
    }),
    ...milestoneEvents.splice(0),
  ];
  const all: Line[] = [...current];
  let version = 1;
  let cancelled = false;
  const usageLines = () => all.filter((l) => kinds.get(l.lineId) === 'usage');
  for (const o of ops) {
    if (o.op === 'amend' && !cancelled) {
      const lines = [...current];
      const removed = new Set<string>();
      for (const c of o.changes) {
        const i = c.pick % lines.length;
        const l = lines[i] as Line;
        if (c.what === 'remove') removed.add(l.lineId);
        else if (c.what === 'price' && kinds.get(l.lineId) !== 'usage') lines[i] = { ...l, amount: money(c.units) };
        else if (c.what === 'dates' && l.serviceStart !== undefined)
          lines[i] = { ...l, serviceStart: dayOf(c.start), serviceEnd: plusDays(dayOf(c.start), c.units % 500) };
      }
      let kept = lines.filter((l) => !removed.has(l.lineId));
      const added = o.adds.map((g) => make(g, o.atSsp));
      if (kept.length + added.length === 0) kept = lines.slice(0, 1);
      current = [...kept, ...added];
      all.push(...added);
      version += 1;
      events.push(
        ev('ContractAmended', { version, effectiveDate: dayOf(o.day), treatment: o.treatment, lines: current }),
        ...milestoneEvents.splice(0),
      );
    } else if (o.op === 'cancel' && !cancelled) {
      cancelled = true;
      version += 1;
      events.push(ev('ContractCancelled', { version, effectiveDate: dayOf(o.day) }));
    } else if (o.op === 'credit') {
      const named = o.pick === null ? undefined : all[o.pick % all.length];
      events.push(
        ev('ServiceCreditApproved', {
          creditId: `SC${events.length}`,
          ...(named ? { lineId: named.lineId } : {}),
          amount: money(o.units),
          approvedOn: dayOf(o.day),
          reason: 'generated',
        }),
      );
    } else if (o.op === 'memo') {
      const lines = new Map(o.picks.map((p) => [(all[p.pick % all.length] as Line).lineId, money(p.units)]));
      events.push(
        ev('CreditMemoIssued', {
          creditMemoId: `CM${events.length}`,
          issuedOn: dayOf(o.day),
          lines: [...lines].map(([lineId, amount]) => ({ lineId, amount })),
          reducesTransactionPrice: o.reduces,
        }),
      );
    } else if (o.op === 'usage') {
      const usage = usageLines();
      const l = usage[o.pick % Math.max(1, usage.length)];
      if (l)
        events.push(
          ev('UsageRecorded', {
            lineId: l.lineId,
            periodStart: dayOf(o.day),
            periodEnd: plusDays(dayOf(o.day), o.length),
            quantity: '1',
            amount: money(o.units % 100_000),
          }),
        );
    }
  }
  return { events, products };
}

/** Revenue of one line recognised through the end of each period. */
function cumulativeOf(s: Schedule, lineId: string): { end: string; amount: ReturnType<typeof dec> }[] {
  let running = dec('0');
  return s.periods.map((p) => {
    running = running.plus(dec(p.lines[lineId] ?? '0'));
    return { end: monthEndOf(p.period), amount: running };
  });
}

/** The allocation in force at a date: the last change applied whose `from` is on or before it. */
function allocationAt(o: Obligation, date: string): ReturnType<typeof dec> {
  let inForce: string | undefined;
  for (const c of o.allocationHistory) if (c.from === null || c.from <= date) inForce = c.allocated;
  return dec(inForce ?? '0');
}

describe('invariants for any contract', () => {
  it('a booking alone: allocations sum to the transaction price (the sum of the lines) and each obligation’s periods sum to its allocation', () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.array(lineArb, { minLength: 1, maxLength: 5 }), (currency, ls) => {
        const { events, products } = contract(currency, ls, []);
        const s = schedule('P', events, products);
        expect(s.status).toBe('ok');
        const booked = events[0] as Extract<InboundEvent, { type: 'ContractBooked' }>;
        const fixed = booked.data.lines.filter((l) => ls[Number(l.lineId.slice(1))]?.kind !== 'usage');
        const total = sumMoney(fixed.map((l) => dec(l.amount)));
        expect(dec(s.transactionPrice).eq(total)).toBe(true);
        expect(sumMoney(s.obligations.map((o) => dec(o.allocated))).eq(total)).toBe(true);
        const last = s.periods[s.periods.length - 1];
        expect(last === undefined ? total.isZero() : dec(last.cumulative).eq(total)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('with amendments, cancellations, credits and usage: allocations sum to the transaction price, fixed revenue never exceeds the allocation in force and ends exactly at the allocation, usage revenue never turns negative', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies),
        fc.array(lineArb, { minLength: 1, maxLength: 4 }),
        fc.array(opArb, { maxLength: 6 }),
        (currency, ls, ops) => {
          const { events, products } = contract(currency, ls, ops);
          const s = schedule('P', events, products);
          expect(s.exceptions.map((x) => x.code)).not.toContain('UNMAPPED_SKU');
          expect(sumMoney(s.obligations.map((o) => dec(o.allocated))).eq(dec(s.transactionPrice))).toBe(true);
          for (const o of s.obligations) {
            const path = cumulativeOf(s, o.lineId);
            const end = path[path.length - 1]?.amount ?? dec('0');
            if (o.pattern === 'usage') {
              expect(o.allocated).toBe(dec('0').toFixed(minorUnits(currency)));
              for (const p of path)
                expect({ lineId: o.lineId, end: p.end, negative: p.amount.lt(0) }).toMatchObject({ negative: false });
              expect(end.eq(dec(o.variable))).toBe(true);
              continue;
            }
            // Once the schedule ends, the periods of a fixed obligation sum to its allocation exactly.
            expect({ lineId: o.lineId, recognised: end.toString() }).toEqual({
              lineId: o.lineId,
              recognised: dec(o.allocated).toString(),
            });
            for (const p of path) {
              const cap = allocationAt(o, p.end);
              expect({
                lineId: o.lineId,
                end: p.end,
                withinAllocation: p.amount.gte(0) && p.amount.lte(cap),
              }).toMatchObject({
                withinAllocation: true,
              });
            }
            expect(o.allocationHistory[o.allocationHistory.length - 1]?.allocated).toBe(o.allocated);
          }
          const last = s.periods[s.periods.length - 1];
          const recognised = sumMoney(s.obligations.map((o) => dec(o.recognised)));
          expect(last === undefined ? recognised.isZero() : dec(last.cumulative).eq(recognised)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
