// ERP tie-out over GraphQL: `erpTieOut` compares hledger's balances of the file connector's journals with what
// Revtrail recorded as posted, and lists an entry made on purpose in the ERP as a difference with the entry behind it.
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const KEY = 'test-controller-key-0123456789';
const QUERY = /* GraphQL */ `
  query ($period: String!, $le: String) {
    erpTieOut(period: $period, legalEntity: $le) {
      period
      legalEntity
      compared
      differences {
        legalEntity
        account
        currency
        erp
        revtrail
        difference
        journals
      }
    }
  }
`;

describe('erpTieOut', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('ties out after a run; a manual entry in the ERP is a difference naming the entry', async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: KEY }]),
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_CONNECTOR: 'file',
      REVTRAIL_POSTING_BACKOFF_MS: '1',
    });
    await seedDemo(t.app.store, { contracts: 30, seed: 8 });
    expect((await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, KEY)).status).toBe(201);
    const ask = async (variables: Record<string, string>) => {
      const res = await t.call('POST', '/graphql', { query: QUERY, variables }, KEY);
      expect(res.body.errors).toBeUndefined();
      return res.body.data.erpTieOut;
    };
    const clean = await ask({ period: '2026-03' });
    expect(clean.compared).toBeGreaterThan(4);
    expect(clean.differences).toEqual([]);

    const erpDir = join(t.dir, 'erp');
    const [file] = readdirSync(erpDir).filter((f) => f.endsWith('.journal'));
    appendFileSync(
      join(erpDir, file!),
      '\n2026-03-20 write-off  ; legalEntity: US01\n    4000    25.00 USD\n    1100    -25.00 USD\n',
    );
    const off = await ask({ period: '2026-03', le: 'US01' });
    expect(off.differences.map((d: { account: string; difference: string }) => [d.account, d.difference])).toEqual([
      ['1100', '-25.00'],
      ['4000', '25.00'],
    ]);
    expect(off.differences[0].journals).toContain('erp:2026-03-20 write-off');
    expect(off.differences[0].journals.length).toBeGreaterThan(1); // the posted journals on 1100 too
  });
});
