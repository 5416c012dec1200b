// Rules of the revenue engine, one at a time, plus the invariants that must hold for any contract.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InboundEvent, Line, ProductMapping } from '../../schemas/index.js';
import { minorUnits } from '../../schemas/index.js';
import { allocateLargestRemainder, dec, sumMoney } from '../../src/revenue/index.js';
import { amountIn, ev, schedule } from './support.js';

const booked = (lines: Line[], currency = 'USD'): InboundEvent =>
  ev('ContractBooked', {
    version: 1,
    customerId: 'CU',
    legalEntity: 'US01',
    currency,
    bookingDate: '2026-01-01',
    lines,
  });

const ratable = (sku: string, ssp: string, convention?: 'daily' | 'monthly'): ProductMapping => ({
  sku,
  pattern: 'ratable',
  ssp,
  ...(convention ? { convention } : {}),
});

const year2026 = { serviceStart: '2026-01-01', serviceEnd: '2026-12-31' };

describe('largest-remainder allocation', () => {
  it('gives the leftover minor units to the largest remainders, ties in input order, summing exactly', () => {
    const parts = allocateLargestRemainder(dec('100.00'), [dec('1'), dec('1'), dec('1')], 'USD');
    expect(parts.map((p) => p.toFixed(2))).toEqual(['33.34', '33.33', '33.33']);
    expect(sumMoney(parts).toFixed(2)).toBe('100.00');
  });

  it('splits a 3-decimal currency (BHD) in fils', () => {
    const parts = allocateLargestRemainder(dec('10.000'), [dec('5'), dec('5'), dec('5')], 'BHD');
    expect(parts.map((p) => p.toFixed(3))).toEqual(['3.334', '3.333', '3.333']);
  });

  it('splits a 0-decimal currency (JPY) in whole yen', () => {
    const parts = allocateLargestRemainder(dec('100'), [dec('1'), dec('2')], 'JPY');
    expect(parts.map((p) => p.toFixed(0))).toEqual(['33', '67']);
  });
});

describe('ratable recognition', () => {
  const line = { lineId: 'L', sku: 'SUB', quantity: '1', amount: '1200.00', ...year2026 };

  it('the monthly convention weighs each full calendar month the same', () => {
    const s = schedule('C-1', [booked([line])], [ratable('SUB', '1200.00', 'monthly')]);
    expect(amountIn(s, '2026-01', 'L')).toBe('100.00');
    expect(amountIn(s, '2026-02', 'L')).toBe('100.00');
    expect(s.periods).toHaveLength(12);
  });

  it('the daily convention (default) weighs each day the same, with cumulative rounding', () => {
    const s = schedule('C-1', [booked([line])], [ratable('SUB', '1200.00')]);
    expect(amountIn(s, '2026-01', 'L')).toBe('101.92'); // 1200 × 31/365 = 101.9178
    expect(amountIn(s, '2026-02', 'L')).toBe('92.05'); // round(1200 × 59/365) − 101.92
    expect(s.obligations[0]?.convention).toBe('daily');
  });

  it('a leap-year February has 29 days under the daily convention', () => {
    const l = { ...line, amount: '366.00', serviceStart: '2028-01-01', serviceEnd: '2028-12-31' };
    const s = schedule('C-1', [booked([l])], [ratable('SUB', '366.00')]);
    expect(amountIn(s, '2028-02', 'L')).toBe('29.00');
  });

  it('a partial leap-year February weighs days covered / 29 under the monthly convention', () => {
    const l = { ...line, amount: '100.00', serviceStart: '2028-02-15', serviceEnd: '2028-03-14' };
    const s = schedule('C-1', [booked([l])], [ratable('SUB', '100.00', 'monthly')]);
    // weights 15/29 and 14/31: February = 100 × (15/29) / (15/29 + 14/31) = 53.3869
    expect(amountIn(s, '2028-02', 'L')).toBe('53.39');
    expect(amountIn(s, '2028-03', 'L')).toBe('46.61');
  });

  it('a one-day service period is recognised whole on that day', () => {
    const l = { ...line, amount: '10.00', serviceStart: '2026-05-15', serviceEnd: '2026-05-15' };
    const s = schedule('C-1', [booked([l])], [ratable('SUB', '10.00')]);
    expect(s.periods.map((p) => [p.period, p.lines.L])).toEqual([['2026-05', '10.00']]);
  });

  it('rounds half up to the fils in a 3-decimal currency (BHD)', () => {
    const l = { ...line, amount: '1.000', serviceStart: '2026-01-01', serviceEnd: '2026-03-31' };
    const s = schedule('C-1', [booked([l], 'BHD')], [ratable('SUB', '1.000', 'monthly')]);
    expect(s.periods.map((p) => p.lines.L)).toEqual(['0.333', '0.334', '0.333']);
    expect(s.transactionPrice).toBe('1.000');
  });
});

