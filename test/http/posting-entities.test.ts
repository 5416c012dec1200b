// A posting run over HTTP once an entity register routes the legal entities: the answer carries each entity's
// outcome and the ERP its journals went to (file for DE01, the configured file connector for nobody), and an entity
// outside the register is blocked UNMAPPED_ENTITY in the answer and in the exceptions list.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishMapping, seedDemo } from '../../src/demo/index.js';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CONTROLLER = 'test-controller-key-0123456789';

describe('a posting run over HTTP with an entity register', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-http-entities-'));
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: CONTROLLER }]),
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_POSTING_BACKOFF_MS: '1',
      REVTRAIL_CONNECTOR: 'file',
    });
    await seedDemo(t.app.store, { contracts: 40, seed: 9 });
    const entities = [
      { legalEntity: 'US01', functionalCurrency: 'USD', erp: { connector: 'simulated' as const } },
      { legalEntity: 'DE01', functionalCurrency: 'EUR', erp: { connector: 'file' as const, dir } },
    ];
    await publishMapping(t.app.store, 'entities', { entities, reason: 'two ERPs' }, new Date('2026-04-01T00:00:00Z'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers per legal entity, posting each to its own ERP and blocking the unregistered one', async () => {
    const res = await t.call('POST', '/v1/posting-runs', { period: '2026-06' }, CONTROLLER);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ connector: 'per-entity', registerVersion: 1 });
    const { US01: us, DE01: de, JP01: jp } = res.body.entities;
    expect(us).toMatchObject({ connector: 'simulated', rejected: {}, retrying: 0 });
    expect(us.posted).toBeGreaterThan(0);
    expect(de).toMatchObject({ connector: 'file', rejected: {}, retrying: 0 });
    expect(de.posted).toBe(de.prepared);
    expect(jp).toMatchObject({ connector: null, posted: 0 });
    expect(jp.blocked.UNMAPPED_ENTITY).toBeGreaterThan(0);
    expect(res.body.blocked.UNMAPPED_ENTITY).toBe(
      jp.blocked.UNMAPPED_ENTITY + (res.body.entities.BH01?.blocked.UNMAPPED_ENTITY ?? 0),
    );
    // The configured file connector took nothing: DE01's journal is in the register's directory.
    expect(existsSync(join(t.dir, 'erp'))).toBe(false);
    expect(readdirSync(dir).some((f) => f.endsWith('.journal'))).toBe(de.posted > 0);
    const exceptions = await t.call('GET', '/v1/exceptions?kind=UNMAPPED_ENTITY', undefined, CONTROLLER);
    expect(exceptions.status, JSON.stringify(exceptions.body)).toBe(200);
    const items = exceptions.body.items as { code: string; kind: string; message: string }[];
    expect(items).toHaveLength(res.body.blocked.UNMAPPED_ENTITY);
    expect(
      items.every(
        (x) =>
          x.code === 'UNMAPPED_ENTITY' && x.kind === 'journal_blocked' && /not in the entity register/.test(x.message),
      ),
    ).toBe(true);
  });
});
