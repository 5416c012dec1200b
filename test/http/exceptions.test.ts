// The exceptions workbench through the real server: one list over every kind sorted by the amount at stake, filters,
// actions with their scopes, an item that resolves itself when its mapping arrives, and refused inputs replayed as
// they were (after a configuration fix) and corrected, with their lineage in the new event's metadata.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import { ProductMappingSet } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const OPS = 'test-ops-key-0123456789abc';
const CONTROLLER = 'test-controller-key-0123456789';
const KEY_ENV = JSON.stringify([
  { name: 'ops', scopes: ['exceptions:write', 'read'], key: OPS },
  { name: 'controller', scopes: ['exceptions:ignore', 'read'], key: CONTROLLER },
]);

const line = (lineId: string, sku: string, amount: string) => ({
  lineId,
  sku,
  quantity: '1',
  amount,
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
});
const booking = (contractId: string, lines: unknown[], currency = 'USD', legalEntity = 'US01') => ({
  type: 'ContractBooked',
  contractId,
  source: { system: 'crm', id: `OPP-${contractId}`, version: 1 },
  occurredAt: '2026-01-15T10:00:00Z',
  data: { version: 1, customerId: 'K-1', legalEntity, currency, bookingDate: '2026-01-15', lines },
});
const product = (sku: string) => ({ sku, pattern: 'ratable', ssp: '1200.00', accounts: { revenue: '4000' } });
const mapping = (...skus: string[]) =>
  ProductMappingSet.parse({ products: skus.map(product), reason: `map ${skus.join(', ')}` });

type Item = { id: string; kind: string; code: string; amount: string; status: string; contractId: string | null };

