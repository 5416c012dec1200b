// Edge limits answer in problem+json and change nothing: body size and request rate.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

describe('request limits', () => {
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  it('refuses a body over the limit with 413', async () => {
    t = await startTestApp({ REVTRAIL_BODY_LIMIT_BYTES: '2048' });
    const r = await t.call('POST', '/v1/events', { events: [{ type: 'ContractBooked', padding: 'x'.repeat(4096) }] });
    expect(r).toMatchObject({ status: 413, body: { code: 'BODY_TOO_LARGE' } });
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('refuses requests over the rate limit with 429', async () => {
    t = await startTestApp({ REVTRAIL_RATE_LIMIT_PER_MINUTE: '3' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.call('GET', '/v1/periods/US01')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
