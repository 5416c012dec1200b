// GET /v1/exports/<table>.<csv|xlsx> on the audit company: the files carry the figures GraphQL and REST answer with,
// to the cent, money as numbers with the currency's decimals and dates as dates in XLSX, RFC 4180 in CSV; bad
// tables and parameters are refused naming them, and an export over its row cap is refused, not truncated.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { seedAuditCompany } from '../support/audit-company.js';
import { columns, csvRecords, openXlsx, parseCsv } from './support.js';

describe('exports', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    await seedAuditCompany(t.app.store, () => t.app.projections.catchUp());
  }, 120_000);
  afterAll(() => t.close());

  const download = async (path: string, key: string | null = KEYS.reader) => {
    const res = await fetch(`${t.url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      bytes: new Uint8Array(await res.arrayBuffer()),
    };
  };
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const data = async (query: string) => {
    const r = await t.call('POST', '/graphql', { query }, KEYS.reader);
    expect(r.body.errors).toBeUndefined();
    return r.body.data;
  };

  /** Decimals of the currencies the audit company and the test use (ISO 4217). */
  const DECIMALS: Record<string, number> = { USD: 2, EUR: 2, JPY: 0, BHD: 3 };
  const formatOf = (currency: string) =>
    DECIMALS[currency] === 0 ? '#,##0' : `#,##0.${'0'.repeat(DECIMALS[currency]!)}`;

  it('the reconciliation per account in XLSX holds the GraphQL figures as numbers in the currency`s decimals', async () => {
    let rows = 0;
    for (const entity of ['US01', 'DE01', 'JP01', 'BH01']) {
      const { reconciliation } = await data(
        `{ reconciliation(legalEntity: "${entity}", period: "2026-03") { accounts { account currency journaled posted rejected } } }`,
      );
      const file = await download(`/v1/exports/reconciliation.xlsx?legalEntity=${entity}&period=2026-03`);
      expect(file.status).toBe(200);
      expect(file.type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      const sheet = await openXlsx(file.bytes);
      const col = columns(sheet);
      const accounts = reconciliation.accounts as Record<string, string>[];
      expect(sheet.rowCount).toBe(accounts.length + 1);
      accounts.forEach((a, i) => {
        const row = sheet.getRow(i + 2);
        expect(row.getCell(col.get('account')!).value).toBe(a.account);
        for (const figure of ['journaled', 'posted', 'rejected']) {
          const cell = row.getCell(col.get(figure)!);
          expect(typeof cell.value).toBe('number');
          expect((cell.value as number).toFixed(DECIMALS[a.currency!])).toBe(a[figure]);
          expect(cell.numFmt).toBe(formatOf(a.currency!));
        }
      });
      rows += accounts.length;
    }
    expect(rows).toBeGreaterThan(0);
  });

  it('amounts in a currency of three decimals (BHD) export with three, in XLSX and CSV', async () => {
    await t.post([
      {
        type: 'ContractBooked',
        contractId: 'X-BHD',
        source: { system: 'salesforce', id: 'OPP-X-BHD', version: 1 },
        occurredAt: '2026-01-01T09:00:00Z',
        data: {
          version: 1,
          customerId: 'CUST-BH',
          legalEntity: 'BH01',
          currency: 'BHD',
          bookingDate: '2026-01-01',
          lines: [
            {
              lineId: 'L1',
              sku: 'PLAT-STD',
              quantity: '1',
              amount: '1000.005',
              serviceStart: '2026-01-01',
              serviceEnd: '2026-12-31',
            },
          ],
        },
      },
    ]);
    await t.app.projections.catchUp();
    const sheet = await openXlsx((await download('/v1/exports/schedule.xlsx?contractId=X-BHD')).bytes);
    const amount = sheet.getRow(2).getCell(columns(sheet).get('amount')!);
    expect(amount.numFmt).toBe('#,##0.000');
    const csv = csvRecords(text((await download('/v1/exports/schedule.csv?contractId=X-BHD')).bytes));
    expect(csv[0]!.amount).toMatch(/^\d+\.\d{3}$/);
    expect((amount.value as number).toFixed(3)).toBe(csv[0]!.amount);
  });

  it('the waterfall CSV is RFC 4180 with a header row and the GraphQL amounts as fixed decimals', async () => {
    const { revenueWaterfall: w } = await data(
      `{ revenueWaterfall(legalEntity: "US01", from: "2026-01", to: "2026-06") { periods currencies { currency total rows { sku total periods { period amount } } totals { period amount } } } }`,
    );
    const file = await download('/v1/exports/waterfall.csv?legalEntity=US01&from=2026-01&to=2026-06');
    expect(file.status).toBe(200);
    expect(file.type).toBe('text/csv; charset=utf-8; header=present');
    const csv = text(file.bytes);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(parseCsv(csv)[0]).toEqual(['legalEntity', 'currency', 'sku', 'obligations', ...w.periods, 'total']);
    const records = csvRecords(csv);
    const expected = (w.currencies as { currency: string; total: string; rows: any[]; totals: any[] }[]).flatMap(
      (c) => [
        ...c.rows.map((r) => ({ currency: c.currency, sku: r.sku, total: r.total, periods: r.periods })),
        { currency: c.currency, sku: 'TOTAL', total: c.total, periods: c.totals },
      ],
    );
    expect(records.map((r) => [r.currency, r.sku, r.total])).toEqual(expected.map((e) => [e.currency, e.sku, e.total]));
    records.forEach((r, i) => {
      for (const p of expected[i]!.periods as { period: string; amount: string }[]) expect(r[p.period]).toBe(p.amount);
    });
  });

  it('the roll-forward XLSX ties to the GraphQL roll-forward section by section', async () => {
    const { deferredRevenueRollforward: r } = await data(
      `{ deferredRevenueRollforward(legalEntity: "US01", period: "2026-03") { currencies { currency contracts deferredRevenue { opening billed recognised reclassified closing ties } contractAsset { opening billed recognised reclassified closing ties } net { opening billed recognised reclassified closing ties } } } }`,
    );
    const sheet = await openXlsx(
      (await download('/v1/exports/rollforward.xlsx?legalEntity=US01&period=2026-03')).bytes,
    );
    const col = columns(sheet);
    let n = 2;
    for (const c of r.currencies) {
      for (const side of ['deferredRevenue', 'contractAsset', 'net']) {
        const row = sheet.getRow(n++);
        expect([row.getCell(col.get('currency')!).value, row.getCell(col.get('side')!).value]).toEqual([
          c.currency,
          side,
        ]);
        for (const figure of ['opening', 'billed', 'recognised', 'reclassified', 'closing'])
          expect((row.getCell(col.get(figure)!).value as number).toFixed(2)).toBe(c[side][figure]);
        expect(row.getCell(col.get('ties')!).value).toBe(c[side].ties);
      }
    }
    expect(n - 2).toBe(r.currencies.length * 3);
  });

  it('journals export every journal of the period with its ERP status; XLSX dates are date cells', async () => {
    const status = await t.call('GET', '/v1/contracts/A-REJ/posting-status', undefined, KEYS.reader);
    const march = (
      status.body.journals as { journalId: string; period: string; status: string; debit: string }[]
    ).filter((j) => j.period === '2026-03');
    expect(march.map((j) => j.status).sort()).toEqual(['posted', 'rejected']);
    const records = csvRecords(
      text((await download('/v1/exports/journals.csv?legalEntity=US01&period=2026-03')).bytes),
    );
    for (const j of march) {
      const row = records.find((r) => r.journalId === j.journalId)!;
      expect(row).toMatchObject({ contractId: 'A-REJ', status: j.status, debit: j.debit, date: '2026-03-31' });
    }
    expect(records.find((r) => r.status === 'rejected')!.rejectionCode).toBe('PERIOD_CLOSED');
    expect(new Set(records.map((r) => r.period))).toEqual(new Set(['2026-03']));
    const sheet = await openXlsx((await download('/v1/exports/journals.xlsx?legalEntity=US01&period=2026-03')).bytes);
    const col = columns(sheet);
    expect(sheet.rowCount).toBe(records.length + 1);
    const dateCell = sheet.getRow(2).getCell(col.get('date')!);
    expect(dateCell.value).toBeInstanceOf(Date);
    expect((dateCell.value as Date).toISOString().slice(0, 10)).toBe(records[0]!.date);
    expect(dateCell.numFmt).toBe('yyyy-mm-dd');
    expect(sheet.getRow(2).getCell(col.get('preparedAt')!).value).toBeInstanceOf(Date);
  });

  it('a contract`s schedule export lists each period and obligation as the schedule read model has them', async () => {
    const doc = await t.call('GET', '/v1/contracts/A-ASOF/schedule', undefined, KEYS.reader);
    const periods = doc.body.schedule.periods as { period: string; lines: Record<string, string>; total: string }[];
    const records = csvRecords(text((await download('/v1/exports/schedule.csv?contractId=A-ASOF')).bytes));
    expect(records.map((r) => [r.period, r.obligation, r.amount, r.periodTotal])).toEqual(
      periods.flatMap((p) => Object.entries(p.lines).map(([line, amount]) => [p.period, line, amount, p.total])),
    );
    const missing = await t.call('GET', '/v1/exports/schedule.csv?contractId=NOPE', undefined, KEYS.reader);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'UNKNOWN_CONTRACT' });
  });

  it('the exceptions export holds the items the REST list answers, in its order', async () => {
    const list = await t.call('GET', '/v1/exceptions?entity=US01&limit=500', undefined, KEYS.reader);
    const items = list.body.items as { id: string; kind: string; code: string; amount: string }[];
    expect(items.length).toBeGreaterThan(0);
    const records = csvRecords(text((await download('/v1/exports/exceptions.csv?legalEntity=US01')).bytes));
    expect(records.map((r) => [r.id, r.kind, r.code, r.amount])).toEqual(
      items.map((x) => [x.id, x.kind, x.code, x.amount]),
    );
    expect(records.map((r) => r.code)).toEqual(expect.arrayContaining(['PERIOD_CLOSED', 'UNMAPPED_SKU']));
  });

  it('bad tables, formats and parameters are refused naming them; exports need the read scope', async () => {
    const bad = async (path: string) => (await t.call('GET', path, undefined, KEYS.reader)).body;
    expect(await bad('/v1/exports/ledger.csv?legalEntity=US01')).toMatchObject({
      status: 404,
      code: 'UNKNOWN_EXPORT',
      detail: expect.stringMatching(/^table: "ledger"/),
    });
    expect(await bad('/v1/exports/journals.pdf?legalEntity=US01&period=2026-03')).toMatchObject({
      code: 'UNKNOWN_EXPORT',
      detail: expect.stringMatching(/^format: "pdf"/),
    });
    expect(await bad('/v1/exports/journals.csv?legalEntity=US01&period=2026-13')).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [expect.objectContaining({ path: 'period' })],
    });
    expect(await bad('/v1/exports/journals.csv?legalEntity=US01')).toMatchObject({
      errors: [expect.objectContaining({ path: 'period' })],
    });
    expect(await bad('/v1/exports/journals.csv?legalEntity=US01&period=2026-03&sql=1')).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await bad('/v1/exports/waterfall.csv?legalEntity=US01&from=2026-06&to=2026-01')).toMatchObject({
      detail: 'to: must not come before from',
    });
    expect(await bad('/v1/exports/waterfall.xlsx?legalEntity=US01&from=2000-01&to=2026-01')).toMatchObject({
      detail: 'to: must be within 120 months of from',
    });
    expect((await download('/v1/exports/journals.csv?legalEntity=US01&period=2026-03', null)).status).toBe(401);
  });

  it('an export over the row cap is refused with 413 naming the rule, never truncated', async () => {
    const capped = await startTestApp({
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_STORE: join(t.dir, 'revtrail.db'),
      REVTRAIL_READ_STORE: join(t.dir, 'readmodel.db'),
      REVTRAIL_EXPORT_MAX_ROWS: '2',
    });
    try {
      for (const path of [
        '/v1/exports/journals.csv?legalEntity=US01&period=2026-03',
        '/v1/exports/exceptions.xlsx?status=all',
      ]) {
        const r = await capped.call('GET', path, undefined, KEYS.reader);
        expect(r.status).toBe(413);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(r.body).toMatchObject({
          code: 'EXPORT_TOO_LARGE',
          detail: expect.stringMatching(/at most 2 \(REVTRAIL_EXPORT_MAX_ROWS\)/),
        });
      }
    } finally {
      await capped.close();
    }
  });

  it('the same table gives the same bytes on every export', async () => {
    const path = '/v1/exports/rollforward.xlsx?legalEntity=US01&period=2026-03';
    expect(Buffer.from((await download(path)).bytes).equals(Buffer.from((await download(path)).bytes))).toBe(true);
  });
});
