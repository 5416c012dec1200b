// Rules of the revenue engine, one at a time (the invariants for any contract are in properties.test.ts).
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Line, ProductMapping } from '../../schemas/index.js';
import { allocateLargestRemainder, dec, formatMoney, sumMoney } from '../../src/revenue/index.js';
import { amountIn, booked, ev, idOf, schedule } from './support.js';

const ratable = (sku: string, ssp: string, convention?: 'daily' | 'monthly'): ProductMapping => ({
  sku,
  pattern: 'ratable',
  ssp,
  ...(convention ? { convention } : {}),
});

const year2026 = { serviceStart: '2026-01-01', serviceEnd: '2026-12-31' };

// A fixed line A (1200 over 2026, 100 a month) and a usage line U, for the usage, cancellation and credit rules.
const withUsage = {
  products: [ratable('A', '1200.00', 'monthly'), { sku: 'USE', pattern: 'usage' as const, ssp: '0.00' }],
  lines: [
    { lineId: 'A', sku: 'A', quantity: '1', amount: '1200.00', ...year2026 },
    { lineId: 'U', sku: 'USE', quantity: '0', amount: '0.00', ...year2026 },
  ],
};
const usage = (periodStart: string, periodEnd: string, amount: string) =>
  ev('UsageRecorded', { lineId: 'U', periodStart, periodEnd, quantity: '1', amount });
const serviceCredit = (amount: string, approvedOn: string, lineId?: string) =>
  ev('ServiceCreditApproved', {
    creditId: `SC-${approvedOn}`,
    ...(lineId ? { lineId } : {}),
    amount,
    approvedOn,
    reason: 'x',
  });

