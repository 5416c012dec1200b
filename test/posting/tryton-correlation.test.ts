// A correlation id from the source record to a real Tryton move: events sent over HTTP under X-Correlation-Id are
// journaled by a posting run of the service, and every line of the Tryton move holding the journal carries the id
// (the move's own description is the journal id, its idempotency reference).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { TrytonAdmin } from '../../src/posting/connectors/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeWithTryton, startTryton, trytonConnectorEnv } from '../support/tryton.js';
import type { TrytonTestServer } from '../support/tryton.js';

const CONTROLLER = 'test-controller-key-0123456789';

describeWithTryton('correlation ids in Tryton', () => {
  let server: TrytonTestServer;
  let admin: TrytonAdmin;
  let t: TestApp;

  beforeAll(async () => {
    server = await startTryton();
    admin = new TrytonAdmin(server.connection());
    t = await startTestApp({
      ...trytonConnectorEnv(server),
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: CONTROLLER }]),
    });
    await seedDemo(t.app.store, { contracts: 0, seed: 1 }); // the demo mappings; the Tryton set-up holds their accounts
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await admin?.close();
    await server?.dispose();
  });

  const send = (path: string, body: unknown, key: string, correlationId: string) =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-correlation-id': correlationId,
      },
      body: JSON.stringify(body),
    });

  it('puts the source record’s correlation id on every line of the posted move', async () => {
    const contractId = 'C-TRY-CORR';
    const lines = [
      {
        lineId: 'SUB',
        sku: 'PLAT-STD',
        quantity: '1',
        amount: '1200.00',
        serviceStart: '2026-01-01',
        serviceEnd: '2026-12-31',
      },
    ];
    const events = [
      {
        type: 'ContractBooked',
        contractId,
        source: { system: 'crm', id: 'OPP-TRY-CORR', version: 1 },
        occurredAt: '2026-01-15T10:00:00Z',
        data: { version: 1, customerId: 'K-1', legalEntity: 'US01', currency: 'USD', bookingDate: '2026-01-15', lines },
      },
      {
        type: 'InvoiceIssued',
        contractId,
        source: { system: 'billing', id: 'INV-TRY-CORR', version: 1 },
        occurredAt: '2026-01-31T10:00:00Z',
        data: { invoiceId: 'INV-TRY-CORR', invoiceDate: '2026-01-31', lines: [{ lineId: 'SUB', amount: '300.00' }] },
      },
    ];
    const ingest = await send('/v1/events', { events }, KEYS.writer, 'crm-tryton-7');
    expect(ingest.status).toBe(200);
    const run = await send('/v1/posting-runs', { period: '2026-01', legalEntity: 'US01' }, CONTROLLER, 'run-tryton-7');
    expect(await run.json()).toMatchObject({ connector: 'tryton', prepared: 1, posted: 1 });

    let erpDocumentId: string | null = null;
    for await (const e of t.app.store.readStream(`contract-${contractId}`))
      if (e.type === 'JournalPosted') erpDocumentId = e.data.erpDocumentId as string;
    const moveLines = await admin.lines(Number(erpDocumentId));
    expect(moveLines.length).toBeGreaterThan(1);
    for (const l of moveLines) expect(l.description).toMatch(/(^|, )correlationId: crm-tryton-7(,|$)/);
  });
});
