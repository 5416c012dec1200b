// GET /v1/contracts/:id/posting-status and GET /v1/posting-batches/:batchId through a real listening server whose
// projections follow the log live: posting runs against the simulated ERP, then what the read side answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import type { PostingRunSummary } from '../../src/posting/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

describe('posting status over HTTP', () => {
  let t: TestApp;
  let february: PostingRunSummary;
  let march: PostingRunSummary;
  const erp = new SimulatedConnector();

  beforeAll(async () => {
    t = await startTestApp();
    await seedDemo(t.app.store, { contracts: 12, seed: 3 });
    erp.failNext(1);
    february = await postingRun(t.app.store, { period: '2026-02', connector: erp, backoffMs: 1 });
    erp.closePeriod('2026-03');
    march = await postingRun(t.app.store, { period: '2026-03', connector: erp, backoffMs: 1 });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const lag = await t.call('GET', '/v1/projections', undefined, KEYS.reader);
      if (lag.body.projections.every((p: { caughtUp: boolean }) => p.caughtUp)) break;
      if (Date.now() > deadline) throw new Error(`projections not caught up: ${JSON.stringify(lag.body)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 120_000);
  afterAll(() => t.close());

  const get = (path: string, key: string | null = KEYS.reader) => t.call('GET', path, undefined, key);

  it('a contract answers billed, recognised, journaled and posted revenue and each journal with its ERP status', async () => {
    const batch = await get(`/v1/posting-batches/${march.runId}`);
    const contractId = batch.body.journals[0].contractId as string;
    const r = await get(`/v1/contracts/${contractId}/posting-status`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ contractId, through: '2026-03', scheduleStatus: 'ok', counts: { posted: 1 } });
    expect(r.body.journals.map((j: { period: string; status: string }) => [j.period, j.status])).toEqual([
      ['2026-02', 'posted'],
      ['2026-03', 'rejected'],
    ]);
    expect(r.body.journals[1].rejection).toMatchObject({ code: 'PERIOD_CLOSED', retryable: false });
    // The refused journal's amounts are rejected, not journaled: journaled plus rejected is what was recognised.
    expect(r.body.rejected).toBe(r.body.journals[1].revenue);
    expect(r.body.journaled).toBe(r.body.posted);
    expect(Number(r.body.unposted)).toBe(0);
    expect(r.body.accounts.rejected).toEqual(r.body.journals[1].accounts);

    const feb = await get(`/v1/contracts/${contractId}/posting-status?through=2026-02`);
    expect(feb.status).toBe(200);
    expect(feb.body).toMatchObject({ through: '2026-02', posted: feb.body.journaled, journaled: feb.body.recognised });
  });

  it('a batch lists the journals it submitted, with attempts and outcomes', async () => {
    const r = await get(`/v1/posting-batches/${february.runId}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      batchId: february.runId,
      connectors: ['simulated'],
      counts: { posted: february.prepared },
    });
    expect(r.body.journals).toHaveLength(february.prepared);
    expect(r.body.journals.reduce((n: number, j: { attempts: number }) => n + j.attempts, 0)).toBe(
      february.prepared + 1,
    );
    const refused = await get(`/v1/posting-batches/${march.runId}`);
    expect(refused.body).toMatchObject({ rejections: { PERIOD_CLOSED: march.prepared } });
    // A page of the journals: the counts stay the whole batch's.
    const paged = await get(`/v1/posting-batches/${february.runId}?limit=2&offset=1`);
    expect(paged.body).toMatchObject({ journalCount: february.prepared, limit: 2, offset: 1 });
    expect(paged.body.counts).toEqual(r.body.counts);
    expect(paged.body.journals).toEqual(r.body.journals.slice(1, 3));
    const tooMany = await get(`/v1/posting-batches/${february.runId}?limit=501`);
    expect(tooMany).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(tooMany.body.errors[0].path).toBe('limit');
  });

  it('an unknown contract or batch is 404 problem+json; a bad period is 400; no key is 401', async () => {
    const contract = await get('/v1/contracts/C-NOPE/posting-status');
    expect(contract.status).toBe(404);
    expect(contract.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(contract.body).toMatchObject({ status: 404, code: 'UNKNOWN_CONTRACT' });
    const batch = await get('/v1/posting-batches/no-such-batch');
    expect(batch.status).toBe(404);
    expect(batch.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(batch.body).toMatchObject({ status: 404, code: 'UNKNOWN_BATCH' });
    const bad = await get('/v1/contracts/C-000001/posting-status?through=2026-13');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'through' }] });
    expect((await get(`/v1/posting-batches/${february.runId}`, null)).status).toBe(401);
  });
});
