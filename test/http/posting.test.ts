// POST /v1/posting-runs and POST /v1/journals/reprepare through a real listening server: the post scope, field-named
// refusals that change nothing, one run at a time per node, the file ERP's journal on disk, and the re-preparation
// of journals a closed ERP period refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import type { AppDeps } from '../../src/app.js';
import { SimulatedConnector } from '../../src/posting/connectors/index.js';
import type { Erp } from '../../src/posting/erp.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CONTROLLER = 'test-controller-key-0123456789';
const withController = (env: Record<string, string> = {}, deps: AppDeps = {}) =>
  startTestApp(
    {
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: CONTROLLER }]),
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_POSTING_BACKOFF_MS: '1',
      ...env,
    },
    deps,
  );

describe('posting runs over HTTP', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('refuses bad requests by field and rule, and keys without the post scope, appending nothing', async () => {
    t = await withController();
    await seedDemo(t.app.store, { contracts: 10, seed: 3 });
    const head = await t.app.store.headPosition();
    const bad = await t.call('POST', '/v1/posting-runs', { period: '2026-13' }, CONTROLLER);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'period', code: 'INVALID_DATE' })]);
    const extra = await t.call('POST', '/v1/posting-runs', { period: '2026-03', dryRun: true }, CONTROLLER);
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([expect.objectContaining({ code: 'UNKNOWN_FIELD' })]);
    const missing = await t.call('POST', '/v1/posting-runs', {}, CONTROLLER);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'period', code: 'REQUIRED' })]);
    expect((await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, KEYS.reader)).status).toBe(403);
    expect((await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, KEYS.writer)).status).toBe(403);
    expect((await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, null)).status).toBe(401);
    const into = await t.call('POST', '/v1/journals/reprepare', { into: '26-04' }, CONTROLLER);
    expect(into.body.errors).toEqual([expect.objectContaining({ path: 'into', code: 'INVALID_FORMAT' })]);
    expect(await t.app.store.headPosition()).toEqual(head);
  });

  it('posts a period to the file ERP once, and a second run asked for meanwhile is refused', async () => {
    t = await withController({ REVTRAIL_CONNECTOR: 'file' });
    await seedDemo(t.app.store, { contracts: 30, seed: 3 });
    const res = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(res.status).toBe(201);
    const run = res.body;
    expect(run).toMatchObject({ connector: 'file', period: '2026-03', rejected: {}, retrying: 0 });
    expect(run.prepared).toBeGreaterThan(3);
    expect(run.posted).toBe(run.prepared);
    const file = join(t.dir, 'erp', `${run.runName}.journal`);
    expect(readFileSync(file, 'utf8').match(/^\d{4}-\d{2}-\d{2} \(/gm)).toHaveLength(run.posted);
    const again = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ prepared: 0, posted: 0 });
  });

  it('runs one posting run at a time per node: a request while one runs gets 409', async () => {
    // An ERP that takes 400 ms per answer keeps the first run in flight while the second request arrives.
    const slow = new SimulatedConnector({ latencyMs: 400 });
    const erp: Erp = {
      kind: 'simulated',
      open: () => slow,
      release: async () => undefined,
      close: async () => undefined,
    };
    t = await withController({}, { erp });
    await seedDemo(t.app.store, { contracts: 10, seed: 3 });
    const first = t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    while (slow.submissions === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await t.call('POST', '/v1/posting-runs', { period: '2026-04' }, CONTROLLER);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('POSTING_RUN_IN_PROGRESS');
    const done = await first;
    expect(done.status).toBe(201);
    expect(done.body.posted).toBeGreaterThan(0);
    // Once it has ended, the next run is accepted.
    expect((await t.call('POST', '/v1/posting-runs', { period: '2026-04' }, CONTROLLER)).status).toBe(201);
  });

  it('re-prepares journals an ERP period refused into the next open period, where the next run posts them', async () => {
    t = await withController();
    await seedDemo(t.app.store, { contracts: 30, seed: 4 });
    const erp = t.app.erp.open('test') as SimulatedConnector;
    erp.closePeriod('2026-04');
    const april = await t.call('POST', '/v1/posting-runs', { period: '2026-04', legalEntity: 'US01' }, CONTROLLER);
    expect(april.status).toBe(201);
    const refused = april.body.rejected.PERIOD_CLOSED as number;
    expect(refused).toBeGreaterThan(0);
    expect(april.body.posted).toBe(0);

    const unknown = await t.call('POST', '/v1/journals/reprepare', { journalIds: ['no-such-journal'] }, CONTROLLER);
    expect(unknown.body).toEqual({
      reprepared: [],
      refused: [expect.objectContaining({ journalId: 'no-such-journal', code: 'JOURNAL_NOT_SUBMITTABLE' })],
    });
    const re = await t.call('POST', '/v1/journals/reprepare', { legalEntity: 'US01' }, CONTROLLER);
    expect(re.status).toBe(200);
    expect(re.body.reprepared).toHaveLength(refused);
    expect(re.body.reprepared.every((r: { period: string; date: string }) => r.period === '2026-05')).toBe(true);
    expect((await t.call('POST', '/v1/journals/reprepare', {}, CONTROLLER)).body.reprepared).toEqual([]);

    const may = await t.call('POST', '/v1/posting-runs', { period: '2026-05', legalEntity: 'US01' }, CONTROLLER);
    expect(may.body.rejected).toEqual({});
    const ids = new Set(re.body.reprepared.map((r: { journalId: string }) => r.journalId));
    const moved = erp.documents().filter((d) => ids.has(d.journal.journalId));
    expect(moved).toHaveLength(refused);
    expect(moved.every((d) => d.journal.date === '2026-05-31')).toBe(true);
    expect(erp.documents().some((d) => d.journal.period === '2026-04')).toBe(false);
  });
});
