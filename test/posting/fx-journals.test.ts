// Functional-currency journals end to end through the store (docs/accounting.md, "Foreign currency"): a USD contract
// of a EUR legal entity is translated with the rates published through POST /v1/events; a rate it needs that is not
// published blocks it FX_RATE_MISSING (never another rate instead), and the first run after the rate arrives posts it,
// once. Every translated line keeps its USD amount and names its rate event, which GraphQL lineage shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishMapping } from '../../src/demo/index.js';
import { SimulatedConnector, postingRun, revtrailBalances } from '../../src/posting/index.js';
import type { JournalLine } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { DE01_EUR, fxRate } from '../support/fixtures.js';

const booking = {
  type: 'ContractBooked',
  contractId: 'C-FX',
  source: { system: 'salesforce', id: 'OPP-FX', version: 1 },
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
};
const invoice = {
  type: 'InvoiceIssued',
  contractId: 'C-FX',
  source: { system: 'billing', id: 'INV-FX-1', version: 1 },
  occurredAt: '2026-01-01T09:00:00Z',
  data: { invoiceId: 'INV-FX-1', invoiceDate: '2026-01-01', lines: [{ lineId: 'L1', amount: '1200.00' }] },
};
const side = (l: JournalLine) => [l.account, l.debit, l.credit, l.fx?.amount ?? null, l.fx?.rate ?? null];

describe('a USD contract of a EUR legal entity', () => {
  let t: TestApp;
  const erp = new SimulatedConnector();
  const run = (period: string) => postingRun(t.app.store, { period, connector: erp, backoffMs: 1 });
  const journalsOf = (period: string) => erp.documents().filter((d) => d.journal.period === period);
  let spotEventId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const products = [{ sku: 'PLATFORM', pattern: 'ratable', ssp: '1200.00', convention: 'monthly' }] as const;
    await publishMapping(t.app.store, 'products', { products: [...products], reason: 'catalogue' }, new Date());
    await publishMapping(t.app.store, 'accounts', { entities: [DE01_EUR], reason: 'chart' }, new Date());
    const ingested = await t.post([booking, invoice]);
    expect(ingested.counts).toMatchObject({ appended: 2 });
  });
  afterAll(() => t.close());

  it('is blocked FX_RATE_MISSING, naming pair, rate type and date, while the invoice date has no spot rate', async () => {
    // A spot 8 days before the invoice is outside the look-back: it is not used instead.
    await t.post([fxRate('2025-12-24', '0.88', { id: 'USD-EUR-2025-12-24' })]);
    const first = await run('2026-01');
    expect(first).toMatchObject({ prepared: 0, posted: 0, blocked: { FX_RATE_MISSING: 1 } });
    expect(erp.documents()).toHaveLength(0);
    const res = await t.call(
      'POST',
      '/graphql',
      { query: '{ postingFailures(code: "FX_RATE_MISSING") { blocked { contractId code message } } }' },
      KEYS.reader,
    );
    expect(res.body.data.postingFailures.blocked).toEqual([
      {
        contractId: 'C-FX',
        code: 'FX_RATE_MISSING',
        message: 'contract C-FX: no spot rate USD/EUR dated 2025-12-26 to 2026-01-01 (the spot rate of 2026-01-01)',
      },
    ]);
  });

  it('posts on the first run after the rate arrives: billing at spot, January released at the billing rate', async () => {
    const published = await t.post([fxRate('2026-01-01', '0.90', { id: 'USD-EUR-2026-01-01' })]);
    spotEventId = published.results[0]!.eventId!;
    const second = await run('2026-01');
    expect(second).toMatchObject({ prepared: 1, posted: 1, blocked: {} });
    const [doc] = journalsOf('2026-01');
    expect(doc!.journal.currency).toBe('EUR');
    expect(doc!.journal.lines.map(side)).toEqual([
      ['1100', '1080.00', '0.00', '1200.00', '0.90'],
      ['2400', '0.00', '990.00', '1100.00', '0.90'],
      ['4000', '0.00', '90.00', '100.00', '0.90'],
    ]);
    for (const l of doc!.journal.lines)
      expect(l.fx).toMatchObject({
        currency: 'USD',
        rateType: 'spot',
        rateDate: '2026-01-01',
        rateEventId: spotEventId,
      });
    // Run again: nothing more to journal for January.
    expect(await run('2026-01')).toMatchObject({ prepared: 0, posted: 0, blocked: {} });
    expect(journalsOf('2026-01')).toHaveLength(1);
  });

  it("releases 90.00 EUR in February whatever February's average rate", async () => {
    await t.post([fxRate('2026-02-27', '1.05', { rateType: 'average', id: 'USD-EUR-avg-2026-02' })]);
    expect(await run('2026-02')).toMatchObject({ prepared: 1, posted: 1 });
    expect(journalsOf('2026-02')[0]!.journal.lines.map(side)).toEqual([
      ['2400', '90.00', '0.00', '100.00', '0.90'],
      ['4000', '0.00', '90.00', '100.00', '0.90'],
    ]);
  });

  it('GraphQL lineage shows each line with its USD amount and its rate event; GET /v1/fx-rates lists that event', async () => {
    const journalId = journalsOf('2026-01')[0]!.journal.journalId;
    const res = await t.call(
      'POST',
      '/graphql',
      {
        query: `query ($id: ID!) { lineage(journalId: $id) { lines { account debit credit
          fx { currency amount rate rateType rateDate rateEventId rateEvent { eventId streamId source { system id } } } } } }`,
        variables: { id: journalId },
      },
      KEYS.reader,
    );
    expect(res.body.errors).toBeUndefined();
    const receivable = res.body.data.lineage.lines.find((l: { account: string }) => l.account === '1100');
    expect(receivable).toEqual({
      account: '1100',
      debit: '1080.00',
      credit: '0.00',
      fx: {
        currency: 'USD',
        amount: '1200.00',
        rate: '0.90',
        rateType: 'spot',
        rateDate: '2026-01-01',
        rateEventId: spotEventId,
        rateEvent: {
          eventId: spotEventId,
          streamId: 'fx-rates-USD-EUR',
          source: { system: 'ecb', id: 'USD-EUR-2026-01-01' },
        },
      },
    });
    const rates = await t.call('GET', '/v1/fx-rates/USD/EUR', undefined, KEYS.reader);
    expect(rates.body.rates.map((r: { eventId: string }) => r.eventId)).toContain(spotEventId);
  });

  it("Revtrail's trial balance shows the translated contract in EUR, as it was posted", async () => {
    const rows = await revtrailBalances(t.app.store, { through: '2026-02', legalEntity: 'DE01' });
    expect(rows.map((r) => [r.account, r.currency, r.balance])).toEqual([
      ['1100', 'EUR', '1080.00'],
      ['2400', 'EUR', '-900.00'],
      ['4000', 'EUR', '-180.00'],
    ]);
  });
});