describe('allocation by relative standalone selling price (ASC 606-10-32-28)', () => {
  const products = [ratable('A', '100.00', 'monthly'), ratable('FREE', '0.00', 'monthly'), ratable('GIFT', '50.00')];

  it('a zero-price line with no standalone value gets nothing and recognises nothing', () => {
    const s = schedule(
      'C-1',
      [
        booked([
          { lineId: 'A', sku: 'A', quantity: '1', amount: '100.00', ...year2026 },
          { lineId: 'Z', sku: 'FREE', quantity: '1', amount: '0.00', ...year2026 },
        ]),
      ],
      products,
    );
    expect(s.obligations.map((o) => [o.lineId, o.allocated])).toEqual([
      ['A', '100.00'],
      ['Z', '0.00'],
    ]);
    expect(s.periods.every((p) => p.lines.Z === '0.00')).toBe(true);
  });

  it('a free line with a standalone selling price takes its share of the discount', () => {
    const s = schedule(
      'C-1',
      [
        booked([
          { lineId: 'A', sku: 'A', quantity: '1', amount: '100.00', ...year2026 },
          { lineId: 'G', sku: 'GIFT', quantity: '1', amount: '0.00', ...year2026 },
        ]),
      ],
      products,
    );
    expect(s.obligations.map((o) => o.allocated)).toEqual(['66.67', '33.33']);
  });

  it('a line ssp overrides the mapping ssp, per unit × quantity', () => {
    const s = schedule(
      'C-1',
      [
        booked([
          { lineId: 'A', sku: 'A', quantity: '1', amount: '90.00', ...year2026 },
          { lineId: 'B', sku: 'A', quantity: '2', amount: '0.00', ssp: '25.00', ...year2026 },
        ]),
      ],
      products,
    );
    expect(s.obligations.map((o) => o.allocated)).toEqual(['60.00', '30.00']);
  });
});

describe('exceptions', () => {
  it('a SKU without a mapping makes the contract an exception; nothing is guessed', () => {
    const s = schedule(
      'C-1',
      [booked([{ lineId: 'X', sku: 'NOPE', quantity: '1', amount: '10.00', ...year2026 }])],
      [ratable('A', '1.00')],
    );
    expect(s.status).toBe('exception');
    expect(s.exceptions).toMatchObject([{ code: 'UNMAPPED_SKU', sku: 'NOPE', lineId: 'X' }]);
    expect(s.obligations).toEqual([]);
    expect(s.periods).toEqual([]);
  });

  it('a contract without a booking is an exception', () => {
    const s = schedule('C-1', [], []);
    expect(s.exceptions).toMatchObject([{ code: 'NO_BOOKING' }]);
  });
});

