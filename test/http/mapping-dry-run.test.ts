// A proposed product mapping previewed through the real server before it is published: the per-period revenue effect
// per contract and in total equals what publishing it and letting the projection recompute then gives, the answer is
// paged, a bad proposal is refused naming its field, and the preview writes nothing (log and read model unchanged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappingPreview } from '../../src/audit/index.js';
import { dec, minus } from '../../src/revenue/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const APPROVER = 'test-approver-key-0123456789';
const KEY_ENV = JSON.stringify([{ name: 'controller', scopes: ['mappings:approve', 'read'], key: APPROVER }]);

const line = (lineId: string, sku: string, amount: string, serviceEnd = '2026-12-31') => ({
  lineId,
  sku,
  quantity: '1',
  amount,
  serviceStart: '2026-01-01',
  serviceEnd,
});
const booking = (contractId: string, lines: unknown[], currency = 'USD') => ({
  type: 'ContractBooked',
  contractId,
  source: { system: 'crm', id: `OPP-${contractId}`, version: 1 },
  occurredAt: '2026-01-15T10:00:00Z',
  data: { version: 1, customerId: 'K-1', legalEntity: 'US01', currency, bookingDate: '2026-01-15', lines },
});
const product = (sku: string, ssp: string, pattern = 'ratable', extra: object = {}) => ({
  sku,
  pattern,
  ssp,
  accounts: { revenue: '4000' },
  ...extra,
});
const V1 = [
  product('PLAT', '1200.00'),
  product('ADDON', '600.00'),
  product('SETUP', '500.00'),
  product('OTHER', '1.00'),
];
// ADDON's SSP triples (C-1's allocation moves between its lines of different terms; C-3 has ADDON alone, so its
// allocation cannot move) and SETUP becomes point in time (C-2's setup revenue moves to the start).
const PROPOSED = {
  products: [
    product('PLAT', '1200.00'),
    product('ADDON', '1800.00'),
    product('SETUP', '500.00', 'point_in_time', { trigger: 'service_start' }),
    product('OTHER', '1.00'),
  ],
  reason: 'ADDON list price; setup is delivered at once',
  basedOnVersion: 1,
};

type Periods = { period: string; total: string }[];

