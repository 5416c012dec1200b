// A translated journal in the real Tryton: each line in the company currency (USD here), its transaction side as
// Tryton's second currency (EUR, created by scripts/tryton/setup_ledger.py) with the amount signed as debit - credit.
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TrytonAdmin, openTrytonConnector } from '../../src/posting/connectors/index.js';
import type { TrytonConnector } from '../../src/posting/connectors/index.js';
import { describeWithTryton, startTryton } from '../support/tryton.js';
import type { TrytonTestServer } from '../support/tryton.js';
import { journal, line } from './connectors/conformance.js';

const fx = (amount: string) => ({
  currency: 'EUR',
  amount,
  rate: '1.10',
  rateType: 'spot' as const,
  rateDate: '2026-01-02',
  rateEventId: 'rate-event-1',
});

describeWithTryton('translated journals in Tryton', () => {
  let server: TrytonTestServer;
  let admin: TrytonAdmin;
  let connector: TrytonConnector;
  beforeAll(async () => {
    server = await startTryton();
    admin = new TrytonAdmin(server.connection());
    connector = openTrytonConnector(server.connection());
  }, 180_000);
  afterAll(async () => {
    await connector?.close();
    await admin?.close();
    await server?.dispose();
  });

  it('move lines carry second_currency and amount_second_currency; the exchange difference has none', async () => {
    const j = journal({
      date: '2026-01-20',
      lines: [
        line('1100', '1100.00', '0.00', { fx: fx('1000.00') }),
        line('2400', '0.00', '1000.00', { fx: fx('1000.00') }),
        line('4000', '0.00', '100.00'),
      ],
    });
    const outcome = await connector.submit(j);
    expect(outcome).toMatchObject({ status: 'posted' });
    const moveId = Number((outcome as { erpDocumentId: string }).erpDocumentId);
    const lines = await admin.secondCurrencies(moveId);
    expect(
      lines.map((l) => [l.account, l.currency, l.amount === null ? null : new Decimal(l.amount).toFixed(2)]),
    ).toEqual([
      ['1100', 'EUR', '1000.00'],
      ['2400', 'EUR', '-1000.00'],
      ['4000', null, null],
    ]);
  });
});
