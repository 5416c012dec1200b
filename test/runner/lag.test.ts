// Projection lag through a real server: a projection is behind only by events it reads, so a log that ends in an event
// no projection follows (an account mapping) still reports every projection caught up.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { US01_ACCOUNTS, booking } from '../support/fixtures.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const ADMIN = 'test-admin-key-0123456789';

const products = {
  reason: 'catalogue',
  products: [{ sku: 'PLATFORM', pattern: 'ratable', ssp: '1200.00', accounts: { revenue: '4000' } }],
};

interface Lag {
  projection: string;
  caughtUp: boolean;
  eventsBehind: number | null;
}

describe('projection lag', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'finance-admin', scopes: ['admin'], key: ADMIN }]),
    });
  });
  afterEach(() => t.close());

  it('a log ending in an account mapping leaves every projection caught up, 0 events behind', async () => {
    expect((await t.call('POST', '/v1/mappings/products', products, ADMIN)).status).toBe(201);
    expect((await t.post([booking('C-1')])).counts.appended).toBe(1);
    expect((await t.call('POST', '/v1/mappings/accounts', US01_ACCOUNTS, ADMIN)).status).toBe(201);
    const head = ((await t.call('GET', '/health', undefined, null)).body as { store: { head: string } }).store.head;

    // Wait for the projections to fold the booking (the last event any of them reads).
    for (let i = 0; i < 400; i++) {
      const schedule = await t.call('GET', '/v1/contracts/C-1/schedule', undefined, KEYS.reader);
      if (schedule.status === 200 && schedule.body.schedule?.status === 'ok') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    let health: { projections: Lag[] } = { projections: [] };
    for (let i = 0; i < 100; i++) {
      health = (await t.call('GET', '/health', undefined, null)).body as typeof health;
      if (health.projections.every((p) => p.caughtUp)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const expected = ['contract-versions', 'revenue-schedule', 'posting-status', 'lineage-index', 'exceptions'].map(
      (projection) => ({
        projection,
        caughtUp: true,
        eventsBehind: 0,
      }),
    );
    expect(health.projections).toEqual(expected);
    const listed = (await t.call('GET', '/v1/projections', undefined, KEYS.reader)).body as {
      projections: (Lag & { head: string; quarantined: number })[];
    };
    expect(listed.projections).toMatchObject(expected.map((p) => ({ ...p, head, quarantined: 0 })));
  });
});