describe('contract changes', () => {
  const line = { lineId: 'L', sku: 'SUB', quantity: '1', amount: '1200.00', ...year2026 };
  const products = [ratable('SUB', '1200.00', 'monthly')];

  it('a cancellation stops recognition on its effective date', () => {
    const s = schedule(
      'C-1',
      [booked([line]), ev('ContractCancelled', { version: 2, effectiveDate: '2026-04-01' })],
      products,
    );
    expect(['2026-03', '2026-04', '2026-05'].map((p) => amountIn(s, p, 'L'))).toEqual(['100.00', '0.00', '0.00']);
    expect(s.obligations[0]?.recognised).toBe('300.00');
    expect(s.obligations[0]?.active).toBe(false);
  });

  it('a service credit lowers the transaction price and catches up the satisfied share on approval', () => {
    const s = schedule(
      'C-1',
      [
        booked([line]),
        ev('ServiceCreditApproved', { creditId: 'SC1', amount: '120.00', approvedOn: '2026-07-01', reason: 'outage' }),
      ],
      products,
    );
    expect(s.transactionPrice).toBe('1080.00');
    expect(amountIn(s, '2026-06', 'L')).toBe('100.00');
    expect(amountIn(s, '2026-07', 'L')).toBe('30.00'); // 1080 × 7/12 − 600
    expect(amountIn(s, '2026-08', 'L')).toBe('90.00');
    expect(s.obligations[0]?.recognised).toBe('1080.00');
    expect(s.lineage[0]?.eventIds).toHaveLength(2);
  });

  it('a prospective modification spreads unrecognised consideration plus the change over what remains', () => {
    const dropped = { lineId: 'D', sku: 'SUB', quantity: '1', amount: '1200.00', ...year2026 };
    const s = schedule(
      'C-1',
      [
        booked([line, dropped]),
        ev('ContractAmended', {
          version: 2,
          effectiveDate: '2026-07-01',
          treatment: 'prospective',
          lines: [{ ...line, amount: '1800.00' }],
        }),
      ],
      products,
    );
    // L: 600 recognised by June; D leaves with its 600; 1800 − 1200 recognised = 600 over July–December.
    expect(amountIn(s, '2026-07', 'L')).toBe('100.00');
    expect(amountIn(s, '2026-07', 'D')).toBe('0.00');
    expect(s.obligations.map((o) => [o.lineId, o.allocated, o.recognised, o.active])).toEqual([
      ['L', '1200.00', '1200.00', true],
      ['D', '600.00', '600.00', false],
    ]);
    expect(s.transactionPrice).toBe('1800.00');
  });

  it('a cumulative catch-up modification recognises the difference to date on the effective date', () => {
    const s = schedule(
      'C-1',
      [
        booked([line]),
        ev('ContractAmended', {
          version: 2,
          effectiveDate: '2026-07-01',
          treatment: 'cumulative_catch_up',
          lines: [{ ...line, amount: '2400.00' }],
        }),
      ],
      products,
    );
    expect(amountIn(s, '2026-06', 'L')).toBe('100.00');
    expect(amountIn(s, '2026-07', 'L')).toBe('800.00'); // 2400 × 7/12 − 600
    expect(s.obligations[0]?.recognised).toBe('2400.00');
  });

  it('auto treats lines added at their standalone selling price as a separate contract', () => {
    const added = { lineId: 'N', sku: 'SUB', quantity: '1', amount: '1200.00', ...year2026 };
    const s = schedule(
      'C-1',
      [
        booked([{ ...line, amount: '600.00' }]),
        ev('ContractAmended', {
          version: 2,
          effectiveDate: '2026-07-01',
          treatment: 'auto',
          lines: [{ ...line, amount: '600.00' }, added],
        }),
      ],
      products,
    );
    expect(s.obligations.map((o) => [o.lineId, o.allocated])).toEqual([
      ['L', '600.00'],
      ['N', '1200.00'],
    ]);
    expect(s.transactionPrice).toBe('1800.00');
  });

  it('a point-in-time obligation with the activation trigger is recognised when the service is activated', () => {
    const s = schedule(
      'C-1',
      [
        booked([{ lineId: 'K', sku: 'KEY', quantity: '1', amount: '50.00' }]),
        ev('ServiceActivated', { lineId: 'K', activatedOn: '2026-02-03' }),
      ],
      [{ sku: 'KEY', pattern: 'point_in_time', trigger: 'activation', ssp: '50.00' }],
    );
    expect(s.periods.map((p) => [p.period, p.lines.K])).toEqual([['2026-02', '50.00']]);
  });
});

