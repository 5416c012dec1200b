// Correlation ids end to end through the real server: a source record's id (the event's own, else the request's
// X-Correlation-Id, else generated) is kept on every event the request causes, carried onto the journals built from
// them (a journal from several records carries each id), written into the ERP (real hledger finds the transaction by
// its tag), bound into every log line of the request and of the posting run, and searchable: GraphQL
// `trace(correlationId:)` and GET /v1/trace/:correlationId.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correlationTag } from '../../projections/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { seedDemo } from '../../src/demo/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeWith } from '../support/tryton.js';

const HLEDGER = '/usr/bin/hledger';
const CONTROLLER = 'test-controller-key-0123456789';
const CLOSER = 'test-closer-key-0123456789';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const booking = (contractId: string, correlationId?: string) => ({
  type: 'ContractBooked',
  contractId,
  source: { system: 'crm', id: `OPP-${contractId}`, version: 1 },
  occurredAt: '2026-01-15T10:00:00Z',
  ...(correlationId ? { correlationId } : {}),
  data: {
    version: 1,
    customerId: 'K-1',
    legalEntity: 'US01',
    currency: 'USD',
    bookingDate: '2026-01-15',
    lines: [
      {
        lineId: 'SUB',
        sku: 'PLAT-STD',
        quantity: '1',
        amount: '1200.00',
        serviceStart: '2026-01-01',
        serviceEnd: '2026-12-31',
      },
    ],
  },
});
const invoice = (contractId: string, invoiceId: string) => ({
  type: 'InvoiceIssued',
  contractId,
  source: { system: 'billing', id: invoiceId, version: 1 },
  occurredAt: '2026-02-01T10:00:00Z',
  data: { invoiceId, invoiceDate: '2026-02-01', lines: [{ lineId: 'SUB', amount: '300.00' }] },
});

type LogLine = Record<string, unknown> & { msg?: string; reqId?: string; correlationId?: string };

