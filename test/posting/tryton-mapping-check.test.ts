// With Tryton configured, publishing an account mapping names the codes Tryton's chart does not hold as warnings
// (with their field paths) and publishes it: the account may be opened in Tryton after, and a journal refused
// UNKNOWN_ACCOUNT meanwhile is re-prepared once it is.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_ENTITIES } from '../../src/demo/index.js';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { describeWithTryton, startTryton } from '../support/tryton.js';
import type { TrytonTestServer } from '../support/tryton.js';

const ADMIN = 'test-admin-key-0123456789';

describeWithTryton('account mapping checked against a real Tryton chart', () => {
  let server: TrytonTestServer;
  let t: TestApp;
  beforeAll(async () => {
    server = await startTryton();
    const c = server.connection();
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'admin', scopes: ['admin', 'read'], key: ADMIN }]),
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_CONNECTOR: 'tryton',
      REVTRAIL_TRYTON_URL: c.url,
      REVTRAIL_TRYTON_DATABASE: c.database,
      REVTRAIL_TRYTON_USER: c.username,
      REVTRAIL_TRYTON_PASSWORD: c.password,
    });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await server?.dispose();
  });

  it('a code missing from the chart is a warning with its path; the mapping is published', async () => {
    const entities = DEMO_ENTITIES.map((e) =>
      e.legalEntity === 'US01' ? { ...e, accounts: { ...e.accounts, deferredRevenue: '2410' } } : e,
    );
    const res = await t.call('POST', '/v1/mappings/accounts', { entities, reason: 'deferred on 2410' }, ADMIN);
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([
      {
        code: 'ACCOUNT_NOT_IN_ERP_CHART',
        path: 'entities.0.accounts.deferredRevenue',
        message: 'account "2410" is not among the ERP\'s postable accounts',
      },
    ]);
    const ok = await t.call('POST', '/v1/mappings/accounts', { entities: DEMO_ENTITIES, reason: 'back' }, ADMIN);
    expect(ok.status).toBe(201);
    expect(ok.body.warnings).toBeUndefined();
  });
});
