// Balances per period end (ASC 606-10-45-1..4): billed against recognised, as deferred revenue or contract asset.
import { describe, expect, it } from 'vitest';
import type { InboundEvent, ProductMapping } from '../../schemas/index.js';
import type { BillingEntry } from '../../src/revenue/index.js';
import { balancesOf } from '../../src/revenue/index.js';
import { booked, ev, schedule } from './support.js';

const products: ProductMapping[] = [{ sku: 'SUB', pattern: 'ratable', convention: 'monthly', ssp: '1.00' }];

/** One line L of SKU SUB from 2026-01-01 to `serviceEnd`. */
const bookedLine = (amount: string, serviceEnd: string, currency = 'USD'): InboundEvent =>
  booked([{ lineId: 'L', sku: 'SUB', quantity: '1', amount, serviceStart: '2026-01-01', serviceEnd }], currency);

let n = 0;
const bill = (date: string, amount: string): BillingEntry => ({ date, amount, eventId: `bill-${(n += 1)}` });

/** 1200 over 2026, 100.00 a month. */
const annual = schedule('C-1', [bookedLine('1200.00', '2026-12-31')], products);

describe('balances per period end', () => {
  it('given billing ahead of recognition, then the difference is deferred revenue; given recognition ahead of billing, then it is a contract asset', () => {
    const b = balancesOf(annual, [bill('2026-01-05', '300.00')]);
    expect(b.slice(0, 4)).toEqual([
      {
        period: '2026-01',
        billed: '300.00',
        recognised: '100.00',
        billedToDate: '300.00',
        recognisedToDate: '100.00',
        deferredRevenue: '200.00',
        contractAsset: '0.00',
      },
      {
        period: '2026-02',
        billed: '0.00',
        recognised: '100.00',
        billedToDate: '300.00',
        recognisedToDate: '200.00',
        deferredRevenue: '100.00',
        contractAsset: '0.00',
      },
      {
        period: '2026-03',
        billed: '0.00',
        recognised: '100.00',
        billedToDate: '300.00',
        recognisedToDate: '300.00',
        deferredRevenue: '0.00',
        contractAsset: '0.00',
      },
      {
        period: '2026-04',
        billed: '0.00',
        recognised: '100.00',
        billedToDate: '300.00',
        recognisedToDate: '400.00',
        deferredRevenue: '0.00',
        contractAsset: '100.00',
      },
    ]);
    expect(b.at(-1)).toMatchObject({ period: '2026-12', contractAsset: '900.00', deferredRevenue: '0.00' });
  });

  it('given billing outside the schedule’s months, then those months appear too, every month in between included', () => {
    const b = balancesOf(annual, [bill('2025-11-20', '600.00'), bill('2027-02-01', '600.00')]);
    expect(b.map((p) => p.period)).toEqual([
      '2025-11',
      '2025-12',
      ...Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, '0')}`),
      '2027-01',
      '2027-02',
    ]);
    expect(b[0]).toMatchObject({ billed: '600.00', recognised: '0.00', deferredRevenue: '600.00' });
    expect(b[1]).toMatchObject({ billed: '0.00', recognised: '0.00', deferredRevenue: '600.00' });
    expect(b.at(-2)).toMatchObject({ period: '2027-01', recognisedToDate: '1200.00', contractAsset: '600.00' });
    expect(b.at(-1)).toMatchObject({ billedToDate: '1200.00', deferredRevenue: '0.00', contractAsset: '0.00' });
  });

  it('given a credit memo larger than the month’s invoices, then that month’s billing is negative and the balances follow', () => {
    const b = balancesOf(annual, [bill('2026-01-05', '300.00'), bill('2026-02-10', '-250.00')]);
    expect(b[1]).toMatchObject({
      period: '2026-02',
      billed: '-250.00',
      billedToDate: '50.00',
      recognisedToDate: '200.00',
      deferredRevenue: '0.00',
      contractAsset: '150.00',
    });
  });

  it('given several entries in one month, then the month bills their sum', () => {
    const b = balancesOf(annual, [
      bill('2026-01-05', '300.00'),
      bill('2026-01-20', '-20.00'),
      bill('2026-01-31', '5.00'),
    ]);
    expect(b[0]).toMatchObject({ billed: '285.00', deferredRevenue: '185.00' });
  });

  it('given a 3-decimal currency (BHD), then every amount is in fils', () => {
    const s = schedule('C-1', [bookedLine('1.000', '2026-03-31', 'BHD')], products);
    const b = balancesOf(s, [bill('2026-01-01', '1.000')]);
    expect(b.map((p) => [p.period, p.recognised, p.deferredRevenue, p.contractAsset])).toEqual([
      ['2026-01', '0.333', '0.667', '0.000'],
      ['2026-02', '0.334', '0.333', '0.000'],
      ['2026-03', '0.333', '0.000', '0.000'],
    ]);
  });

  it('given yen (no minor unit), then every amount is in whole yen', () => {
    const s = schedule('C-1', [bookedLine('1000', '2026-03-31', 'JPY')], products);
    const b = balancesOf(s, [bill('2026-02-15', '500')]);
    expect(b.map((p) => [p.period, p.billed, p.recognisedToDate, p.deferredRevenue, p.contractAsset])).toEqual([
      ['2026-01', '0', '333', '0', '333'],
      ['2026-02', '500', '667', '0', '167'],
      ['2026-03', '0', '1000', '0', '500'],
    ]);
  });

  it('given bills with more digits than the currency has, then they are summed exactly and each amount is rounded half up', () => {
    // An invoice held before its booking is not checked against the currency's precision at ingestion.
    const b = balancesOf(annual, [
      bill('2026-01-05', '100.005'),
      bill('2026-01-20', '0.0004'),
      bill('2026-02-01', '-0.0054'),
    ]);
    expect(b.slice(0, 3).map((p) => [p.billed, p.billedToDate, p.deferredRevenue, p.contractAsset])).toEqual([
      ['100.01', '100.01', '0.01', '0.00'], // 100.0054 billed against 100.00 recognised: 0.0054 ahead
      ['-0.01', '100.00', '0.00', '100.00'], // 100.0000 billed against 200.00
      ['0.00', '100.00', '0.00', '200.00'],
    ]);
  });

  it('given a schedule without a currency (no booking yet), then there are no balances', () => {
    expect(balancesOf(schedule('C-1', [], products), [bill('2026-01-05', '300.00')])).toEqual([]);
  });
});

describe('a separate modification is a separate contract for presentation too (ASC 606-10-25-12, 45-1)', () => {
  const both: ProductMapping[] = [
    ...products,
    { sku: 'SETUP', pattern: 'point_in_time', ssp: '700.00', trigger: 'service_start' },
  ];
  const original = { lineId: 'O', sku: 'SETUP', quantity: '1', amount: '700.00', serviceStart: '2026-01-10' };
  const added = {
    lineId: 'A',
    sku: 'SUB',
    quantity: '1',
    amount: '1200.00',
    serviceStart: '2026-01-01',
    serviceEnd: '2026-12-31',
  };
  const s = schedule(
    'C-1',
    [
      booked([original]),
      ev('ContractAmended', {
        version: 2,
        effectiveDate: '2026-01-01',
        treatment: 'separate',
        lines: [original, added],
      }),
    ],
    both,
  );

  it('given the original 700.00 recognised and unbilled and the added group billed 300.00 with 100.00 recognised, then the period end shows a 700.00 contract asset and a 200.00 contract liability', () => {
    expect(s.obligations.map((o) => [o.lineId, o.group])).toEqual([
      ['O', undefined],
      ['A', 2],
    ]);
    const b = balancesOf(s, [{ ...bill('2026-01-20', '300.00'), groups: { '2': '300.00' } }]);
    expect(b[0]).toEqual({
      period: '2026-01',
      billed: '300.00',
      recognised: '800.00',
      billedToDate: '300.00',
      recognisedToDate: '800.00',
      deferredRevenue: '200.00',
      contractAsset: '700.00',
    });
    // Billing the original later relieves its asset only; the added group's deferred revenue runs down on its own.
    const later = balancesOf(s, [
      { ...bill('2026-01-20', '300.00'), groups: { '2': '300.00' } },
      { ...bill('2026-02-10', '700.00'), groups: { '0': '700.00' } },
    ]);
    expect(later[1]).toMatchObject({ period: '2026-02', deferredRevenue: '100.00', contractAsset: '0.00' });
    expect(later[2]).toMatchObject({ period: '2026-03', deferredRevenue: '0.00', contractAsset: '0.00' });
    expect(later[3]).toMatchObject({ period: '2026-04', deferredRevenue: '0.00', contractAsset: '100.00' });
  });
});
