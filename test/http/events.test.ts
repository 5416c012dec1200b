// POST /v1/events through a real listening server: life cycle, idempotency, sequencing, concurrency, refusals, auth.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/store/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { AT, BUNDLE_LINES, booking as bookingFor, invoice as invoiceFor } from '../support/fixtures.js';

const at = AT;
const booking = (contractId = 'C-1') => bookingFor(contractId, BUNDLE_LINES);
const amendment = (version: number, contractId = 'C-1', amount = `${12000 + version * 100}.00`) => ({
  type: 'ContractAmended',
  contractId,
  source: { system: 'salesforce', id: `OPP-${contractId}`, version },
  occurredAt: at,
  data: {
    version,
    effectiveDate: '2026-04-01',
    treatment: 'prospective',
    lines: [
      { lineId: 'SUB', sku: 'PLATFORM', quantity: '1', amount, serviceStart: '2026-01-01', serviceEnd: '2026-12-31' },
    ],
  },
});
const ev = (type: string, id: string, data: Record<string, unknown>, system = 'billing', contractId = 'C-1') => ({
  type,
  contractId,
  source: { system, id, version: 1 },
  occurredAt: at,
  data,
});
const invoice = (id = 'INV-1', lineId = 'SUB') => invoiceFor('C-1', id, lineId, '1000.00');

