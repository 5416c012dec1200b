// The reports in the legal entity's functional currency (docs/accounting.md, "Foreign currency"): a USD contract of
// the EUR entity DE01 shows in the waterfall, the roll-forward and the reconciliation in EUR, translated as its
// journals are (the worked example: 1,200.00 USD billed at 0.90, 90.00 EUR a month); on request in USD; a
// contract billed in arrears shows the exchange difference its rates make, and every section still ties; a contract
// whose rate is not published is listed untranslated, never converted at another rate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../../projections/index.js';
import { publishMapping } from '../../src/demo/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { rebuild } from '../../src/runner/index.js';
import type { EntityRegisterSet } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { DE01_EUR, fxRate } from '../support/fixtures.js';

const US01 = { ...DE01_EUR, legalEntity: 'US01', currency: 'USD' };

const booked = (contractId: string, legalEntity = 'DE01') => ({
  type: 'ContractBooked',
  contractId,
  source: { system: 'salesforce', id: `OPP-${contractId}`, version: 1 },
  occurredAt: '2025-12-20T10:00:00Z',
  data: {
    version: 1,
    customerId: 'CUST-FX',
    legalEntity,
    currency: 'USD',
    bookingDate: '2025-12-20',
    lines: [
      {
        lineId: 'L1',
        sku: 'PLATFORM',
        quantity: '1',
        amount: '1200.00',
        serviceStart: '2026-01-01',
        serviceEnd: '2026-12-31',
      },
    ],
  },
});
const invoiced = (contractId: string, invoiceId: string, invoiceDate: string, amount: string) => ({
  type: 'InvoiceIssued',
  contractId,
  source: { system: 'billing', id: invoiceId, version: 1 },
  occurredAt: `${invoiceDate}T09:00:00Z`,
  data: { invoiceId, invoiceDate, lines: [{ lineId: 'L1', amount }] },
});
describe('reports of a EUR legal entity with USD contracts', () => {
  let t: TestApp;
  const graphql = async (query: string) => {
    const res = await t.call('POST', '/graphql', { query }, KEYS.reader);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };

  beforeAll(async () => {
    // Projections off: the test rebuilds the read models once everything is in, so the reports read a settled state.
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    const products = [{ sku: 'PLATFORM', pattern: 'ratable', ssp: '1200.00', convention: 'monthly' }] as const;
    await publishMapping(t.app.store, 'products', { products: [...products], reason: 'catalogue' }, new Date());
    await publishMapping(t.app.store, 'accounts', { entities: [DE01_EUR, US01], reason: 'chart' }, new Date());
    const ingested = await t.post([
      // In advance: the whole year billed on 2026-01-01 at spot 0.90 (the worked example).
      booked('C-ADV'),
      invoiced('C-ADV', 'INV-ADV-1', '2026-01-01', '1200.00'),
      // In arrears: January's month billed on 2026-02-01; January's revenue is a contract asset at January's average.
      booked('C-ARR'),
      invoiced('C-ARR', 'INV-ARR-1', '2026-02-01', '100.00'),
      // Billed on a date no spot rate covers: untranslated in a report through March.
      booked('C-NORATE'),
      invoiced('C-NORATE', 'INV-NR-1', '2026-03-20', '1200.00'),
      fxRate('2026-01-01', '0.90', { rateType: 'spot' }),
      fxRate('2026-01-31', '0.90', { rateType: 'average' }),
      fxRate('2026-02-01', '0.92', { rateType: 'spot' }),
      fxRate('2026-02-27', '0.91', { rateType: 'average' }),
      // US01 keeps its books in USD: its USD contract needs no rate.
      booked('C-US', 'US01'),
      invoiced('C-US', 'INV-US-1', '2026-01-01', '1200.00'),
      // For the group view in USD: DE01's EUR at January's and February's average and closing rates.
      fxRate('2026-01-30', '1.10', { rateType: 'average', base: 'EUR', quote: 'USD' }),
      fxRate('2026-01-31', '1.12', { rateType: 'closing', base: 'EUR', quote: 'USD' }),
      fxRate('2026-02-27', '1.08', { rateType: 'average', base: 'EUR', quote: 'USD' }),
      fxRate('2026-02-28', '1.05', { rateType: 'closing', base: 'EUR', quote: 'USD' }),
    ]);
    expect(ingested.counts).toMatchObject({ appended: 16 });
    // C-NORATE recognises revenue from January, before its bill: the monthly averages cover it until March.
    expect((await postingRun(t.app.store, { period: '2026-01', connector: new SimulatedConnector() })).posted).toBe(4);
    await rebuild(t.app.store, t.app.read, PROJECTIONS);
  });
  afterAll(() => t.close());

  it('the waterfall speaks EUR: 90.00 a month billed in advance, the arrears at each month’s average', async () => {
    const data = await graphql(`
      {
        revenueWaterfall(legalEntity: "DE01", from: "2026-01", to: "2026-02") {
          basis
          functionalCurrency
          currencies {
            currency
            rows {
              sku
              periods {
                period
                amount
              }
              total
            }
            total
          }
          untranslated {
            contractId
          }
        }
      }
    `);
    const w = data.revenueWaterfall;
    expect(w.basis).toBe('functional');
    expect(w.functionalCurrency).toBe('EUR');
    // C-ADV 90.00 + 90.00 (its billing's 0.90); C-ARR and C-NORATE 90.00 (January average 0.90) + 91.00 (February's).
    expect(w.currencies).toEqual([
      {
        currency: 'EUR',
        rows: [
          {
            sku: 'PLATFORM',
            periods: [
              { period: '2026-01', amount: '270.00' },
              { period: '2026-02', amount: '272.00' },
            ],
            total: '542.00',
          },
        ],
        total: '542.00',
      },
    ]);
    expect(w.untranslated).toEqual([]);
  });

  it('through March, contracts whose rates are not published are listed untranslated, never converted otherwise', async () => {
    const data = await graphql(`
      {
        revenueWaterfall(legalEntity: "DE01", from: "2026-01", to: "2026-03") {
          currencies {
            total
          }
          untranslated {
            contractId
            currency
            functionalCurrency
            message
          }
        }
      }
    `);
    const w = data.revenueWaterfall;
    // C-ADV's March release is at its billing's rate: it needs no March rate.
    expect(w.currencies).toEqual([{ total: '270.00' }]);
    const untranslated = [...w.untranslated].sort((a, b) => a.contractId.localeCompare(b.contractId));
    expect(untranslated).toEqual([
      {
        contractId: 'C-ARR',
        currency: 'USD',
        functionalCurrency: 'EUR',
        message: 'no average rate USD/EUR dated in 2026-03 (the average rate of 2026-03)',
      },
      {
        contractId: 'C-NORATE',
        currency: 'USD',
        functionalCurrency: 'EUR',
        message: 'no spot rate USD/EUR dated 2026-03-14 to 2026-03-20 (the spot rate of 2026-03-20)',
      },
    ]);
  });

  it('on request the waterfall speaks each contract’s own currency, untranslated', async () => {
    const data = await graphql(`
      {
        revenueWaterfall(legalEntity: "DE01", from: "2026-01", to: "2026-02", in: TRANSACTION) {
          basis
          currencies {
            currency
            totals {
              period
              amount
            }
            total
          }
          untranslated {
            contractId
          }
        }
      }
    `);
    expect(data.revenueWaterfall).toEqual({
      basis: 'transaction',
      currencies: [
        {
          currency: 'USD',
          totals: [
            { period: '2026-01', amount: '300.00' },
            { period: '2026-02', amount: '300.00' },
          ],
          total: '600.00',
        },
      ],
      untranslated: [],
    });
  });

  it('the roll-forward of February shows the exchange difference of the arrears billing, and every section ties', async () => {
    const data = await graphql(`
      {
        deferredRevenueRollforward(legalEntity: "DE01", period: "2026-02") {
          functionalCurrency
          currencies {
            currency
            contracts
            deferredRevenue {
              opening
              billed
              recognised
              reclassified
              exchangeDifference
              closing
              ties
            }
            contractAsset {
              opening
              billed
              recognised
              reclassified
              exchangeDifference
              closing
              ties
            }
            net {
              opening
              billed
              recognised
              reclassified
              exchangeDifference
              closing
              ties
            }
          }
        }
      }
    `);
    const [eur] = data.deferredRevenueRollforward.currencies;
    expect(eur.currency).toBe('EUR');
    expect(eur.contracts).toBe(3);
    // C-ADV: deferred 990.00 -> 900.00 (90.00 released at 0.90). C-ARR: January's 90.00 of contract asset (at the
    // January average 0.90) is billed on 1 February at 0.92 (92.00 receivable): a 2.00 gain; February's 100.00 USD
    // at the February average 0.91 is 91.00 of contract asset. C-NORATE: 90.00 + 91.00 of contract asset.
    // Recognised 90.00 + 91.00 + 91.00 = 272.00; contract asset 180.00 -> 91.00 + 181.00 = 272.00.
    expect(eur.deferredRevenue).toEqual({
      opening: '990.00',
      billed: '92.00',
      recognised: '272.00',
      reclassified: '92.00',
      exchangeDifference: '-2.00',
      closing: '900.00',
      ties: true,
    });
    expect(eur.contractAsset).toEqual({
      opening: '180.00',
      billed: '92.00',
      recognised: '272.00',
      reclassified: '-90.00',
      exchangeDifference: '2.00',
      closing: '272.00',
      ties: true,
    });
    expect(eur.net).toMatchObject({ opening: '810.00', exchangeDifference: '-2.00', closing: '628.00', ties: true });
  });

  it('the reconciliation compares the translated billing and revenue with the EUR journals: no break', async () => {
    const data = await graphql(`
      {
        reconciliation(legalEntity: "DE01", period: "2026-01") {
          contractPage(first: 10) {
            edges {
              node {
                contractId
                currency
                billed
                recognised
                journaledBilled
                journaled
                breaks {
                  code
                  amount
                }
              }
            }
          }
          untranslated {
            contractId
          }
        }
      }
    `);
    const rows = data.reconciliation.contractPage.edges.map((e: { node: unknown }) => e.node);
    expect(rows).toEqual([
      {
        contractId: 'C-ADV',
        currency: 'EUR',
        billed: '1080.00',
        recognised: '90.00',
        journaledBilled: '1080.00',
        journaled: '90.00',
        breaks: [],
      },
      {
        contractId: 'C-ARR',
        currency: 'EUR',
        billed: '0.00',
        recognised: '90.00',
        journaledBilled: '0.00',
        journaled: '90.00',
        breaks: [],
      },
      {
        contractId: 'C-NORATE',
        currency: 'EUR',
        billed: '0.00',
        recognised: '90.00',
        journaledBilled: '0.00',
        journaled: '90.00',
        breaks: [],
      },
    ]);
    expect(data.reconciliation.untranslated).toEqual([]);
  });

  it('the group view in USD: DE01 translated at average and closing rates, its translation difference a line of its own', async () => {
    const data = await graphql(`
      {
        groupReport(from: "2026-01", to: "2026-02", reportingCurrency: "USD") {
          reportingCurrency
          entities {
            legalEntity
            functionalCurrency
            periods {
              period
              averageRate
              closingRate
              functional {
                opening
                billed
                revenue
                exchangeDifference
                closing
              }
              reporting {
                opening
                billed
                revenue
                exchangeDifference
                translationDifference
                closing
              }
              missingRates
            }
            untranslated {
              contractId
            }
          }
          totals {
            period
            complete
            opening
            billed
            revenue
            exchangeDifference
            translationDifference
            closing
          }
        }
      }
    `);
    const g = data.groupReport;
    expect(g.reportingCurrency).toBe('USD');
    const [de01, us01] = g.entities;
    // DE01 in EUR: January billed 1,080.00 (C-ADV), revenue 270.00, net position 990.00 - 180.00 = 810.00;
    // February billed 92.00, revenue 272.00, exchange difference -2.00, net position 900.00 - 272.00 = 628.00.
    // In USD, January: billed 1,080.00 x 1.10 = 1,188.00; revenue 270.00 x 1.10 = 297.00; closing 810.00 x 1.12
    // = 907.20; translation difference 907.20 - (0 + 1,188.00 - 297.00) = 16.20.
    // February: opening 907.20; billed 92.00 x 1.08 = 99.36; revenue 272.00 x 1.08 = 293.76; exchange difference
    // -2.00 x 1.08 = -2.16; closing 628.00 x 1.05 = 659.40; 659.40 - (907.20 + 99.36 - 293.76 - 2.16) = -51.24.
    expect(de01).toEqual({
      legalEntity: 'DE01',
      functionalCurrency: 'EUR',
      untranslated: [],
      periods: [
        {
          period: '2026-01',
          averageRate: '1.10',
          closingRate: '1.12',
          functional: {
            opening: '0.00',
            billed: '1080.00',
            revenue: '270.00',
            exchangeDifference: '0.00',
            closing: '810.00',
          },
          reporting: {
            opening: '0.00',
            billed: '1188.00',
            revenue: '297.00',
            exchangeDifference: '0.00',
            translationDifference: '16.20',
            closing: '907.20',
          },
          missingRates: [],
        },
        {
          period: '2026-02',
          averageRate: '1.08',
          closingRate: '1.05',
          functional: {
            opening: '810.00',
            billed: '92.00',
            revenue: '272.00',
            exchangeDifference: '-2.00',
            closing: '628.00',
          },
          reporting: {
            opening: '907.20',
            billed: '99.36',
            revenue: '293.76',
            exchangeDifference: '-2.16',
            translationDifference: '-51.24',
            closing: '659.40',
          },
          missingRates: [],
        },
      ],
    });
    // US01 is in USD already: no rate, no translation difference.
    expect(
      us01.periods.map((p: { averageRate: string | null; reporting: unknown }) => [p.averageRate, p.reporting]),
    ).toEqual([
      [
        null,
        {
          opening: '0.00',
          billed: '1200.00',
          revenue: '100.00',
          exchangeDifference: '0.00',
          translationDifference: '0.00',
          closing: '1100.00',
        },
      ],
      [
        null,
        {
          opening: '1100.00',
          billed: '0.00',
          revenue: '100.00',
          exchangeDifference: '0.00',
          translationDifference: '0.00',
          closing: '1000.00',
        },
      ],
    ]);
    expect(g.totals).toEqual([
      {
        period: '2026-01',
        complete: true,
        opening: '0.00',
        billed: '2388.00',
        revenue: '397.00',
        exchangeDifference: '0.00',
        translationDifference: '16.20',
        closing: '2007.20',
      },
      {
        period: '2026-02',
        complete: true,
        opening: '2007.20',
        billed: '99.36',
        revenue: '393.76',
        exchangeDifference: '-2.16',
        translationDifference: '-51.24',
        closing: '1659.40',
      },
    ]);
  });

  it('a period whose rate is missing has no reporting figures and the group total says it is incomplete', async () => {
    const data = await graphql(`
      {
        groupReport(from: "2026-02", to: "2026-03", reportingCurrency: "USD") {
          entities {
            legalEntity
            periods {
              period
              reporting {
                closing
              }
              missingRates
            }
            untranslated {
              contractId
            }
          }
          totals {
            period
            complete
          }
        }
      }
    `);
    const de01 = data.groupReport.entities.find((e: { legalEntity: string }) => e.legalEntity === 'DE01');
    // Through March, C-ARR and C-NORATE wait for March's USD/EUR rates: left out of every period, and named; C-ADV
    // alone is 900.00 EUR x 1.05 = 945.00 USD at the end of February.
    expect(de01.untranslated.map((u: { contractId: string }) => u.contractId).sort()).toEqual(['C-ARR', 'C-NORATE']);
    expect(de01.periods[0].reporting).toEqual({ closing: '945.00' });
    expect(de01.periods[1]).toEqual({
      period: '2026-03',
      reporting: null,
      missingRates: [
        'no average rate EUR/USD dated in 2026-03 (the average rate of 2026-03)',
        'no closing rate EUR/USD dated in 2026-03 (the closing rate of 2026-03)',
      ],
    });
    expect(data.groupReport.totals).toEqual([
      { period: '2026-02', complete: false },
      { period: '2026-03', complete: false },
    ]);
  });

  it('refuses a group view without a reporting currency while no register names one, and a bad currency', async () => {
    const res = await t.call(
      'POST',
      '/graphql',
      { query: '{ groupReport(from: "2026-01", to: "2026-02") { from } }' },
      KEYS.reader,
    );
    expect(res.body.errors[0].message).toMatch(/^reportingCurrency: required/);
    const bad = await t.call(
      'POST',
      '/graphql',
      { query: '{ groupReport(from: "2026-01", to: "2026-02", reportingCurrency: "XXQ") { from } }' },
      KEYS.reader,
    );
    expect(bad.body.errors[0].message).toMatch(/reportingCurrency/);
  });

  it('without the argument, the group view speaks the reporting currency the entity register names', async () => {
    const register: EntityRegisterSet = {
      reason: 'group structure',
      reportingCurrency: 'USD',
      entities: [
        { legalEntity: 'DE01', functionalCurrency: 'EUR', erp: { connector: 'simulated' } },
        { legalEntity: 'US01', functionalCurrency: 'USD', erp: { connector: 'simulated' } },
      ],
    };
    await publishMapping(t.app.store, 'entities', register, new Date());
    const data = await graphql(
      '{ groupReport(from: "2026-01", to: "2026-02") { reportingCurrency totals { closing } } }',
    );
    expect(data.groupReport).toEqual({
      reportingCurrency: 'USD',
      totals: [{ closing: '2007.20' }, { closing: '1659.40' }],
    });
  });
});