/** Polls until `ok` holds (the projections run live beside the server): generous deadline, no fixed sleep. */
async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('exceptions as work items', () => {
  let t: TestApp;
  const list = async (query = '') =>
    (await t.call('GET', `/v1/exceptions${query}`, undefined, KEYS.reader)).body as { items: Item[]; total: number };
  const one = async (id: string) => (await t.call('GET', `/v1/exceptions/${id}`, undefined, KEYS.reader)).body;

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_API_KEYS: KEY_ENV });
    await publishMapping(t.app.store, 'products', mapping('PLAT'), new Date());
    const us02 = { ...DEMO_ENTITIES[0]!, legalEntity: 'US02', currency: 'USD' };
    await publishMapping(t.app.store, 'accounts', { entities: [...DEMO_ENTITIES, us02], reason: 'chart' }, new Date());
    const r = await t.post([
      booking('C-1', [line('A', 'PLAT', '1200.00')]),
      booking('C-2', [line('A', 'PLAT', '1000.00'), line('B', 'ADDON', '5000.00')], 'USD', 'US02'),
      booking('C-3', [line('A', 'PLAT', '300.00')], 'XYZ'),
    ]);
    expect(r.counts).toMatchObject({ appended: 2, rejected: 1 });
  });
  afterAll(() => t.close());

  it('lists every kind in one list, largest amount at stake first, and filters it', async () => {
    const all = await until(list, (l) => l.total === 3, 'the unmapped SKU, its block and the refused input');
    // The unmapped SKU also blocks the contract's journals (its schedule is in exception): the whole contract at stake.
    expect(all.items.map((i) => [i.kind, i.code, i.contractId, i.amount])).toEqual([
      ['journal_blocked', 'SCHEDULE_EXCEPTION', 'C-2', '6000.00'],
      ['schedule', 'UNMAPPED_SKU', 'C-2', '5000.00'],
      ['refused_input', 'INVALID_CURRENCY', 'C-3', '300.00'],
    ]);
    expect(all.items.every((i) => i.status === 'open')).toBe(true);
    expect((await list('?kind=refused_input')).items.map((i) => i.contractId)).toEqual(['C-3']);
    expect((await list('?kind=UNMAPPED_SKU')).items.map((i) => i.contractId)).toEqual(['C-2']);
    expect((await list('?minAmount=5500')).items.map((i) => i.code)).toEqual(['SCHEDULE_EXCEPTION']);
    expect((await list('?entity=US02')).items.map((i) => i.code)).toEqual(['SCHEDULE_EXCEPTION', 'UNMAPPED_SKU']);
    expect((await list('?limit=1&offset=2')).items.map((i) => i.contractId)).toEqual(['C-3']);
    expect((await list('?minAgeHours=1')).items).toEqual([]);
    const tooMany = await t.call('GET', '/v1/exceptions?limit=501', undefined, KEYS.reader);
    expect(tooMany).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(tooMany.body.errors[0].path).toBe('limit');
    const item = await one(all.items[1]!.id);
    expect(item).toMatchObject({ legalEntity: 'US02', currency: 'USD', owner: null, notes: [], overdue: false });
    expect(Date.parse(item.slaDueAt) - Date.parse(item.firstSeen)).toBe(48 * 3600 * 1000);
  });

  it('actions need their scopes: 403 MISSING_SCOPE, and nothing changes', async () => {
    const [unmapped] = (await list('?kind=UNMAPPED_SKU')).items;
    const byReader = await t.call('POST', `/v1/exceptions/${unmapped!.id}/acknowledge`, {}, KEYS.reader);
    expect(byReader).toMatchObject({ status: 403, body: { code: 'MISSING_SCOPE' } });
    expect(byReader.body.detail).toContain('"exceptions:write"');
    const ignoreByOps = await t.call('POST', `/v1/exceptions/${unmapped!.id}/ignore`, { reason: 'no' }, OPS);
    expect(ignoreByOps).toMatchObject({ status: 403, body: { code: 'MISSING_SCOPE' } });
    expect(ignoreByOps.body.detail).toContain('"exceptions:ignore"');
    expect((await one(unmapped!.id)).history).toEqual([]);
  });

  it('an item is assigned, acknowledged and noted; illegal steps are refused with a code', async () => {
    const [refused] = (await list('?kind=refused_input')).items;
    const id = refused!.id;
    const early = await t.call('POST', `/v1/exceptions/${id}/resolve`, { reason: 'done' }, OPS);
    expect(early).toMatchObject({ status: 409, body: { code: 'EXCEPTION_TRANSITION_INVALID' } });
    expect(await t.call('POST', `/v1/exceptions/${id}/assign`, { owner: 'alice' }, OPS)).toMatchObject({
      status: 200,
      body: { owner: 'alice', status: 'open', changed: true },
    });
    expect((await t.call('POST', `/v1/exceptions/${id}/acknowledge`, undefined, OPS)).body.status).toBe('acknowledged');
    await t.call('POST', `/v1/exceptions/${id}/note`, { text: 'currency typo at the source' }, OPS);
    const noReason = await t.call('POST', `/v1/exceptions/${id}/ignore`, {}, CONTROLLER);
    expect(noReason).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(noReason.body.errors[0].path).toBe('reason');
    const seen = await until(
      () => one(id),
      (x) => x.history?.length === 3,
      'three steps',
    );
    expect(seen).toMatchObject({ status: 'acknowledged', owner: 'alice' });
    expect(seen.history.map((h: { action: string; actor: string }) => [h.action, h.actor])).toEqual([
      ['assigned', 'ops'],
      ['acknowledged', 'ops'],
      ['noted', 'ops'],
    ]);
    expect(seen.notes.map((n: { text: string }) => n.text)).toEqual(['currency typo at the source']);
    expect((await list('?owner=alice')).items.map((i) => i.id)).toEqual([id]);
  });

  it('GraphQL lists the same items and acts on them, each mutation with its scope', async () => {
    const gql = (query: string, key: string) => t.call('POST', '/graphql', { query }, key);
    const listed = await gql(
      '{ exceptions(kind: "refused_input") { id code status owner source amount history { action } } }',
      KEYS.reader,
    );
    expect(listed.body.errors).toBeUndefined();
    const [item] = listed.body.data.exceptions;
    expect(item).toMatchObject({ code: 'INVALID_CURRENCY', status: 'acknowledged', owner: 'alice', source: 'input' });
    const note = `mutation { noteException(id: "${item.id}", text: "asked the CRM team") { status changed } }`;
    const refused = await gql(note, KEYS.reader);
    expect(refused.body.errors[0].extensions.code).toBe('MISSING_SCOPE');
    const ignore = `mutation { ignoreException(id: "${item.id}", reason: "no") { status } }`;
    expect((await gql(ignore, OPS)).body.errors[0].extensions.code).toBe('MISSING_SCOPE');
    expect((await gql(note, OPS)).body.data.noteException).toEqual({ status: 'acknowledged', changed: true });
    const resolveOpen = await gql(`mutation { acknowledgeException(id: "nope") { status } }`, OPS);
    expect(resolveOpen.body.errors[0].extensions.code).toBe('UNKNOWN_EXCEPTION');
    await until(
      () => one(item.id),
      (x) => x.notes?.length === 2,
      'the note',
    );
  });

  it('resolves itself when the mapping arrives, and says so', async () => {
    const [unmapped] = (await list('?kind=UNMAPPED_SKU')).items;
    await publishMapping(t.app.store, 'products', mapping('PLAT', 'ADDON'), new Date());
    const resolved = await until(
      () => one(unmapped!.id),
      (x) => x.status === 'resolved',
      'the unmapped SKU to resolve',
    );
    expect(resolved).toMatchObject({ resolvedBy: 'system' });
    expect(resolved.resolution.reason).toBe('product mapping version 2 maps ADDON');
    await until(list, (l) => l.total === 1, 'the block to go with its cause');
    expect((await list()).items.map((i) => i.code)).toEqual(['INVALID_CURRENCY']);
    expect((await list('?status=resolved')).items.map((i) => i.id)).toEqual([unmapped!.id]);
    const act = await t.call('POST', `/v1/exceptions/${unmapped!.id}/acknowledge`, {}, OPS);
    expect(act).toMatchObject({ status: 409, body: { code: 'EXCEPTION_TRANSITION_INVALID' } });
  });

  it('replays a refused input corrected: lineage correctedFrom, the exception resolved, replays counted', async () => {
    const rejections = (await t.call('GET', '/v1/rejections?system=crm&code=INVALID_CURRENCY', undefined, KEYS.reader))
      .body;
    expect(rejections).toMatchObject({ total: 1, replays: 0 });
    const refused = rejections.items[0];
    const inspect = await t.call('GET', `/v1/rejections/${refused.id}`, undefined, KEYS.reader);
    expect(inspect.body.event.data.input).toMatchObject({ contractId: 'C-3', data: { currency: 'XYZ' } });

    const asIs = await t.call('POST', `/v1/rejections/${refused.id}/replay`, undefined, OPS);
    expect(asIs).toMatchObject({ status: 200, body: { result: { status: 'rejected' }, corrected: false } });
    const corrected = { ...booking('C-3', [line('A', 'PLAT', '300.00')]) };
    const fixed = await t.call('POST', `/v1/rejections/${refused.id}/replay`, { event: corrected }, OPS);
    expect(fixed).toMatchObject({ status: 200, body: { result: { status: 'appended' }, corrected: true } });
    const events = (await t.call('GET', '/v1/contracts/C-3/events', undefined, KEYS.reader)).body.events;
    expect(events[0].metadata).toMatchObject({ correctedFrom: refused.id, actor: 'ops' });
    expect(events[0].metadata.replayOf).toBeUndefined();

    const item = await until(
      () => one(refused.exceptionId),
      (x) => x.status === 'resolved',
      'the replayed input to resolve its exception',
    );
    expect(item).toMatchObject({ resolvedBy: 'system', replays: 2 });
    expect(item.resolution.reason).toContain(`accepted as event "${fixed.body.result.eventId}"`);
    const again = await t.call('POST', `/v1/rejections/${refused.id}/replay`, undefined, OPS);
    expect(again).toMatchObject({ status: 409, body: { code: 'REPLAY_NOT_ALLOWED' } });
    const after = await until(
      async () => (await t.call('GET', '/v1/rejections', undefined, KEYS.reader)).body,
      (b) => b.replays === 2,
      'replays counted',
    );
    // The as-is replay was refused again: its own refusal, with lineage to the first.
    expect(after.items.map((r: { replayOf: string | null }) => r.replayOf)).toContain(refused.id);
  });
});

