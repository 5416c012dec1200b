// Translated journals through the file connector and the real hledger: the amounts stay in the functional currency
// (so `hledger bal` sums EUR and hledger balances each transaction in it), and each line's USD amount and rate event
// ride along as tags. The journals are prepared from worked example (b) (test/fixtures/fx): billing in arrears, an
// exchange difference each month.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFileConnector } from '../../../src/posting/connectors/index.js';
import { journaledBalances, prepareJournal } from '../../../src/posting/index.js';
import type { PrepareInput } from '../../../src/posting/prepare.js';
import type { Schedule } from '../../../src/revenue/index.js';
import { RateBook } from '../../../src/revenue/fx.js';
import type { FxRate } from '../../../src/revenue/fx.js';
import type { JournalLine } from '../../../schemas/index.js';
import { INSTALL_HINT, describeWith } from '../../support/tryton.js';
import { DE01_EUR } from '../../support/fixtures.js';

const HLEDGER = '/usr/bin/hledger';
const run = promisify(execFile);
const hledger = async (file: string, ...args: string[]) => (await run(HLEDGER, ['-f', file, ...args])).stdout;

const example = JSON.parse(
  readFileSync(
    resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'fx', 'b-arrears-monthly.json'),
    'utf8',
  ),
) as { rates: FxRate[]; bills: { date: string; amount: string; eventId: string }[] };

const schedule = {
  currency: 'USD',
  status: 'ok',
  obligations: [{ lineId: 'L1', sku: 'PLATFORM', group: undefined }],
  periods: ['2026-01', '2026-02', '2026-03'].map((period) => ({ period, lines: { L1: '300.00' } })),
  lineage: [{ lineId: 'L1', eventIds: ['BOOKING'], mappingVersion: 1 }],
  mappingVersion: 1,
} as unknown as Schedule;

const base: Omit<PrepareInput, 'journaled' | 'through' | 'postIn'> = {
  contract: { contractId: 'C-FX', legalEntity: 'DE01', customerId: 'CUST-FX', currency: 'USD' },
  schedule,
  billing: example.bills.map((b) => ({ date: b.date, amount: b.amount, tax: '0.00', eventId: b.eventId })),
  accounts: DE01_EUR.accounts,
  revenueAccountOf: () => '4000',
  accountMappingVersion: 1,
  fx: { functionalCurrency: 'EUR', rates: new RateBook(example.rates) },
};

describeWith(HLEDGER, INSTALL_HINT, 'translated journals in hledger', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-file-fx-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hledger check --strict passes and hledger bal sums the functional currency to the hand-computed balances', async () => {
    const file = openFileConnector({ dir, runId: 'fx' });
    const journaled: JournalLine[] = [];
    for (const period of ['2026-01', '2026-02', '2026-03', '2026-04']) {
      const j = prepareJournal({ ...base, journaled, through: period, postIn: period })!;
      expect(j.currency).toBe('EUR');
      const submitted = { ...j, journalId: `J-${period}`, description: `C-FX ${period}` };
      expect(await file.submit(submitted)).toMatchObject({ status: 'posted' });
      journaled.push(...j.lines);
    }
    await hledger(file.journalPath, 'check', '--strict');
    const bal = (account: string, ...args: string[]) =>
      hledger(file.journalPath, 'bal', account, '-E', '--no-total', '-N', ...args).then((s) => s.trim());
    // Example (b) through April: receivable 828.00 = revenue 828.00; the asset relieved; the gains and loss net 0.
    expect(await bal('1100')).toMatch(/^828\.00 EUR\s+1100$/u);
    expect(await bal('4000')).toMatch(/^-828\.00 EUR\s+4000$/u);
    expect(await bal('1300')).toMatch(/^0\s+1300$/u);
    expect(await bal('7900')).toMatch(/^0\s+7900$/u);
    // Through February: the 6.00 EUR gain of the January invoice (Cr 7900).
    expect(await bal('7900', '-e', '2026-03-01')).toMatch(/^-6\.00 EUR\s+7900$/u);
    expect(journaledBalances(journaled).size).toBeGreaterThan(0);

    // The rate event of each line is a tag: the lines made at February's spot are the receivable of that invoice.
    const spotFeb = example.rates.find((r) => r.rateType === 'spot' && r.rateDate === '2026-03-01')!.eventId;
    const tagged = await hledger(file.journalPath, 'reg', `tag:fxRateEvent=${spotFeb}`, '-O', 'csv');
    expect(tagged).toContain('"1100","270.00 EUR"');
    const text = readFileSync(file.journalPath, 'utf8');
    expect(text).toMatch(/1100 {2}282\.00 EUR {2};.*fxAmount: 300\.00 USD, fxRate: 0\.94, fxRateType: spot/u);
  });
});
