// Posting recovery through a real listening server: a connector failure on one legal entity's journals is a coded
// outcome (never a 5xx), the other entities' journals are posted and recorded as posted, and a run that posts
// nothing writes no files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ENTITIES, publishMapping, seedDemo } from '../../src/demo/index.js';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CONTROLLER = 'test-controller-key-0123456789';
const withController = (env: Record<string, string> = {}) =>
  startTestApp({
    REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: CONTROLLER }]),
    REVTRAIL_PROJECTIONS: 'off',
    REVTRAIL_POSTING_BACKOFF_MS: '1',
    REVTRAIL_POSTING_ATTEMPTS: '2',
    ...env,
  });

describe('posting recovery over HTTP', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('an account code the file ERP cannot write rejects that entity CONNECTOR_ERROR; the others post (201)', async () => {
    t = await withController({ REVTRAIL_CONNECTOR: 'file' });
    await seedDemo(t.app.store, { contracts: 40, seed: 3 });
    const entities = DEMO_ENTITIES.map((e) =>
      e.legalEntity === 'DE01' ? { ...e, accounts: { ...e.accounts, deferredRevenue: '2400 (def)' } } : e,
    );
    await publishMapping(t.app.store, 'accounts', { entities, reason: 'deferred revenue renamed' }, new Date());
    const res = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(res.status).toBe(201);
    const refused = res.body.rejected.CONNECTOR_ERROR as number;
    expect(refused).toBeGreaterThan(0);
    expect(res.body.posted).toBe(res.body.prepared - refused);
    const text = readFileSync(join(t.dir, 'erp', `${res.body.runName}.journal`), 'utf8');
    expect(text.match(/^\d{4}-\d{2}-\d{2} \(/gm)).toHaveLength(res.body.posted);
    expect(text).not.toContain('legalEntity: DE01');
    // The next run answers too, posting nothing new (the refused journals wait for a re-preparation).
    const again = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ prepared: 0, posted: 0, rejected: {} });
  });

  it('a run that posts nothing writes no files', async () => {
    t = await withController({ REVTRAIL_CONNECTOR: 'file' });
    await seedDemo(t.app.store, { contracts: 20, seed: 3 });
    const first = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(first.body.posted).toBeGreaterThan(0);
    const before = readdirSync(join(t.dir, 'erp')).sort();
    expect(before).toEqual([`${first.body.runName}.csv`, `${first.body.runName}.journal`]);
    const again = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(again.body).toMatchObject({ prepared: 0, posted: 0 });
    expect(readdirSync(join(t.dir, 'erp')).sort()).toEqual(before);
  });
});