describe('exceptions in the order asked', () => {
  it('sort=impact (the default) puts the largest amount first, sort=age the oldest; ties by first seen, then id', async () => {
    const t = await startTestApp({ REVTRAIL_API_KEYS: KEY_ENV });
    try {
      // Three refused inputs, one request each so each is seen later than the one before.
      for (const [id, amount] of [
        ['C-OLD', '100.00'],
        ['C-BIG', '900.00'],
        ['C-TIE', '900.00'],
      ] as const) {
        expect((await t.post([booking(id, [line('A', 'PLAT', amount)], 'XYZ')])).counts).toMatchObject({ rejected: 1 });
        await new Promise((r) => setTimeout(r, 5));
      }
      const rest = async (query: string) =>
        ((await t.call('GET', `/v1/exceptions${query}`, undefined, KEYS.reader)).body as { items: Item[] }).items.map(
          (i) => i.contractId,
        );
      await until(
        () => rest(''),
        (l) => l.length === 3,
        'three refused inputs',
      );
      expect(await rest('')).toEqual(['C-BIG', 'C-TIE', 'C-OLD']);
      expect(await rest('?sort=impact')).toEqual(['C-BIG', 'C-TIE', 'C-OLD']);
      expect(await rest('?sort=age')).toEqual(['C-OLD', 'C-BIG', 'C-TIE']);
      expect(await rest('?sort=age&limit=1&offset=1')).toEqual(['C-BIG']);
      const bad = await t.call('GET', '/v1/exceptions?sort=newest', undefined, KEYS.reader);
      expect(bad).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      expect(bad.body.errors[0].path).toBe('sort');

      const gql = async (args: string) => {
        const r = await t.call('POST', '/graphql', { query: `{ exceptions${args} { contractId } }` }, KEYS.reader);
        expect(r.body.errors).toBeUndefined();
        return (r.body.data.exceptions as { contractId: string }[]).map((i) => i.contractId);
      };
      expect(await gql('')).toEqual(['C-BIG', 'C-TIE', 'C-OLD']);
      expect(await gql('(sort: age)')).toEqual(['C-OLD', 'C-BIG', 'C-TIE']);
      expect(await gql('(sort: impact, limit: 1, offset: 2)')).toEqual(['C-OLD']);
      const wrong = await t.call('POST', '/graphql', { query: '{ exceptions(sort: newest) { id } }' }, KEYS.reader);
      expect(wrong.body.errors[0].message).toContain('newest');
    } finally {
      await t.close();
    }
  });
});

