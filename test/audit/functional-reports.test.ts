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
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const DE01 = {
  legalEntity: 'DE01',
  currency: 'EUR',
  accounts: {
    receivable: '1100',
    deferredRevenue: '2400',
    contractAsset: '1300',
    revenue: '4000',
    taxPayable: '2200',
    exchangeDifference: '7900',
  },
};

const booked = (contractId: string) => ({
  type: 'ContractBooked',
  contractId,
  source: { system: 'salesforce', id: `OPP-${contractId}`, version: 1 },
  occurredAt: '2025-12-20T10:00:00Z',
  data: {
    version: 1,
    customerId: 'CUST-FX',
    legalEntity: 'DE01',
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
const rate = (rateDate: string, value: string, rateType: 'spot' | 'average') => ({
  type: 'FxRatesPublished',
  source: { system: 'ecb', id: `USD-EUR-${rateType}-${rateDate}`, version: 1 },
  occurredAt: `${rateDate}T16:00:00Z`,
  data: { rateDate, base: 'USD', quote: 'EUR', rate: value, rateType },
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
    await publishMapping(t.app.store, 'accounts', { entities: [DE01], reason: 'chart' }, new Date());
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
      rate('2026-01-01', '0.90', 'spot'),
      rate('2026-01-31', '0.90', 'average'),
      rate('2026-02-01', '0.92', 'spot'),
      rate('2026-02-27', '0.91', 'average'),
    ]);
    expect(ingested.counts).toMatchObject({ appended: 10 });
    // C-NORATE recognises revenue from January, before its bill: the monthly averages cover it until March.
    expect((await postingRun(t.app.store, { period: '2026-01', connector: new SimulatedConnector() })).posted).toBe(3);
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
});