describe('POST /v1/events', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const stream = async (contractId = 'C-1') => {
    const r = await t.call('GET', `/v1/contracts/${contractId}/events`, undefined, KEYS.reader);
    return r.status === 404 ? [] : (r.body.events as { eventId: string; type: string; revision: number }[]);
  };
  const status = async (contractId = 'C-1') =>
    (await t.call('GET', `/v1/contracts/${contractId}/status`, undefined, KEYS.reader)).body;

  it('appends a full contract life cycle in order, hash-chained', async () => {
    const lifecycle = [
      booking(),
      ev('ServiceActivated', 'ACT-1', { lineId: 'SUB', activatedOn: '2026-01-02' }, 'fulfilment'),
      invoice('INV-1'),
      ev(
        'MilestoneCompleted',
        'MS-1',
        { lineId: 'ONB', milestoneId: 'kickoff', completedOn: '2026-02-15', fraction: '0.5' },
        'psa',
      ),
      ev(
        'UsageRecorded',
        'USG-1',
        { lineId: 'USG', periodStart: '2026-02-01', periodEnd: '2026-02-28', quantity: '1200', amount: '600.00' },
        'metering',
      ),
      ev('CreditMemoIssued', 'CM-1', {
        creditMemoId: 'CM-1',
        invoiceId: 'INV-1',
        issuedOn: '2026-03-01',
        lines: [{ lineId: 'SUB', amount: '100.00' }],
        reducesTransactionPrice: true,
      }),
      ev(
        'ServiceCreditApproved',
        'SC-1',
        { creditId: 'SC-1', lineId: 'SUB', amount: '50.00', approvedOn: '2026-03-05', reason: 'outage' },
        'zendesk',
      ),
      amendment(2),
      {
        type: 'ContractCancelled',
        contractId: 'C-1',
        source: { system: 'salesforce', id: 'OPP-C-1', version: 3 },
        occurredAt: at,
        data: { version: 3, effectiveDate: '2026-09-30' },
      },
    ];
    const res = await t.post(lifecycle);
    expect(res.results.map((r) => r.status)).toEqual(Array(9).fill('appended'));
    expect(res.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const events = await stream();
    expect(events.map((e) => e.type)).toEqual(lifecycle.map((e) => e.type));
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.map((e) => e.eventId)).toEqual(res.results.map((r) => r.eventId));
    expect((await verify(t.app.store, 'contract-C-1')).ok).toBe(true);
    expect(await status()).toMatchObject({ versionInForce: 3, cancelledAt: 3, heldVersions: [] });
  });

  it('the same batch sent three times is stored once; the repeats answer duplicate with the original ids', async () => {
    const batch = [booking(), invoice('INV-1'), invoice('INV-2')];
    const first = await t.post(batch);
    const second = await t.post(batch);
    const third = await t.post(batch);
    expect(first.counts).toMatchObject({ appended: 3 });
    for (const r of [second, third]) {
      expect(r.results.map((x) => x.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(r.results.map((x) => x.eventId)).toEqual(first.results.map((x) => x.eventId));
    }
    expect(await stream()).toHaveLength(3);
  });

  it('a repeat within one batch is a duplicate of the first', async () => {
    const res = await t.post([booking(), invoice(), invoice()]);
    expect(res.results.map((x) => x.status)).toEqual(['appended', 'appended', 'duplicate']);
  });

  it('the same idempotency key with changed content is IDEMPOTENCY_CONFLICT and changes nothing', async () => {
    await t.post([booking(), invoice('INV-1')]);
    const before = await stream();
    const changed = invoice('INV-1');
    (changed.data.lines as { amount: string }[])[0]!.amount = '999.00';
    const res = await t.post([changed]);
    expect(res.results[0]).toMatchObject({
      status: 'rejected',
      errors: [{ code: 'IDEMPOTENCY_CONFLICT', path: 'source' }],
    });
    expect(await stream()).toEqual(before);
  });

  it('amendment v3 before v2 is held, then both apply in order when v2 arrives', async () => {
    await t.post([booking()]);
    const early = await t.post([amendment(3)]);
    expect(early.results[0]).toMatchObject({ status: 'held' });
    expect(await status()).toMatchObject({ versionInForce: 1, heldVersions: [3] });
    const late = await t.post([amendment(2)]);
    expect(late.results[0]).toMatchObject({ status: 'appended' });
    expect(await status()).toMatchObject({ versionInForce: 3, versionsStored: [1, 2, 3], heldVersions: [] });
  });

  it('events before the booking are held', async () => {
    const res = await t.post([invoice('INV-1'), amendment(2)]);
    expect(res.results.map((x) => x.status)).toEqual(['held', 'held']);
    const booked = await t.post([booking()]);
    expect(booked.results[0]).toMatchObject({ status: 'appended' });
    expect(await status()).toMatchObject({ versionInForce: 2 });
  });

  it('50 concurrent requests amending one contract leave a gap-free, duplicate-free stream', async () => {
    await t.post([booking()]);
    const versions = Array.from({ length: 50 }, (_, i) => i + 2);
    // Every amendment once, in scrambled order, plus ten of them delivered twice at the same time.
    const requests = [...versions.reverse(), ...versions.slice(0, 10)].map((v) => t.post([amendment(v)]));
    const results = (await Promise.all(requests)).map((r) => r.results[0] as { status: string });
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(10);
    const events = await stream();
    expect(events).toHaveLength(51);
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(51);
    expect(await status()).toMatchObject({ versionInForce: 51, heldVersions: [] });
  });

  describe('refuses a malformed event with the field path and a code, appending nothing', () => {
    const withLine = (patch: Record<string, unknown>) => bookingFor('C-1', [{ ...BUNDLE_LINES[0]!, ...patch }]);
    it.each([
      ['wrong type', withLine({ amount: 12000 }), 'data.lines.0.amount', 'WRONG_TYPE'],
      ['negative quantity', withLine({ quantity: '-2' }), 'data.lines.0.quantity', 'NEGATIVE_QUANTITY'],
      ['3 decimals in USD', withLine({ amount: '12000.005' }), 'data.lines.0.amount', 'MONEY_PRECISION'],
      [
        '2026-02-30',
        { ...booking(), data: { ...booking().data, bookingDate: '2026-02-30' } },
        'data.bookingDate',
        'INVALID_DATE',
      ],
      ['unknown type', { ...booking(), type: 'ContractBurned' }, 'type', 'UNKNOWN_TYPE'],
      ['missing source', { ...booking(), source: undefined }, 'source', 'REQUIRED'],
    ])('%s', async (_name, bad, path, code) => {
      const res = await t.post([bad]);
      expect(res.results[0]).toMatchObject({ index: 0, status: 'rejected' });
      expect(res.results[0]?.errors).toContainEqual(expect.objectContaining({ path, code }));
      expect(await stream()).toEqual([]);
    });

    it('unknown lineId on a booked contract is held, not refused: an amendment may still add the line', async () => {
      await t.post([booking()]);
      const res = await t.post([invoice('INV-9', 'NOPE')]);
      expect(res.results[0]).toMatchObject({ status: 'held' });
      expect(await stream()).toHaveLength(2);
    });

    it('USD precision on a later event, checked against the booked currency', async () => {
      await t.post([booking()]);
      const inv = invoice('INV-3');
      (inv.data.lines as { amount: string }[])[0]!.amount = '10.001';
      const res = await t.post([inv]);
      expect(res.results[0]).toMatchObject({
        status: 'rejected',
        errors: [{ path: 'data.lines.0.amount', code: 'MONEY_PRECISION' }],
      });
    });

    it('cancelling a cancelled contract', async () => {
      const cancel = (v: number) => ({
        type: 'ContractCancelled',
        contractId: 'C-1',
        source: { system: 'salesforce', id: 'OPP-C-1', version: v },
        occurredAt: at,
        data: { version: v, effectiveDate: '2026-06-30' },
      });
      await t.post([booking(), cancel(2)]);
      const res = await t.post([cancel(3)]);
      expect(res.results[0]).toMatchObject({ status: 'rejected', errors: [{ code: 'CONTRACT_ALREADY_CANCELLED' }] });
    });
  });

  it('answers each event of a mixed batch in request order and keeps refused inputs for audit', async () => {
    const res = await t.post([booking(), { type: 'Nope' }, invoice()]);
    expect(res.results.map((r) => [r.index, r.status])).toEqual([
      [0, 'appended'],
      [1, 'rejected'],
      [2, 'appended'],
    ]);
    const day = new Date().toISOString().slice(0, 10);
    const kept = [];
    for await (const e of t.app.store.readStream(`rejections-${day}`)) kept.push(e);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.data).toMatchObject({ index: 1, input: { type: 'Nope' }, errors: [{ code: 'UNKNOWN_TYPE' }] });
    expect(kept[0]!.metadata.actor).toBe('crm-sync');
  });

  it('answers a malformed body as a whole with 400 problem+json', async () => {
    for (const body of [
      '{not json',
      { events: [] },
      { events: 'x' },
      { notEvents: [] },
      { events: Array(1001).fill(booking()) },
    ]) {
      const r = await t.call('POST', '/v1/events', body);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.body).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
    }
    expect(await stream()).toEqual([]);
  });

  it('needs a key (401) with the right scope (403)', async () => {
    expect((await t.call('POST', '/v1/events', { events: [booking()] }, null)).status).toBe(401);
    expect((await t.call('POST', '/v1/events', { events: [booking()] }, 'not-a-key-at-all-000000')).status).toBe(401);
    const forbidden = await t.call('POST', '/v1/events', { events: [booking()] }, KEYS.reader);
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'MISSING_SCOPE' } });
    expect((await t.call('GET', '/v1/contracts/C-1/events', undefined, null)).status).toBe(401);
    expect(await stream()).toEqual([]);
  });

  it('serves the OpenAPI document generated from the schemas', async () => {
    const r = await t.call('GET', '/docs/json', undefined, null);
    expect(r.status).toBe(200);
    expect(r.body.paths['/v1/events'].post.requestBody.content['application/json'].schema).toBeDefined();
    expect(JSON.stringify(r.body)).toContain('ContractBooked');
  });
});