describe('POST /v1/mappings/products/dry-run', () => {
  let t: TestApp;
  const dryRun = async (body: unknown, query = '', key: string | null = KEYS.reader) =>
    t.call('POST', `/v1/mappings/products/dry-run${query}`, body, key);
  const schedule = async (id: string): Promise<Periods> =>
    (await t.call('GET', `/v1/contracts/${id}/schedule`, undefined, KEYS.reader)).body.schedule.periods;
  /** Everything the preview could write: the log's head, the read model's checkpoint and every document. */
  const snapshot = async () => ({
    head: await t.app.store.headPosition(),
    checkpoint: await t.app.read.checkpoint('revenue-schedule'),
    docs: await t.app.read.list('revenue-schedule', { limit: 1000 }),
    mappingVersions: (await t.call('GET', '/v1/mappings/products/versions', undefined, KEYS.reader)).body,
  });

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_API_KEYS: KEY_ENV, REVTRAIL_PROJECTIONS: 'off' });
    const published = await t.call('POST', '/v1/mappings/products', { products: V1, reason: 'v1' }, APPROVER);
    expect(published.status).toBe(201);
    const r = await t.post([
      booking('C-1', [line('A', 'PLAT', '1200.00'), line('B', 'ADDON', '600.00', '2026-03-31')]),
      booking('C-2', [line('A', 'PLAT', '1200.00'), line('S', 'SETUP', '600.00')]),
      booking('C-3', [line('A', 'ADDON', '900.00')], 'EUR'),
      booking('C-4', [line('A', 'OTHER', '100.00')]),
    ]);
    expect(r.counts).toMatchObject({ appended: 4 });
    await t.app.projections.catchUp();
  });
  afterAll(() => t.close());

  it('answers the per-period effect of a proposal with the read key, a page at a time, and writes nothing', async () => {
    const before = await snapshot();
    const first = await dryRun(PROPOSED, '?limit=1');
    expect(first.status).toBe(200);
    const page1 = first.body as MappingPreview;
    expect(page1).toMatchObject({ currentVersion: 1, proposedVersion: 2, changedSkus: ['ADDON', 'SETUP'] });
    // C-1, C-2 and C-3 use a changed SKU; C-3's revenue does not move.
    expect(page1.summary).toMatchObject({ examined: 3, changed: 2 });
    expect(page1.contracts.map((c) => c.contractId)).toEqual(['C-1']);
    expect(page1.next).toBe('C-1');
    const page2 = (await dryRun(PROPOSED, `?limit=1&after=${page1.next}`)).body as MappingPreview;
    expect(page2.contracts.map((c) => c.contractId)).toEqual(['C-2']);
    expect(page2).toMatchObject({ next: null, summary: null });
    const whole = (await dryRun(PROPOSED)).body as MappingPreview;
    expect(whole.contracts.map((c) => c.contractId)).toEqual(['C-1', 'C-2']);
    expect(whole.contracts[0]!.changes.join('\n')).toContain('line B allocated');
    expect(await snapshot()).toEqual(before);

    // GraphQL answers the same, paged Relay-style.
    const ask = `query ($products: JSON!, $after: String) {
      mappingDryRun(products: $products, first: 1, after: $after) {
        unchanged currentVersion proposedVersion changedSkus
        summary { examined changed totals { period currency before after delta } }
        contracts { contractId legalEntity currency statusBefore statusAfter changes
          periods { period currency before after delta } }
        pageInfo { hasNextPage endCursor }
      }
    }`;
    const graph = async (after: string | null) => {
      const r = await t.call('POST', '/graphql', { query: ask, variables: { products: PROPOSED, after } }, KEYS.reader);
      expect(r.body.errors).toBeUndefined();
      return r.body.data.mappingDryRun;
    };
    const g1 = await graph(null);
    const { next: _next, asOf: _asOf, kind: _kind, ...sameAsRest } = first.body;
    expect({ ...g1, pageInfo: undefined }).toEqual({ ...sameAsRest, pageInfo: undefined });
    expect(g1.pageInfo.hasNextPage).toBe(true);
    const g2 = await graph(g1.pageInfo.endCursor);
    expect(g2.contracts).toEqual(page2.contracts);
    expect(g2).toMatchObject({ summary: null, pageInfo: { hasNextPage: false } });
    const badGraph = await t.call(
      'POST',
      '/graphql',
      { query: ask, variables: { products: { ...PROPOSED, products: [{ sku: 'X', pattern: 'ratable' }] } } },
      KEYS.reader,
    );
    expect(badGraph.body.errors[0].extensions.code).toBe('INVALID_ARGUMENT');
    expect(badGraph.body.errors[0].message).toMatch(/^products: products\.0\.ssp/);
    expect(await snapshot()).toEqual(before);

    // Publish it for real and let the projection recompute: the preview's numbers are what happened.
    const schedulesBefore = new Map([
      ['C-1', await schedule('C-1')],
      ['C-2', await schedule('C-2')],
    ]);
    const published = await t.call('POST', '/v1/mappings/products', PROPOSED, APPROVER);
    expect(published.body).toMatchObject({ version: 2, status: 'published' });
    await t.app.projections.catchUp();
    const totals = new Map<string, string>();
    for (const c of whole.contracts) {
      const was = schedulesBefore.get(c.contractId)!;
      const now = await schedule(c.contractId);
      const periods = [...new Set([...was, ...now].map((p) => p.period))].sort();
      const actual = periods
        .map((period) => {
          const b = was.find((p) => p.period === period)?.total ?? '0.00';
          const a = now.find((p) => p.period === period)?.total ?? '0.00';
          return { period, currency: 'USD', before: b, after: a, delta: minus(dec(a), dec(b)).toFixed(2) };
        })
        .filter((p) => !dec(p.delta).isZero());
      expect(c.periods, c.contractId).toEqual(actual);
      for (const p of actual)
        totals.set(
          p.period,
          dec(totals.get(p.period) ?? '0')
            .plus(dec(p.delta))
            .toFixed(2),
        );
    }
    expect(page1.summary!.totals.map((p) => [p.period, p.currency, p.delta])).toEqual(
      [...totals.entries()].sort().map(([period, delta]) => [period, 'USD', delta]),
    );
    // Sums to the cent: a reallocation moves revenue between periods, it does not create any.
    expect(page1.summary!.totals.reduce((s, p) => s.plus(dec(p.delta)), dec('0')).isZero()).toBe(true);

    // Proposing what is now in force changes nothing.
    const same = (await dryRun({ ...PROPOSED, basedOnVersion: 2 })).body;
    expect(same).toMatchObject({ unchanged: true, changedSkus: [], contracts: [], summary: { changed: 0 } });
  });

  it('refuses a bad proposal or page as a publication would: 400 naming the field, 409 on a stale version', async () => {
    const before = await snapshot();
    const badSsp = await dryRun({ ...PROPOSED, products: [{ ...PROPOSED.products[0], ssp: 'lots' }] });
    expect(badSsp).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(badSsp.body.errors.map((e: { path: string }) => e.path)).toEqual(['products.0.ssp']);
    const badPattern = await dryRun({ ...PROPOSED, products: [{ ...PROPOSED.products[0], pattern: 'someday' }] });
    expect(badPattern.body.errors[0].path).toBe('products.0.pattern');
    const noReason = await dryRun({ products: PROPOSED.products });
    expect(noReason.body.errors[0].path).toBe('reason');
    const badLimit = await dryRun(PROPOSED, '?limit=201');
    expect(badLimit).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(badLimit.body.errors[0].path).toBe('limit');
    const stale = await dryRun({ products: V1, reason: 'back to v1', basedOnVersion: 1 });
    expect(stale).toMatchObject({ status: 409, body: { code: 'STALE_VERSION' } });
    expect((await dryRun(PROPOSED, '', null)).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});
