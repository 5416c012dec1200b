// Separation of duties through the real server: the key that posts is not the key that closes the books. Closing and
// reopening periods, and approving (publishing) mapping versions, each need a scope of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const POSTER = 'test-poster-key-0123456789';
const CLOSER = 'test-closer-key-0123456789';
const APPROVER = 'test-approver-key-0123456789';

const products = {
  reason: 'initial catalogue',
  products: [
    { sku: 'PLATFORM', pattern: 'ratable', convention: 'monthly', ssp: '1000.00', accounts: { revenue: '4000' } },
  ],
};

describe('separation of duties', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([
        { name: 'posting-job', scopes: ['post', 'read'], key: POSTER },
        { name: 'controller', scopes: ['periods:close', 'read'], key: CLOSER },
        { name: 'mapping-owner', scopes: ['mappings:approve', 'read'], key: APPROVER },
      ]),
    });
  });
  afterAll(() => t.close());

  it('a posting key cannot close or reopen a period: 403 naming the periods:close scope, and nothing changes', async () => {
    for (const action of ['close', 'reopen']) {
      const refused = await t.call('POST', `/v1/periods/US01/2026-01/${action}`, { reason: 'month end' }, POSTER);
      expect(refused).toMatchObject({ status: 403, body: { code: 'MISSING_SCOPE' } });
      expect(refused.body.detail).toContain('"periods:close"');
    }
    expect((await t.call('GET', '/v1/periods/US01', undefined, POSTER)).body.closed).toEqual([]);
  });

  it('a closing key closes and reopens a period, and cannot post', async () => {
    const close = await t.call('POST', '/v1/periods/US01/2026-02/close', { reason: 'month end' }, CLOSER);
    expect(close).toMatchObject({ status: 200, body: { status: 'closed', changed: true } });
    const reopen = await t.call('POST', '/v1/periods/US01/2026-02/reopen', { reason: 'late invoice' }, CLOSER);
    expect(reopen).toMatchObject({ status: 200, body: { status: 'open', changed: true } });
    const post = await t.call('POST', '/v1/posting-runs', { period: '2026-02' }, CLOSER);
    expect(post).toMatchObject({ status: 403, body: { code: 'MISSING_SCOPE' } });
    expect(post.body.detail).toContain('"post"');
  });

  it('a posting key or a closing key cannot approve a mapping version: 403 naming mappings:approve', async () => {
    for (const key of [POSTER, CLOSER]) {
      const refused = await t.call('POST', '/v1/mappings/products', products, key);
      expect(refused).toMatchObject({ status: 403, body: { code: 'MISSING_SCOPE' } });
      expect(refused.body.detail).toContain('"mappings:approve"');
    }
    expect((await t.call('GET', '/v1/mappings/products', undefined, POSTER)).status).toBe(404);
  });

  it('an approving key publishes a mapping version', async () => {
    expect(await t.call('POST', '/v1/mappings/products', products, APPROVER)).toMatchObject({
      status: 201,
      body: { version: 1, status: 'published' },
    });
  });
});