describe('a refused input replayed as it was after a configuration fix', () => {
  it('is appended with lineage replayOf, and its exception resolves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-replay-'));
    const env = {
      REVTRAIL_STORE: join(dir, 'revtrail.db'),
      REVTRAIL_DATA_DIR: dir,
      REVTRAIL_API_KEYS: KEY_ENV,
    };
    try {
      const strict = await startTestApp({ ...env, REVTRAIL_MAX_CONTRACT_LINES: '1' });
      const big = booking('C-9', [line('A', 'PLAT', '100.00'), line('B', 'PLAT', '200.00')]);
      expect((await strict.post([big])).results[0]).toMatchObject({ status: 'rejected' });
      await strict.app.close();

      const t = await startTestApp(env);
      try {
        const listed = await until(
          async () => (await t.call('GET', '/v1/rejections', undefined, KEYS.reader)).body,
          (b) => b.total === 1,
          'the refused input',
        );
        const id = listed.items[0].id;
        const replay = await t.call('POST', `/v1/rejections/${id}/replay`, {}, OPS);
        expect(replay).toMatchObject({ status: 200, body: { result: { status: 'appended' }, corrected: false } });
        const events = (await t.call('GET', '/v1/contracts/C-9/events', undefined, KEYS.reader)).body.events;
        expect(events[0].metadata).toMatchObject({ replayOf: id });
        const item = await until(
          async () =>
            (await t.call('GET', `/v1/exceptions/${listed.items[0].exceptionId}`, undefined, KEYS.reader)).body,
          (x) => x.status === 'resolved',
          'the exception to resolve',
        );
        expect(item.resolution.reason).toContain('replayed: accepted');
      } finally {
        await t.app.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
