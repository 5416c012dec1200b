// The entity register through the real server: published like the mappings (versioned, idempotent, stale bases
// refused, history), secrets only by environment-variable name, and one currency per legal entity across the
// register and the account mapping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { US01_ACCOUNTS } from '../support/fixtures.js';

const TRYTON_US01 = {
  legalEntity: 'US01',
  functionalCurrency: 'USD',
  erp: { connector: 'tryton', urlEnv: 'US01_TRYTON_URL', databaseEnv: 'US01_TRYTON_DB', passwordEnv: 'US01_TRYTON_PW' },
};
const register = (extra: Record<string, unknown> = {}) => ({
  reason: 'group structure 2026',
  reportingCurrency: 'USD',
  entities: [
    TRYTON_US01,
    { legalEntity: 'DE01', functionalCurrency: 'EUR', erp: { connector: 'file', dir: '/tmp/de01' } },
  ],
  ...extra,
});

describe('the entity register over REST', () => {
  let t: TestApp;
  const ADMIN = 'test-admin-key-0123456789';
  beforeAll(async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'finance-admin', scopes: ['admin'], key: ADMIN }]),
    });
  });
  afterAll(() => t.close());

  it('refuses a literal secret, a bad variable name, a duplicate entity and an unknown connector, naming each field', async () => {
    const literal = register({
      entities: [{ ...TRYTON_US01, erp: { ...TRYTON_US01.erp, password: 'hunter2' } }],
    });
    const r = await t.call('POST', '/v1/mappings/entities', literal, ADMIN);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      expect.objectContaining({ path: 'entities.0.erp.password', code: 'UNKNOWN_FIELD' }),
    ]);
    const lower = register({ entities: [{ ...TRYTON_US01, erp: { ...TRYTON_US01.erp, passwordEnv: 'hunter2' } }] });
    const l = await t.call('POST', '/v1/mappings/entities', lower, ADMIN);
    expect(l.status).toBe(400);
    expect(l.body.errors[0]).toMatchObject({ path: 'entities.0.erp.passwordEnv' });
    expect(l.body.errors[0].message).toMatch(/environment variable name/);
    const twice = register({ entities: [TRYTON_US01, TRYTON_US01] });
    expect((await t.call('POST', '/v1/mappings/entities', twice, ADMIN)).body.errors).toEqual([
      expect.objectContaining({ path: 'entities.1.legalEntity', code: 'INVALID_VALUE' }),
    ]);
    const sap = register({ entities: [{ ...TRYTON_US01, erp: { connector: 'sap' } }] });
    const s = await t.call('POST', '/v1/mappings/entities', sap, ADMIN);
    expect(s.status).toBe(400);
    expect(s.body.errors[0]).toMatchObject({ path: 'entities.0.erp.connector' });
    expect((await t.call('POST', '/v1/mappings/entities', register(), KEYS.writer)).status).toBe(403);
    // Nothing was published by any of them.
    expect((await t.call('GET', '/v1/mappings/entities', undefined, KEYS.reader)).status).toBe(404);
  });

  it('publishes versions 1, 2; the same content again changes nothing; a stale base is refused; history lists both', async () => {
    expect(await t.call('POST', '/v1/mappings/entities', register(), ADMIN)).toMatchObject({
      status: 201,
      body: { kind: 'entities', version: 1, status: 'published' },
    });
    expect(await t.call('POST', '/v1/mappings/entities', register({ reason: 'again' }), ADMIN)).toMatchObject({
      status: 200,
      body: { version: 1, status: 'unchanged' },
    });
    const jp = { legalEntity: 'JP01', functionalCurrency: 'JPY', erp: { connector: 'simulated' } };
    const added = register({ entities: [...register().entities, jp], reason: 'JP01 founded', basedOnVersion: 1 });
    expect((await t.call('POST', '/v1/mappings/entities', added, ADMIN)).body).toMatchObject({ version: 2 });
    const stale = register({ reason: 'late edit', basedOnVersion: 1, reportingCurrency: 'EUR' });
    expect(await t.call('POST', '/v1/mappings/entities', stale, ADMIN)).toMatchObject({
      status: 409,
      body: { code: 'STALE_VERSION' },
    });
    const current = await t.call('GET', '/v1/mappings/entities', undefined, KEYS.reader);
    expect(current.body).toMatchObject({
      kind: 'entities',
      version: 2,
      reason: 'JP01 founded',
      reportingCurrency: 'USD',
      publishedBy: 'finance-admin',
    });
    expect(current.body.entities.map((e: { legalEntity: string }) => e.legalEntity)).toEqual(['US01', 'DE01', 'JP01']);
    const history = await t.call('GET', '/v1/mappings/entities/versions', undefined, KEYS.reader);
    expect(history.body.versions).toEqual([
      expect.objectContaining({ version: 2, reason: 'JP01 founded', entries: 3 }),
      expect.objectContaining({ version: 1, reason: 'group structure 2026', entries: 2 }),
    ]);
    const first = await t.call('GET', '/v1/mappings/entities/versions/1', undefined, KEYS.reader);
    expect(first.body.entities).toHaveLength(2);
  });

  it('GraphQL answers the register in force, a past version and the version history', async () => {
    const gql = async (query: string) => (await t.call('POST', '/graphql', { query }, KEYS.reader)).body;
    const fields =
      'version reason actor publishedAt reportingCurrency entities { legalEntity functionalCurrency erp { connector urlEnv passwordEnv dir } }';
    const current = await gql(`{ entityRegister { ${fields} } }`);
    expect(current.errors).toBeUndefined();
    expect(current.data.entityRegister).toMatchObject({
      version: 2,
      reason: 'JP01 founded',
      actor: 'finance-admin',
      reportingCurrency: 'USD',
    });
    expect(current.data.entityRegister.entities[0]).toEqual({
      legalEntity: 'US01',
      functionalCurrency: 'USD',
      erp: { connector: 'tryton', urlEnv: 'US01_TRYTON_URL', passwordEnv: 'US01_TRYTON_PW', dir: null },
    });
    const first = await gql(
      `{ entityRegister(version: 1) { version entities { legalEntity erp { connector dir } } } }`,
    );
    expect(first.data.entityRegister.entities).toEqual([
      { legalEntity: 'US01', erp: { connector: 'tryton', dir: null } },
      { legalEntity: 'DE01', erp: { connector: 'file', dir: '/tmp/de01' } },
    ]);
    const versions = await gql('{ entityRegisterVersions { version reason actor entries } }');
    expect(versions.data.entityRegisterVersions).toEqual([
      { version: 2, reason: 'JP01 founded', actor: 'finance-admin', entries: 3 },
      { version: 1, reason: 'group structure 2026', actor: 'finance-admin', entries: 2 },
    ]);
    expect((await gql('{ entityRegister(version: 9) { version } }')).data.entityRegister).toBeNull();
  });

  it('refuses an account mapping naming another currency than the register, and the other way round', async () => {
    const accounts = (currency: string) => ({
      reason: 'chart',
      entities: [{ ...US01_ACCOUNTS.entities[0]!, currency }],
    });
    const r = await t.call('POST', '/v1/mappings/accounts', accounts('EUR'), ADMIN);
    expect(r).toMatchObject({ status: 409, body: { code: 'CURRENCY_CONFLICT' } });
    expect(r.body.errors[0]).toMatchObject({ path: 'entities.0.currency' });
    expect(r.body.errors[0].message).toMatch(/USD/);
    // Without a currency, the register's applies; with the same one, it agrees.
    const { currency: _currency, ...uncurrencied } = US01_ACCOUNTS.entities[0]!;
    const without = { reason: 'chart', entities: [uncurrencied] };
    expect((await t.call('POST', '/v1/mappings/accounts', without, ADMIN)).status).toBe(201);
    expect((await t.call('POST', '/v1/mappings/accounts', accounts('USD'), ADMIN)).status).toBe(201);
    const moved = register({
      entities: [{ ...TRYTON_US01, functionalCurrency: 'CAD' }],
      reason: 'US01 moves to CAD',
    });
    const m = await t.call('POST', '/v1/mappings/entities', moved, ADMIN);
    expect(m).toMatchObject({ status: 409, body: { code: 'CURRENCY_CONFLICT' } });
    expect(m.body.errors[0]).toMatchObject({ path: 'entities.0.functionalCurrency' });
  });
});
