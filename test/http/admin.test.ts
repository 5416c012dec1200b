// Mapping versions and period close/reopen through the real server: versioned, idempotent, validated, scoped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hashKey } from '../../src/auth/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { US01_ACCOUNTS } from '../support/fixtures.js';

const products = (ssp = '1000.00') => ({
  reason: 'initial catalogue',
  products: [
    {
      sku: 'PLATFORM',
      pattern: 'ratable',
      convention: 'monthly',
      ssp,
      accounts: { revenue: '4000' },
      dimensions: { productLine: 'platform' },
    },
    { sku: 'ONBOARD', pattern: 'milestone', ssp: '200.00', accounts: { revenue: '4100' } },
  ],
});

describe('mappings and periods', () => {
  let t: TestApp;
  const ADMIN = 'test-admin-key-0123456789';
  beforeEach(async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'finance-admin', scopes: ['admin'], key: ADMIN }]),
    });
  });
  afterEach(() => t.close());

  it('publishes mapping versions 1, 2...; the same content again changes nothing; a stale base is refused', async () => {
    expect(await t.call('POST', '/v1/mappings/products', products(), ADMIN)).toMatchObject({
      status: 201,
      body: { version: 1, status: 'published' },
    });
    expect(await t.call('POST', '/v1/mappings/products', products(), ADMIN)).toMatchObject({
      status: 200,
      body: { version: 1, status: 'unchanged' },
    });
    const fix = { ...products('1100.00'), reason: 'PLATFORM SSP corrected', basedOnVersion: 1 };
    expect(await t.call('POST', '/v1/mappings/products', fix, ADMIN)).toMatchObject({
      status: 201,
      body: { version: 2 },
    });
    const stale = { ...products('1200.00'), reason: 'late edit', basedOnVersion: 1 };
    expect(await t.call('POST', '/v1/mappings/products', stale, ADMIN)).toMatchObject({
      status: 409,
      body: { code: 'STALE_VERSION' },
    });
    const current = await t.call('GET', '/v1/mappings/products', undefined, KEYS.reader);
    expect(current.body).toMatchObject({
      kind: 'products',
      version: 2,
      previousVersion: 1,
      reason: 'PLATFORM SSP corrected',
      publishedBy: 'finance-admin',
    });
    expect(current.body.products[0].ssp).toBe('1100.00');
  });

  it('refuses an invalid mapping with paths and codes, and a key without the admin scope', async () => {
    const bad = { products: [{ sku: 'X', pattern: 'sometimes', ssp: '1.00' }] };
    const r = await t.call('POST', '/v1/mappings/products', bad, ADMIN);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'reason', code: 'REQUIRED' }),
        expect.objectContaining({ path: 'products.0.pattern', code: 'INVALID_VALUE' }),
      ]),
    );
    expect((await t.call('POST', '/v1/mappings/products', products(), KEYS.writer)).status).toBe(403);
    expect((await t.call('GET', '/v1/mappings/products', undefined, KEYS.reader)).status).toBe(404);
  });

  it('publishes account mappings per legal entity', async () => {
    expect(await t.call('POST', '/v1/mappings/accounts', US01_ACCOUNTS, ADMIN)).toMatchObject({
      status: 201,
      body: { kind: 'accounts', version: 1 },
    });
  });

  it('closes and reopens periods idempotently', async () => {
    const close = () => t.call('POST', '/v1/periods/US01/2026-01/close', { reason: 'month-end close' }, ADMIN);
    expect(await close()).toMatchObject({ status: 200, body: { status: 'closed', changed: true } });
    expect(await close()).toMatchObject({ status: 200, body: { status: 'closed', changed: false } });
    expect((await t.call('GET', '/v1/periods/US01', undefined, KEYS.reader)).body).toEqual({
      legalEntity: 'US01',
      closed: ['2026-01'],
    });
    const reopen = await t.call('POST', '/v1/periods/US01/2026-01/reopen', { reason: 'late invoice' }, ADMIN);
    expect(reopen).toMatchObject({ status: 200, body: { status: 'open', changed: true } });
    expect((await t.call('GET', '/v1/periods/US01', undefined, KEYS.reader)).body.closed).toEqual([]);
    expect(await t.call('POST', '/v1/periods/US01/2026-13/close', { reason: 'x' }, ADMIN)).toMatchObject({
      status: 400,
      body: { errors: [{ path: 'period' }] },
    });
    expect((await t.call('POST', '/v1/periods/US01/2026-02/close', { reason: 'x' }, KEYS.reader)).status).toBe(403);
  });
});

describe('API keys on a first run with none configured', () => {
  it('creates one local admin key: plaintext only in a 0600 file, the key file holds its hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-keys-'));
    const app = await buildApp(
      loadConfig({ REVTRAIL_STORE: join(dir, 'r.db'), REVTRAIL_DATA_DIR: dir, REVTRAIL_LOG_LEVEL: 'silent' }),
    );
    try {
      const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
      const key = readFileSync(join(dir, 'demo-api-key.txt'), 'utf8').trim();
      expect(statSync(join(dir, 'demo-api-key.txt')).mode & 0o777).toBe(0o600);
      const stored = readFileSync(join(dir, 'api-keys.json'), 'utf8');
      expect(stored).not.toContain(key);
      expect(JSON.parse(stored)).toEqual([
        { name: 'local-admin', scopes: ['ingest', 'read', 'post', 'admin'], sha256: hashKey(key) },
      ]);
      const ok = await fetch(`${url}/v1/periods/US01`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
