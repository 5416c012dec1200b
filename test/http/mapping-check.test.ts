// Validate before posting: publishing an account mapping refuses account codes the configured connector cannot post
// (ACCOUNT_NOT_POSTABLE, with the field path, nothing published).
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_ENTITIES } from '../../src/demo/index.js';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const withDef = DEMO_ENTITIES.map((e) =>
  e.legalEntity === 'DE01' ? { ...e, accounts: { ...e.accounts, deferredRevenue: '2400 (def)' } } : e,
);

const ADMIN = 'test-admin-key-0123456789';
const start = (env: Record<string, string> = {}) =>
  startTestApp({
    REVTRAIL_API_KEYS: JSON.stringify([{ name: 'admin', scopes: ['admin', 'read'], key: ADMIN }]),
    REVTRAIL_PROJECTIONS: 'off',
    ...env,
  });

describe('account codes checked against the configured connector', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('the file connector: a code hledger cannot post to is refused with its field path; nothing is published', async () => {
    t = await start({ REVTRAIL_CONNECTOR: 'file' });
    const res = await t.call('POST', '/v1/mappings/accounts', { entities: withDef, reason: 'renamed' }, ADMIN);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'ACCOUNT_NOT_POSTABLE',
      errors: [{ code: 'ACCOUNT_NOT_POSTABLE', path: 'entities.1.accounts.deferredRevenue' }],
    });
    expect(res.body.errors).toHaveLength(1);
    expect((await t.call('GET', '/v1/mappings/accounts', undefined, ADMIN)).status).toBe(404);
    const ok = await t.call('POST', '/v1/mappings/accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, ADMIN);
    expect(ok.status).toBe(201);
    expect(ok.body.warnings).toBeUndefined();
  });

  it('the simulated ERP takes any code', async () => {
    t = await start();
    const res = await t.call('POST', '/v1/mappings/accounts', { entities: withDef, reason: 'renamed' }, ADMIN);
    expect(res.status).toBe(201);
  });
});
