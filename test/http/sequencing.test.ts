// Sequencing through the real app (POST /v1/events, the live projections, GraphQL, a posting run): an event that
// references what is not known yet is held and applies once its reference arrives; a held event is validated then
// exactly as if it had arrived in order, and one that fails is rejected on apply — a HeldEventRejected in its stream,
// its input in rejections-*, listed as an exception, never billed nor journaled. A held event past its age is an
// exception, HELD_TOO_LONG (the clock is injected).
import { afterEach, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CONTROLLER = 'test-controller-key-0123456789';
const START = Date.parse('2026-07-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

const line = (lineId: string, sku: string, amount: string) => ({
  lineId,
  sku,
  quantity: '1',
  amount,
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
});
const booking = (contractId: string, lines = [line('SUB', 'PLAT-STD', '1200.00')]) => ({
  type: 'ContractBooked',
  contractId,
  source: { system: 'crm', id: `OPP-${contractId}`, version: 1 },
  occurredAt: '2026-01-15T10:00:00Z',
  data: { version: 1, customerId: 'K-1', legalEntity: 'US01', currency: 'USD', bookingDate: '2026-01-15', lines },
});
const amendment = (contractId: string, version: number, lines: unknown[], effectiveDate = '2026-07-01') => ({
  type: 'ContractAmended',
  contractId,
  source: { system: 'crm', id: `OPP-${contractId}`, version },
  occurredAt: '2026-06-20T10:00:00Z',
  data: { version, effectiveDate, treatment: 'prospective', lines },
});
const cancellation = (contractId: string, version: number) => ({
  type: 'ContractCancelled',
  contractId,
  source: { system: 'crm', id: `OPP-${contractId}`, version },
  occurredAt: '2026-06-20T10:00:00Z',
  data: { version, effectiveDate: '2026-06-30' },
});
const event = (type: string, contractId: string, id: string, data: Record<string, unknown>) => ({
  type,
  contractId,
  source: { system: 'billing', id, version: 1 },
  occurredAt: '2026-02-01T10:00:00Z',
  data,
});
const invoice = (contractId: string, invoiceId: string, lineId = 'SUB', amount = '100.00') =>
  event('InvoiceIssued', contractId, invoiceId, {
    invoiceId,
    invoiceDate: '2026-02-01',
    lines: [{ lineId, amount }],
  });
const creditMemo = (contractId: string, id: string, invoiceId: string, amount = '10.00', lineId = 'SUB') =>
  event('CreditMemoIssued', contractId, id, {
    creditMemoId: id,
    invoiceId,
    issuedOn: '2026-03-01',
    lines: [{ lineId, amount }],
    reducesTransactionPrice: false,
  });

describe('held events: applied when their references arrive, rejected on apply when invalid then', () => {
  let t: TestApp;
  let clock = START;
  afterEach(async () => t.close());

  const start = async () => {
    clock = START;
    t = await startTestApp(
      {
        REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: CONTROLLER }]),
        REVTRAIL_RUNNER_BATCH: '50',
      },
      { now: () => new Date(clock) },
    );
    await seedDemo(t.app.store, { contracts: 0, seed: 1, now: () => new Date(clock) }); // the demo mappings
  };
  /** Waits until the contract's read models have folded every event of its stream. */
  const caughtUp = async (contractId: string) => {
    for (;;) {
      const events = await stream(contractId);
      const [schedule, posting] = await Promise.all([
        t.call('GET', `/v1/contracts/${contractId}/schedule`, undefined, KEYS.reader),
        t.app.read.get('posting-status', contractId),
      ]);
      // posting-status folds the booking and the journals only (no bill, no rejection: billed is the schedule's)
      const folded = events.filter((e) => e.type === 'ContractBooked' || e.type.startsWith('Journal'));
      const last = folded[folded.length - 1]?.revision ?? -1;
      if (schedule.body?.eventCount === events.length && (posting?.streamRevision ?? -1) === last) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stream = async (contractId: string) => {
    const out: { type: string; eventId: string; revision: number; data: Record<string, unknown> }[] = [];
    for await (const e of t.app.store.readStream(`contract-${contractId}`)) out.push(e);
    return out;
  };
  const rejections = async () => {
    const day = new Date(clock).toISOString().slice(0, 10);
    const out: Record<string, unknown>[] = [];
    for await (const e of t.app.store.readStream(`rejections-${day}`)) out.push(e.data);
    return out;
  };
  const schedule = async (contractId: string) =>
    (await t.call('GET', `/v1/contracts/${contractId}/schedule`, undefined, KEYS.reader)).body;
  const exceptions = async (kind: string) => {
    const r = await t.call(
      'POST',
      '/graphql',
      { query: `{ exceptions(kind: "${kind}") { contractId source code message eventId } }` },
      KEYS.reader,
    );
    return r.body.data.exceptions as { contractId: string; source: string; code: string; eventId: string }[];
  };

  /** Sends `early` before the events that resolve it; then shows it rejected on apply with `code`. */
  const rejectedOnApply = async (
    contractId: string,
    early: Record<string, unknown>,
    resolving: Record<string, unknown>[],
    code: string,
  ) => {
    const held = await t.post([early]);
    expect(held.results[0]).toMatchObject({ status: 'held' });
    const heldId = held.results[0]!.eventId!;
    const resolved = await t.post(resolving);
    expect(resolved.results.map((r) => r.status)).not.toContain('rejected');
    const events = await stream(contractId);
    const record = events.find((e) => e.type === 'HeldEventRejected');
    expect(record?.data).toMatchObject({ rejectedEventId: heldId, errors: expect.arrayContaining([]) });
    expect((record!.data.errors as { code: string }[]).map((x) => x.code)).toContain(code);
    const kept = (await rejections()).find((r) => r.heldEventId === heldId);
    expect(kept).toMatchObject({ index: null, input: { type: early.type, contractId, data: early.data } });
    await caughtUp(contractId);
    const doc = await schedule(contractId);
    expect(doc.rejected.map((f: { eventId: string }) => f.eventId)).toEqual([heldId]);
    expect(doc.billing.map((b: { eventId: string }) => b.eventId)).not.toContain(heldId);
    expect(await exceptions('HELD_EVENT_REJECTED')).toContainEqual(
      expect.objectContaining({ contractId, source: 'sequencing', code: 'HELD_EVENT_REJECTED', eventId: heldId }),
    );
    return heldId;
  };

  it('money precision: an invoice sent before its booking with 3 decimals in USD is never billed nor posted', async () => {
    await start();
    const bad = invoice('P-1', 'INV-P1', 'SUB', '600.125');
    const heldId = await rejectedOnApply('P-1', bad, [booking('P-1')], 'MONEY_PRECISION');
    const status = (await t.call('GET', '/v1/contracts/P-1/posting-status', undefined, KEYS.reader)).body;
    expect(status.billed).toBe('0.00');
    const run = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(run.status).toBe(201);
    const journals = (await stream('P-1')).filter((e) => e.type === 'JournalPrepared');
    expect(journals).toHaveLength(1);
    const lineage = journals[0]!.data.lineage as { sourceEventIds: string[] };
    expect(lineage.sourceEventIds).not.toContain(heldId);
    const receivable = (journals[0]!.data.lines as { account: string; debit: string }[]).filter(
      (l) => l.account === '1100',
    );
    expect(receivable).toEqual([]);
  });

  it('unknown line: an invoice for a line no version has is rejected once a cancellation closes the contract', async () => {
    await start();
    await rejectedOnApply(
      'P-2',
      invoice('P-2', 'INV-P2', 'NOPE'),
      [booking('P-2'), cancellation('P-2', 2)],
      'UNKNOWN_LINE_ID',
    );
  });

  it('unknown invoice: a credit memo naming an invoice never issued, on a line the contract never had', async () => {
    await start();
    await rejectedOnApply(
      'P-3',
      creditMemo('P-3', 'CM-P3', 'INV-NEVER', '10.00', 'NOPE'),
      [booking('P-3'), cancellation('P-3', 2)],
      'UNKNOWN_INVOICE',
    );
  });

  it('date order: an amendment effective before the booking date, sent before the booking', async () => {
    await start();
    await rejectedOnApply(
      'P-4',
      amendment('P-4', 2, [line('SUB', 'PLAT-STD', '1500.00')], '2026-01-01'),
      [booking('P-4')],
      'DATE_ORDER',
    );
  });

  it('a line keeps its SKU: an amendment sent before the booking that changes one', async () => {
    await start();
    await rejectedOnApply(
      'P-5',
      amendment('P-5', 2, [line('SUB', 'PLAT-PRO', '2400.00')]),
      [booking('P-5')],
      'LINE_SKU_CHANGED',
    );
  });

  it('after a cancellation: an amendment held for its predecessor, which turns out to cancel', async () => {
    await start();
    await t.post([booking('P-6')]);
    await rejectedOnApply(
      'P-6',
      amendment('P-6', 3, [line('SUB', 'PLAT-STD', '1500.00')]),
      [cancellation('P-6', 2)],
      'CONTRACT_ALREADY_CANCELLED',
    );
  });

  it('what can never become valid is rejected at once, even before the booking', async () => {
    await start();
    const usage = event('UsageRecorded', 'P-7', 'U-1', {
      lineId: 'USG',
      periodStart: '2026-03-31',
      periodEnd: '2026-03-01',
      quantity: '1',
      amount: '1.00',
    });
    const res = await t.post([usage]);
    expect(res.results[0]).toMatchObject({ status: 'rejected', errors: [{ code: 'DATE_ORDER' }] });
    expect(await stream('P-7')).toEqual([]);
  });

  it('early references are held, then applied as if they had arrived in order', async () => {
    await start();
    const usageLine = { ...line('USG', 'API-CALLS', '0.00'), quantity: '0' };
    const training = { ...line('TRN', 'TRAIN-DAY', '2000.00'), serviceEnd: '2026-01-01' };
    const facts = {
      booking: booking('E-1', [line('SUB', 'PLAT-STD', '1200.00'), usageLine, training]),
      amendment: amendment('E-1', 2, [
        line('SUB', 'PLAT-STD', '1200.00'),
        usageLine,
        training,
        line('SSO', 'ADDON-SSO', '600.00'),
      ]),
      invoiceForAddedLine: invoice('E-1', 'INV-SSO', 'SSO', '300.00'),
      invoice: invoice('E-1', 'INV-1', 'SUB', '1200.00'),
      creditMemo: creditMemo('E-1', 'CM-1', 'INV-1', '100.00'),
      usage: event('UsageRecorded', 'E-1', 'U-1', {
        lineId: 'USG',
        periodStart: '2026-03-01',
        periodEnd: '2026-03-31',
        quantity: '10',
        amount: '5.00',
      }),
      activation: event('ServiceActivated', 'E-1', 'A-1', { lineId: 'TRN', activatedOn: '2026-04-10' }),
    };
    const inOrder = structuredClone(facts);
    for (const f of Object.values(inOrder)) f.contractId = 'E-2';
    // In order, one at a time.
    for (const f of [
      inOrder.booking,
      inOrder.invoice,
      inOrder.creditMemo,
      inOrder.activation,
      inOrder.usage,
      inOrder.amendment,
      inOrder.invoiceForAddedLine,
    ])
      expect((await t.post([structuredClone(f)])).results[0]!.status).toBe('appended');
    // Out of order: every reference before what it names, every kind before the booking.
    const held = await t.post([
      facts.invoiceForAddedLine, // before the amendment that adds its line
      facts.creditMemo, // before its invoice
      facts.usage, // before the activation and the booking
    ]);
    expect(held.results.map((r) => r.status)).toEqual(['held', 'held', 'held']);
    expect((await t.post([facts.activation, facts.invoice])).results.map((r) => r.status)).toEqual(['held', 'held']);
    expect((await t.post([facts.amendment])).results[0]!.status).toBe('held');
    expect((await t.post([facts.booking])).results[0]!.status).toBe('appended');
    expect((await stream('E-1')).map((e) => e.type)).not.toContain('HeldEventRejected');
    await caughtUp('E-1');
    await caughtUp('E-2');
    const [early, ordered] = [await schedule('E-1'), await schedule('E-2')];
    expect(early.pending).toEqual([]);
    expect(early.rejected).toEqual([]);
    const comparable = (doc: { schedule: unknown; balances: unknown; billing: { date: string; amount: string }[] }) =>
      JSON.parse(
        JSON.stringify({
          schedule: doc.schedule,
          balances: doc.balances,
          billing: doc.billing.map((b) => [b.date, b.amount]),
        }).replaceAll('E-2', 'E-1'),
      ) as unknown;
    // Event ids differ between the two contracts (their sources do); everything else must not.
    const withoutIds = (x: unknown) =>
      JSON.parse(
        JSON.stringify(x, (k, v: unknown) => (k === 'eventIds' || k === 'eventId' ? undefined : v)),
      ) as unknown;
    expect(withoutIds(comparable(early))).toEqual(withoutIds(comparable(ordered)));
    expect((early.schedule as { status: string }).status).toBe('ok');
  });

  it('an event held past the configured age is an exception, HELD_TOO_LONG, on an injected clock', async () => {
    await start();
    await t.post([booking('H-1')]);
    const memo = await t.post([creditMemo('H-1', 'CM-H1', 'INV-LATE')]);
    expect(memo.results[0]).toMatchObject({ status: 'held' });
    const v3 = await t.post([amendment('H-1', 3, [line('SUB', 'PLAT-STD', '1500.00')])]);
    expect(v3.results[0]).toMatchObject({ status: 'held' });
    await caughtUp('H-1');
    expect(await exceptions('HELD_TOO_LONG')).toEqual([]);
    const awaiting = async () =>
      (
        await t.call(
          'POST',
          '/graphql',
          { query: '{ amendmentsAwaitingRecalculation { amendments { contractId version reason } } }' },
          KEYS.reader,
        )
      ).body.data.amendmentsAwaitingRecalculation.amendments as { reason: string }[];
    expect(await awaiting()).toEqual([{ contractId: 'H-1', version: 3, reason: 'HELD_VERSION_GAP' }]);
    clock = START + 8 * DAY;
    const late = await exceptions('HELD_TOO_LONG');
    expect(late.map((x) => [x.contractId, x.code, x.eventId]).sort()).toEqual(
      [
        ['H-1', 'HELD_TOO_LONG', memo.results[0]!.eventId],
        ['H-1', 'HELD_TOO_LONG', v3.results[0]!.eventId],
      ].sort(),
    );
    // amendmentsAwaitingRecalculation still says why it waits; its age makes it an exception.
    expect(await awaiting()).toEqual([{ contractId: 'H-1', version: 3, reason: 'HELD_VERSION_GAP' }]);
    // The invoice it names arrives: the credit memo applies and is no longer an exception.
    await t.post([invoice('H-1', 'INV-LATE')]);
    await caughtUp('H-1');
    expect((await exceptions('HELD_TOO_LONG')).map((x) => x.eventId)).toEqual([v3.results[0]!.eventId]);
  });
});
