// Exchange rates as events through a real listening server: FxRatesPublished goes through POST /v1/events with the
// same validation and idempotency as every inbound event, into its pair's stream, and GET /v1/fx-rates lists them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const rate = (id: string, data: Record<string, unknown> = {}, version = 1) => ({
  type: 'FxRatesPublished',
  source: { system: 'ecb', id, version },
  occurredAt: '2026-01-02T16:00:00Z',
  data: { rateDate: '2026-01-02', base: 'USD', quote: 'EUR', rate: '0.9012', rateType: 'spot', ...data },
});

describe('FxRatesPublished through POST /v1/events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('appends a rate to its pair stream once: the same event again is a duplicate with the same id', async () => {
    const first = await t.post([rate('USD-EUR-2026-01-02')]);
    expect(first.results[0]).toMatchObject({ status: 'appended' });
    const again = await t.post([rate('USD-EUR-2026-01-02'), rate('USD-EUR-2026-01-02')]);
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    expect(again.results[0]!.eventId).toBe(first.results[0]!.eventId);
    const listed = await t.call('GET', '/v1/fx-rates/USD/EUR', undefined, KEYS.reader);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({
      base: 'USD',
      quote: 'EUR',
      rates: [{ rateDate: '2026-01-02', rateType: 'spot', rate: '0.9012', eventId: first.results[0]!.eventId }],
    });
    expect(listed.body.rates).toHaveLength(1);
  });

  it('lists a pair by rate date, and only its own pair (EUR/USD is another stream)', async () => {
    await t.post([
      rate('USD-EUR-avg-2026-01', { rateDate: '2026-01-31', rateType: 'average', rate: '0.92' }),
      rate('EUR-USD-2026-01-02', { base: 'EUR', quote: 'USD', rate: '1.1096' }),
    ]);
    const usdEur = (await t.call('GET', '/v1/fx-rates/USD/EUR', undefined, KEYS.reader)).body;
    expect(usdEur.rates.map((r: { rateDate: string }) => r.rateDate)).toEqual(['2026-01-02', '2026-01-31']);
    const eurUsd = (await t.call('GET', '/v1/fx-rates/EUR/USD', undefined, KEYS.reader)).body;
    expect(eurUsd.rates).toMatchObject([{ rate: '1.1096' }]);
    expect((await t.call('GET', '/v1/fx-rates/USD/JPY', undefined, KEYS.reader)).body.rates).toEqual([]);
  });

  it('the same source record with another rate is IDEMPOTENCY_CONFLICT; a new source version corrects it', async () => {
    const conflict = await t.post([rate('USD-EUR-2026-01-02', { rate: '0.9013' })]);
    expect(conflict.results[0]).toMatchObject({ status: 'rejected', errors: [{ code: 'IDEMPOTENCY_CONFLICT' }] });
    const corrected = await t.post([rate('USD-EUR-2026-01-02', { rate: '0.9013' }, 2)]);
    expect(corrected.results[0]).toMatchObject({ status: 'appended' });
  });

  it('refuses a bad rate naming the field and the rule', async () => {
    const { results } = await t.post([
      rate('bad-1', { rate: '-0.9' }),
      rate('bad-2', { rate: '0' }),
      rate('bad-3', { rate: 0.9 }),
      rate('bad-4', { rate: '0.12345678901' }),
      rate('bad-5', { quote: 'USD' }),
      rate('bad-6', { base: 'XYZ' }),
      rate('bad-7', { rateDate: '2026-02-30' }),
      rate('bad-8', { rateType: 'forward' }),
      rate('bad-9', { rate: '1234567890.5' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(9).fill('rejected'));
    expect(results.map((r) => [r.errors![0]!.path, r.errors![0]!.code])).toEqual([
      ['data.rate', 'INVALID_FORMAT'],
      ['data.rate', 'TOO_SMALL'],
      ['data.rate', 'WRONG_TYPE'],
      ['data.rate', 'NUMBER_TOO_LARGE'],
      ['data.quote', 'INVALID_VALUE'],
      ['data.base', 'INVALID_CURRENCY'],
      ['data.rateDate', 'INVALID_DATE'],
      ['data.rateType', 'INVALID_VALUE'],
      ['data.rate', 'NUMBER_TOO_LARGE'],
    ]);
    expect(results[4]!.errors![0]!.message).toBe('must differ from base');
  });

  it('reading rates needs the read scope', async () => {
    expect((await t.call('GET', '/v1/fx-rates/USD/EUR', undefined, null)).status).toBe(401);
    expect((await t.call('GET', '/v1/fx-rates/usd/EUR', undefined, KEYS.reader)).status).toBe(400);
  });
});