describe('correlation ids end to end', () => {
  let t: TestApp;
  const logged: string[] = [];
  const logs = (): LogLine[] => logged.map((l) => JSON.parse(l) as LogLine);
  /** Every log line of the request a response answered (fastify's request id is bound into each). */
  const linesOf = (reqId: string) => logs().filter((l) => l.reqId === reqId);
  let generated: string;
  let runName: string;
  let ingestReqIds: string[];
  let postReqId: string;

  let requests = 0;
  const send = async (method: string, path: string, body: unknown, key: string, correlationId?: string) => {
    const reqId = `req-${++requests}`;
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'x-request-id': reqId,
        ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
      },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json()) as any,
      correlationId: res.headers.get('x-correlation-id'),
      reqId,
    };
  };
  const stream = async (streamId: string): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    for await (const e of t.app.store.readStream(streamId)) out.push(e);
    return out;
  };
  const journalOf = async (contractId: string) =>
    (await stream(`contract-${contractId}`)).filter((e) => e.type.startsWith('Journal'));

  beforeAll(async () => {
    t = await startTestApp(
      {
        REVTRAIL_API_KEYS: JSON.stringify([
          { name: 'controller', scopes: ['post', 'read'], key: CONTROLLER },
          { name: 'closer', scopes: ['periods:close'], key: CLOSER },
        ]),
        REVTRAIL_CONNECTOR: 'file',
        REVTRAIL_POSTING_BACKOFF_MS: '1',
        REVTRAIL_LOG_LEVEL: 'info',
      },
      { logDestination: { write: (line) => void logged.push(line) } },
    );
    await seedDemo(t.app.store, { contracts: 0, seed: 1 }); // the demo mappings

    // One request with X-Correlation-Id: two records without their own id, one with ('Q-77'), one refused.
    const first = await send(
      'POST',
      '/v1/events',
      { events: [booking('C-CORR-1'), invoice('C-CORR-1', 'INV-C1'), booking('C-CORR-2', 'Q-77'), { type: 'Nope' }] },
      KEYS.writer,
      'crm-sync-42',
    );
    expect(first).toMatchObject({ status: 200, correlationId: 'crm-sync-42' });
    expect(first.body.counts).toEqual({ appended: 3, duplicate: 0, held: 0, rejected: 1 });
    // One without: the id is generated, and answered.
    const second = await send('POST', '/v1/events', { events: [invoice('C-CORR-2', 'INV-C2')] }, KEYS.writer);
    expect(second.status).toBe(200);
    generated = second.correlationId!;
    expect(generated).toMatch(UUID);
    ingestReqIds = [first.reqId, second.reqId];

    // The close of January and the posting run of March, under the close's id.
    const close = await send('POST', '/v1/periods/US01/2026-01/close', { reason: 'close' }, CLOSER, 'close-2026-03');
    expect(close.status).toBe(200);
    const run = await send('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER, 'close-2026-03');
    expect(run).toMatchObject({ status: 201, correlationId: 'close-2026-03', body: { prepared: 2, posted: 2 } });
    runName = run.body.runName as string;
    postReqId = run.reqId;
  }, 120_000);
  afterAll(() => t.close());

  it('keeps the id on every event the request caused: the event’s own wins, refusals and commands carry it', async () => {
    const one = await stream('contract-C-CORR-1');
    expect(one.map((e) => [e.type, e.metadata.correlationId])).toEqual([
      ['ContractBooked', 'crm-sync-42'],
      ['InvoiceIssued', 'crm-sync-42'],
      ['JournalPrepared', 'close-2026-03'],
      ['JournalSubmitted', 'close-2026-03'],
      ['JournalPosted', 'close-2026-03'],
    ]);
    const two = await stream('contract-C-CORR-2');
    expect(two.slice(0, 2).map((e) => e.metadata.correlationId)).toEqual(['Q-77', generated]);
    const refused: RecordedEvent[] = [];
    for await (const e of t.app.store.readAll({ filter: { streamPrefixes: ['rejections-'] } })) refused.push(e);
    expect(refused.map((e) => [e.type, e.metadata.correlationId])).toEqual([['InputRejected', 'crm-sync-42']]);
    expect((await stream('periods-US01')).map((e) => e.metadata.correlationId)).toEqual(['close-2026-03']);
  });

  it('carries the source records’ ids onto their journals: a journal of several records lists each', async () => {
    const [one] = await journalOf('C-CORR-1');
    expect((one!.data.lineage as { correlationIds: string[] }).correlationIds).toEqual(['crm-sync-42']);
    const [two] = await journalOf('C-CORR-2');
    expect((two!.data.lineage as { correlationIds: string[] }).correlationIds).toEqual(['Q-77', generated].sort());
  });

  it('binds the id into every log line of the request and of the posting run', () => {
    const all = logs();
    expect(all.filter((l) => l.reqId !== undefined).every((l) => typeof l.correlationId === 'string')).toBe(true);
    const [first, second] = ingestReqIds.map(linesOf);
    expect(first!.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'ingest batch', 'ingest results', 'request completed']),
    );
    expect(first!.every((l) => l.correlationId === 'crm-sync-42')).toBe(true);
    expect(second!.length).toBeGreaterThanOrEqual(4);
    expect(second!.every((l) => l.correlationId === generated)).toBe(true);
    const run = linesOf(postReqId);
    expect(run.every((l) => l.correlationId === 'close-2026-03')).toBe(true);
    expect(run.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['posting run started', 'journal posted', 'posting run finished']),
    );
    // A child logger per journal: its id, contract and source correlation ids on each of its lines.
    const posted = run.filter((l) => l.msg === 'journal posted');
    expect(posted.map((l) => [l.contractId, l.correlationIds, l.runName])).toEqual(
      expect.arrayContaining([
        ['C-CORR-1', ['crm-sync-42'], runName],
        ['C-CORR-2', ['Q-77', generated].sort(), runName],
      ]),
    );
    expect(posted.every((l) => typeof l.journalId === 'string')).toBe(true);
  });

  it('answers GET /v1/trace/:correlationId with the events, contracts, journals and ERP documents (read scope)', async () => {
    const [prepared, , posted] = await journalOf('C-CORR-1');
    const r = await t.call('GET', '/v1/trace/crm-sync-42', undefined, KEYS.reader);
    expect(r.status).toBe(200);
    expect(r.body.events.map((e: { type: string }) => e.type)).toEqual([
      'ContractBooked',
      'InvoiceIssued',
      'InputRejected',
    ]);
    expect(r.body.contracts.map((c: { contractId: string }) => c.contractId)).toEqual(['C-CORR-1']);
    expect(r.body.journals).toEqual([
      {
        journal: expect.objectContaining({
          journalId: prepared!.data.journalId,
          status: 'posted',
          connector: 'file',
          erpDocumentId: posted!.data.erpDocumentId,
          correlationIds: ['crm-sync-42'],
        }),
        eventIds: expect.arrayContaining([expect.any(String)]),
      },
    ]);
    // The posting run's id reaches both journals it prepared, and the period it closed.
    const run = await t.call('GET', '/v1/trace/close-2026-03', undefined, KEYS.reader);
    expect(run.body.journals.map((j: { journal: { contractId: string } }) => j.journal.contractId).sort()).toEqual([
      'C-CORR-1',
      'C-CORR-2',
    ]);
    expect(run.body.events.map((e: { type: string }) => e.type)).toContain('PeriodClosed');
    expect(await t.call('GET', '/v1/trace/no-such-id', undefined, KEYS.reader)).toMatchObject({
      status: 404,
      body: { code: 'UNKNOWN_CORRELATION_ID' },
    });
    expect((await t.call('GET', '/v1/trace/crm-sync-42', undefined, null)).status).toBe(401);
    expect((await t.call('GET', '/v1/trace/crm-sync-42', undefined, CLOSER)).status).toBe(403);
  });

  it('answers GraphQL trace(correlationId:) with what the REST lookup answers', async () => {
    const query = `query ($id: String!) { trace(correlationId: $id) {
      system correlationId events { eventId correlationId } contracts { contractId }
      journals { journal { journalId status erpDocumentId correlationIds } eventIds } } }`;
    const r = await t.call('POST', '/graphql', { query, variables: { id: 'Q-77' } }, KEYS.reader);
    expect(r.body.errors).toBeUndefined();
    const rest = (await t.call('GET', '/v1/trace/Q-77', undefined, KEYS.reader)).body;
    expect(r.body.data.trace).toEqual({
      system: null,
      correlationId: 'Q-77',
      events: rest.events.map((e: { eventId: string }) => ({ eventId: e.eventId, correlationId: 'Q-77' })),
      contracts: [{ contractId: 'C-CORR-2' }],
      journals: rest.journals.map((j: { journal: Record<string, unknown>; eventIds: string[] }) => ({
        journal: {
          journalId: j.journal.journalId,
          status: 'posted',
          erpDocumentId: j.journal.erpDocumentId,
          correlationIds: ['Q-77', generated].sort(),
        },
        eventIds: j.eventIds,
      })),
    });
    expect(r.body.data.trace.journals).toHaveLength(1);
    const both = await t.call(
      'POST',
      '/graphql',
      { query: '{ trace(system: "crm", id: "OPP-C-CORR-1", correlationId: "Q-77") { id } }' },
      KEYS.reader,
    );
    expect(both.body.errors[0].extensions.code).toBe('INVALID_ARGUMENT');
    expect(both.body.errors[0].message).toContain('correlationId');
  });

  it('finds the contracts through the lineage index once it has caught up', async () => {
    let found: string[] = [];
    while (found.length === 0) {
      found = await t.app.read.keysByTag('lineage-index', [correlationTag('crm-sync-42')]);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).toEqual(['C-CORR-1']);
  });

  it('refuses a malformed X-Correlation-Id naming the header, appending nothing', async () => {
    const head = await t.app.store.headPosition();
    const r = await send('POST', '/v1/events', { events: [booking('C-CORR-3')] }, KEYS.writer, 'has, a comma');
    expect(r).toMatchObject({
      status: 400,
      body: { code: 'INVALID_CORRELATION_ID', errors: [{ path: 'headers.x-correlation-id' }] },
    });
    expect(r.correlationId).toMatch(UUID);
    expect(await t.app.store.headPosition()).toEqual(head);
  });

  describeWith(HLEDGER, 'apt-get install hledger', 'in the ERP', () => {
    it('tags the hledger transaction with the id: hledger finds it by tag', async () => {
      const dir = join(t.dir, 'erp');
      expect(readdirSync(dir)).toContain(`${runName}.journal`);
      const file = join(dir, `${runName}.journal`);
      const printed = (query: string) =>
        execFileSync(HLEDGER, ['-f', file, 'print', query], { encoding: 'utf8' }).match(/^\d{4}-\d{2}-\d{2} \(/gm) ??
        [];
      const [one] = await journalOf('C-CORR-1');
      const byId = execFileSync(HLEDGER, ['-f', file, 'print', 'tag:correlationId=^crm-sync-42$'], {
        encoding: 'utf8',
      });
      expect(byId).toContain(`(${one!.data.journalId as string})`);
      expect(printed('tag:correlationId=^crm-sync-42$')).toHaveLength(1);
      expect(printed(`tag:correlationId=^${generated}$`)).toHaveLength(1);
      expect(printed('tag:correlationId=^Q-77$')).toHaveLength(1);
      execFileSync(HLEDGER, ['-f', file, 'check'], { encoding: 'utf8' });
    });
  });
});