describe('money spelling', () => {
  it('spells any amount with exactly the minor-unit digits, rounded half up, never "-0"', () => {
    const amounts = fc
      .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 8 }))
      .map(([units, places]) => dec(`${units}e-${places}`));
    fc.assert(
      fc.property(amounts, fc.constantFrom('JPY', 'USD', 'BHD'), (amount, currency) => {
        const places = currency === 'JPY' ? 0 : currency === 'USD' ? 2 : 3;
        const expected = amount.toFixed(places, Decimal.ROUND_HALF_UP).replace(/^-(0\.?0*)$/, '$1');
        expect(formatMoney(amount, currency)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(['1200', '1200.5', '-0.004', '-0.005', '0.1'].map((a) => formatMoney(dec(a), 'USD'))).toEqual([
      '1200.00',
      '1200.50',
      '0.00',
      '-0.01',
      '0.10',
    ]);
    expect(formatMoney(dec('7'), 'BHD')).toBe('7.000');
    expect(formatMoney(dec('7.5'), 'JPY')).toBe('8');
  });
});

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

  it('a month whose cumulative falls exactly on half a cent is rounded as the 34-digit decimal share rounds it', () => {
    // 0.21 × 5/14 is exactly 0.075; 5/14 to 34 digits, and its product, are a little less: 0.07, not 0.08.
    const l = { ...line, amount: '0.21', serviceStart: '2026-01-27', serviceEnd: '2026-02-09' };
    const s = schedule('C-1', [booked([l])], [ratable('SUB', '0.21')]);
    expect(s.periods.map((p) => [p.period, p.lines.L, p.cumulative])).toEqual([
      ['2026-01', '0.07', '0.07'],
      ['2026-02', '0.14', '0.21'],
    ]);
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

  it('a milestone dated before 1970 counts from inception like any other', () => {
    const s = schedule(
      'C-1',
      [
        booked([{ lineId: 'M', sku: 'IMPL', quantity: '1', amount: '100.00' }]),
        ev('MilestoneCompleted', { lineId: 'M', milestoneId: 'a', completedOn: '1969-12-31', fraction: '0.5' }),
        ev('MilestoneCompleted', { lineId: 'M', milestoneId: 'b', completedOn: '2026-03-10', fraction: '0.25' }),
      ],
      [{ sku: 'IMPL', pattern: 'milestone', ssp: '100.00' }],
    );
    expect([amountIn(s, '1969-12', 'M'), amountIn(s, '2026-03', 'M')]).toEqual(['50.00', '25.00']);
    expect(s.obligations[0]!.recognised).toBe('75.00');
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

describe('a separate amendment that also changes existing lines (ASC 606-10-25-12, 25-13(a))', () => {
  const products = [ratable('SUB', '1200.00', 'monthly')];
  const line = { lineId: 'L', sku: 'SUB', quantity: '1', amount: '1200.00', ...year2026 };
  const secondHalf = { serviceStart: '2026-07-01', serviceEnd: '2026-12-31' };
  const separate = (lines: Line[]) =>
    ev('ContractAmended', { version: 2, effectiveDate: '2026-07-01', treatment: 'separate', lines });
  const addedN = (amount: string): Line => ({ lineId: 'N', sku: 'SUB', quantity: '1', amount, ...secondHalf });

  it('given a separate amendment that adds a line and reprices and removes existing ones, when the schedule is computed, then the added line keeps its own price and the existing lines are restated prospectively', () => {
    const dropped = { lineId: 'D', sku: 'SUB', quantity: '1', amount: '1200.00', ...year2026 };
    const amendment = separate([{ ...line, amount: '2400.00' }, addedN('1200.00')]);
    const s = schedule('C-1', [booked([line, dropped]), amendment], products);
    // Existing lines: 2400 stated − 1200 recognised by June (600 on L, 600 on D) = 1200 more for L over Jul–Dec.
    // N is its own contract: 1200 over Jul–Dec, whatever happened to the existing lines.
    const months = ['2026-06', '2026-07', '2026-12'];
    expect(months.map((p) => ['L', 'D', 'N'].map((l) => amountIn(s, p, l)))).toEqual([
      ['100.00', '100.00', '0.00'],
      ['200.00', '0.00', '200.00'],
      ['200.00', '0.00', '200.00'],
    ]);
    expect(s.obligations.map((o) => [o.lineId, o.allocated, o.recognised, o.active])).toEqual([
      ['L', '1800.00', '1800.00', true],
      ['D', '600.00', '600.00', false],
      ['N', '1200.00', '1200.00', true],
    ]);
    expect(s.transactionPrice).toBe('3600.00');
    expect(s.lineage.find((l) => l.lineId === 'D')?.eventIds).toContain(idOf(amendment));
  });

  it('given a separate amendment that also extends an existing line, when the schedule is computed, then its unrecognised consideration is spread over the new remaining period', () => {
    const s = schedule(
      'C-1',
      [booked([line]), separate([{ ...line, serviceEnd: '2027-06-30' }, addedN('600.00')])],
      products,
    );
    // L: 600 left after June, over Jul 2026–Jun 2027 = 50 a month; N: 600 over its six months.
    const amounts = [amountIn(s, '2026-07', 'L'), amountIn(s, '2027-06', 'L'), amountIn(s, '2026-07', 'N')];
    expect(amounts).toEqual(['50.00', '50.00', '100.00']);
    expect(s.obligations.map((o) => o.allocated)).toEqual(['1200.00', '600.00']);
  });

  it('given a separate amendment that repeats the existing lines unchanged, when the schedule is computed, then their allocation and recognition stay as they were', () => {
    const outage = serviceCredit('120.00', '2026-03-01');
    const s = schedule(
      'C-1',
      [booked([line]), outage, separate([{ ...line, amount: '1200.0' }, addedN('600.00')])],
      products,
    );
    // The credit stays applied: a separate contract does not reprice the existing one.
    expect(s.obligations.map((o) => o.allocated)).toEqual(['1080.00', '600.00']);
    expect(amountIn(s, '2026-08', 'L')).toBe('90.00');
  });
});

describe('usage and cancellation', () => {
  const { products, lines } = withUsage;
  const cancellation = ev('ContractCancelled', { version: 2, effectiveDate: '2026-04-01' });
  const straddling = usage('2026-03-17', '2026-04-15', '30.00');
  const after = usage('2026-04-16', '2026-04-30', '15.00');
  const before = usage('2026-02-01', '2026-02-28', '28.00');

  it('given usage whose days straddle the cancellation date, when the schedule is computed, then only the days before it are recognised and the usage is raised for review', () => {
    const s = schedule('C-1', [booked(lines), cancellation, before, straddling, after], products);
    // 15 of the 30 days (17–31 March) fall before 1 April.
    expect(['2026-02', '2026-03', '2026-04'].map((p) => amountIn(s, p, 'U'))).toEqual(['28.00', '15.00', '0.00']);
    expect(s.obligations.find((o) => o.lineId === 'U')?.variable).toBe('43.00');
    expect(s.status).toBe('exception');
    expect(s.exceptions).toMatchObject([
      { code: 'USAGE_AFTER_CANCELLATION', lineId: 'U', eventId: idOf(straddling) },
      { code: 'USAGE_AFTER_CANCELLATION', lineId: 'U', eventId: idOf(after) },
    ]);
  });

  it('given usage recorded before the cancellation arrives, when the schedule is computed, then it is cut on the cancellation date all the same', () => {
    const first = schedule('C-1', [booked(lines), before, straddling, after, cancellation], products);
    const last = schedule('C-1', [booked(lines), cancellation, before, straddling, after], products);
    expect(first.periods).toEqual(last.periods);
    expect(first.exceptions.map((x) => x.code)).toEqual(['USAGE_AFTER_CANCELLATION', 'USAGE_AFTER_CANCELLATION']);
  });

  it('given usage entirely before the cancellation date, when the schedule is computed, then it is recognised in full without an exception', () => {
    const s = schedule('C-1', [booked(lines), cancellation, before], products);
    expect(amountIn(s, '2026-02', 'U')).toBe('28.00');
    expect(s.status).toBe('ok');
  });

  it('given a cancellation, when the schedule is computed, then each line’s allocation is what it recognised and the transaction price is their sum', () => {
    const s = schedule('C-1', [booked(lines), cancellation], products);
    expect(s.obligations.map((o) => [o.lineId, o.allocated, o.recognised, o.active])).toEqual([
      ['A', '300.00', '300.00', false],
      ['U', '0.00', '0.00', false],
    ]);
    expect(s.transactionPrice).toBe('300.00');
    expect(s.obligations[0]?.allocationHistory).toEqual([
      { from: null, allocated: '1200.00', eventId: s.lineage[0]?.eventIds[0] },
      { from: '2026-04-01', allocated: '300.00', eventId: idOf(cancellation) },
    ]);
  });

  it('given a service credit after the cancellation, when the schedule is computed, then it reverses revenue the lines earned, on its approval date', () => {
    const s = schedule('C-1', [booked(lines), cancellation, serviceCredit('50.00', '2026-05-10')], products);
    expect(amountIn(s, '2026-05', 'A')).toBe('-50.00');
    expect(s.transactionPrice).toBe('250.00');
    expect(s.status).toBe('ok');
  });
});

describe('credits against usage (ASC 606-10-32-40, 32-44)', () => {
  const { products, lines } = withUsage;
  const january = usage('2026-01-01', '2026-01-31', '100.00');
  const march = usage('2026-03-01', '2026-03-31', '100.00');

  it('given a service credit naming a usage line, when the schedule is computed, then it is negative usage revenue on the approval date and the fixed price is untouched', () => {
    const credit = serviceCredit('30.00', '2026-02-10', 'U');
    const s = schedule('C-1', [booked(lines), january, credit], products);
    expect([amountIn(s, '2026-01', 'U'), amountIn(s, '2026-02', 'U')]).toEqual(['100.00', '-30.00']);
    expect(s.obligations.find((o) => o.lineId === 'U')).toMatchObject({ variable: '70.00', recognised: '70.00' });
    expect(s.transactionPrice).toBe('1200.00');
    expect(s.lineage.find((l) => l.lineId === 'U')?.eventIds).toContain(idOf(credit));
    expect(s.status).toBe('ok');
  });

  it('given a credit larger than the usage recognised by its date, when the schedule is computed, then it is capped there and the excess is an exception', () => {
    const credit = serviceCredit('150.00', '2026-02-10', 'U');
    // March usage comes after the credit date: it does not make room for the credit.
    const s = schedule('C-1', [booked(lines), january, march, credit], products);
    expect(['2026-01', '2026-02', '2026-03'].map((p) => amountIn(s, p, 'U'))).toEqual(['100.00', '-100.00', '100.00']);
    expect(s.exceptions).toMatchObject([{ code: 'CREDIT_EXCEEDS_CONSIDERATION', lineId: 'U', eventId: idOf(credit) }]);
    expect(s.exceptions[0]?.message).toContain('50.00');
  });

  it('given a later-dated credit already applied, when an earlier-dated credit arrives, then it is capped so that usage revenue never turns negative', () => {
    const late = serviceCredit('80.00', '2026-02-20', 'U');
    const early = serviceCredit('50.00', '2026-02-05', 'U');
    const s = schedule('C-1', [booked(lines), january, late, early], products);
    expect(amountIn(s, '2026-02', 'U')).toBe('-100.00');
    expect(s.exceptions).toMatchObject([{ code: 'CREDIT_EXCEEDS_CONSIDERATION', eventId: idOf(early) }]);
  });

  it('given a price-reducing credit memo over a fixed and a usage line, when the schedule is computed, then each line is reduced by its own amount', () => {
    const memo = ev('CreditMemoIssued', {
      creditMemoId: 'CM',
      issuedOn: '2026-02-10',
      lines: [
        { lineId: 'A', amount: '120.00' },
        { lineId: 'U', amount: '5.00' },
      ],
      reducesTransactionPrice: true,
    });
    const s = schedule('C-1', [booked(lines), january, memo], products);
    expect(s.obligations.map((o) => [o.lineId, o.allocated, o.recognised])).toEqual([
      ['A', '1080.00', '1080.00'],
      ['U', '0.00', '95.00'],
    ]);
    expect(amountIn(s, '2026-02', 'U')).toBe('-5.00');
    expect(s.transactionPrice).toBe('1080.00');
  });

  it('given a credit memo that does not reduce the transaction price, when the schedule is computed, then revenue is unchanged', () => {
    const memo = ev('CreditMemoIssued', {
      creditMemoId: 'CM',
      issuedOn: '2026-02-10',
      lines: [{ lineId: 'U', amount: '5.00' }],
      reducesTransactionPrice: false,
    });
    const s = schedule('C-1', [booked(lines), january, memo], products);
    expect(amountIn(s, '2026-02', 'U')).toBe('0.00');
  });

  it('given a credit naming an unknown line, when the schedule is computed, then it is an exception, not dropped', () => {
    const credit = serviceCredit('5.00', '2026-02-10', 'X');
    const s = schedule('C-1', [booked(lines), credit], products);
    expect(s.exceptions).toMatchObject([{ code: 'UNKNOWN_LINE', lineId: 'X', eventId: idOf(credit) }]);
  });

  it('given a credit larger than a fixed line’s allocation, when the schedule is computed, then the line goes to zero and the excess is an exception', () => {
    const credit = serviceCredit('1500.00', '2026-07-01', 'A');
    const s = schedule('C-1', [booked(lines), credit], products);
    expect(s.obligations[0]).toMatchObject({ allocated: '0.00', recognised: '0.00' });
    expect(amountIn(s, '2026-07', 'A')).toBe('-600.00');
    expect(s.exceptions).toMatchObject([{ code: 'CREDIT_EXCEEDS_CONSIDERATION', lineId: 'A', eventId: idOf(credit) }]);
  });
});