describe('milestones and usage', () => {
  it('completed milestone fractions are capped at the allocation', () => {
    const s = schedule(
      'C-1',
      [
        booked([{ lineId: 'M', sku: 'IMPL', quantity: '1', amount: '100.00' }]),
        ev('MilestoneCompleted', { lineId: 'M', milestoneId: 'a', completedOn: '2026-02-10', fraction: '0.6' }),
        ev('MilestoneCompleted', { lineId: 'M', milestoneId: 'b', completedOn: '2026-03-10', fraction: '0.6' }),
      ],
      [{ sku: 'IMPL', pattern: 'milestone', ssp: '100.00' }],
    );
    expect(s.periods.map((p) => [p.period, p.lines.M])).toEqual([
      ['2026-02', '60.00'],
      ['2026-03', '40.00'],
    ]);
  });

  it('usage is variable consideration recognised over its usage period, outside the allocation', () => {
    const s = schedule(
      'C-1',
      [
        booked([
          { lineId: 'A', sku: 'A', quantity: '1', amount: '100.00', ...year2026 },
          { lineId: 'U', sku: 'USE', quantity: '0', amount: '0.00', ...year2026 },
        ]),
        ev('UsageRecorded', {
          lineId: 'U',
          periodStart: '2026-01-16',
          periodEnd: '2026-02-15',
          quantity: '31',
          amount: '31.00',
        }),
      ],
      [ratable('A', '100.00', 'monthly'), { sku: 'USE', pattern: 'usage', ssp: '0.00' }],
    );
    expect(s.transactionPrice).toBe('100.00');
    expect(s.obligations.map((o) => [o.lineId, o.allocated, o.variable])).toEqual([
      ['A', '100.00', '0.00'],
      ['U', '0.00', '31.00'],
    ]);
    expect([amountIn(s, '2026-01', 'U'), amountIn(s, '2026-02', 'U')]).toEqual(['16.00', '15.00']);
  });
});

describe('invariants for any contract', () => {
  const currencies = ['USD', 'JPY', 'BHD'] as const;
  const day = fc
    .integer({ min: 0, max: 365 * 4 })
    .map((n) => new Date(Date.UTC(2025, 0, 1 + n)).toISOString().slice(0, 10));
  const lineArb = fc.record({
    units: fc.integer({ min: 0, max: 10_000_000 }),
    ssp: fc.integer({ min: 0, max: 1_000_000 }),
    kind: fc.constantFrom('daily', 'monthly', 'point_in_time'),
    start: day,
    length: fc.integer({ min: 0, max: 900 }),
  });

  it('allocations sum to the transaction price and each obligation’s periods sum to its allocation', () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.array(lineArb, { minLength: 1, maxLength: 5 }), (currency, ls) => {
        const scale = dec('10').pow(minorUnits(currency));
        const money = (units: number) => dec(String(units)).div(scale).toFixed(minorUnits(currency));
        const lines: Line[] = ls.map((l, i) => ({
          lineId: `L${i}`,
          sku: `S${i}`,
          quantity: '1',
          amount: money(l.units),
          serviceStart: l.start,
          serviceEnd: new Date(Date.parse(`${l.start}T00:00:00Z`) + l.length * 86_400_000).toISOString().slice(0, 10),
        }));
        const products: ProductMapping[] = ls.map((l, i) =>
          l.kind === 'point_in_time'
            ? { sku: `S${i}`, pattern: 'point_in_time', trigger: 'service_start', ssp: money(l.ssp) }
            : { sku: `S${i}`, pattern: 'ratable', convention: l.kind, ssp: money(l.ssp) },
        );
        const s = schedule('P', [booked(lines, currency)], products);
        expect(s.status).toBe('ok');
        const total = sumMoney(lines.map((l) => dec(l.amount)));
        expect(dec(s.transactionPrice).eq(total)).toBe(true);
        expect(sumMoney(s.obligations.map((o) => dec(o.allocated))).eq(total)).toBe(true);
        for (const o of s.obligations) {
          const recognised = sumMoney(s.periods.map((p) => dec(p.lines[o.lineId] ?? '0')));
          expect(recognised.eq(dec(o.allocated))).toBe(true);
        }
        const last = s.periods[s.periods.length - 1];
        expect(last && dec(last.cumulative).eq(total)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
