// GraphQL through a real listening server with fetch: a generated company, posting runs against the simulated ERP
// (one period posted, the next refused as closed), projections caught up — then what /graphql answers, checked
// against the read models and the event store themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractStream } from '../../commands/contract.js';
import type { ContractVersions, PostingStatusDoc, RevenueScheduleDoc } from '../../projections/index.js';
import { contractPostingStatus } from '../../src/audit/index.js';
import { seedDemo } from '../../src/demo/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { formatPosition } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const INGEST_ONLY = 'test-ingest-only-key-0123456789';

describe('GraphQL over HTTP', () => {
  let t: TestApp;
  let versions: ContractVersions[];

  beforeAll(async () => {
    t = await startTestApp({
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'feeder', scopes: ['ingest'], key: INGEST_ONLY }]),
    });
    await seedDemo(t.app.store, { contracts: 40, seed: 11 });
    const erp = new SimulatedConnector();
    await postingRun(t.app.store, { period: '2026-02', connector: erp, backoffMs: 1 });
    erp.closePeriod('2026-03');
    await postingRun(t.app.store, { period: '2026-03', connector: erp, backoffMs: 1 });
    await t.app.projections.catchUp();
    versions = (await t.app.read.list('contract-versions')).map((r) => r.doc as ContractVersions);
  }, 120_000);
  afterAll(() => t.close());

  // Every document is asked twice: mercurius runs it interpreted the first time and compiled (graphql-jit) after, and
  // the two answers must be the same.
  const gql = async (query: string, variables: Record<string, unknown> = {}, key: string | null = KEYS.reader) => {
    const interpreted = await t.call('POST', '/graphql', { query, variables }, key);
    const compiled = await t.call('POST', '/graphql', { query, variables }, key);
    expect([compiled.status, compiled.body]).toEqual([interpreted.status, interpreted.body]);
    return compiled;
  };

  const page = async (filter: Record<string, unknown>, first: number): Promise<string[]> => {
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r = await gql(
        `query ($filter: ContractFilter, $first: Int, $after: String) {
          contracts(filter: $filter, first: $first, after: $after) {
            totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor }
          } }`,
        { filter, first, after },
      );
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      const c = r.body.data.contracts;
      ids.push(...c.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(c.edges.length).toBeLessThanOrEqual(first);
      if (!c.pageInfo.hasNextPage) {
        expect(c.totalCount).toBe(ids.length);
        return ids;
      }
      after = c.pageInfo.endCursor;
    }
  };

  it('a contract answers its versions, raw events, schedule, balances, journals and posting status as stored', async () => {
    const id = versions.find((v) => v.versions.length > 1)?.contractId ?? versions[0]!.contractId;
    const r = await gql(
      `query ($id: ID!) { contract(id: $id) {
        id status legalEntity customerId currency versionInForce
        versions { version type eventId source { system id } }
        events { eventId type revision position source { system id } receivedAt recordedAt contentHash prevHash data }
        obligations { lineId sku allocated }
        schedule { transactionPrice periods { period amount cumulative } }
        balances { period billedToDate recognisedToDate deferredRevenue contractAsset }
        journals { id status attempts erpDocumentId rejection { code } accounts { account amount } contract { id } }
        postingStatus { billed recognised journaled posted unposted counts { posted rejected } }
        exceptions { source code journalId }
      } }`,
      { id },
    );
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const c = r.body.data.contract;
    const v = (await t.app.read.get('contract-versions', id)) as ContractVersions;
    expect(c).toMatchObject({ id, status: v.status, legalEntity: v.legalEntity, currency: v.currency });
    expect(c.versions.map((x: { version: number }) => x.version)).toEqual(v.versions.map((x) => x.version));

    const stored = [];
    for await (const e of t.app.store.readStream(contractStream(id))) stored.push(e);
    expect(c.events.map((e: { revision: number }) => e.revision)).toEqual(stored.map((e) => e.revision));
    expect(c.events.map((e: { position: string }) => e.position)).toEqual(
      stored.map((e) => formatPosition(e.position)),
    );
    expect(c.events[0]).toMatchObject({
      eventId: stored[0]!.eventId,
      contentHash: stored[0]!.metadata.contentHash,
      prevHash: stored[0]!.metadata.prevHash,
      data: stored[0]!.data,
    });

    const s = (await t.app.read.get('revenue-schedule', id)) as RevenueScheduleDoc;
    const periods = c.schedule.periods as { amount: string; cumulative: string }[];
    expect(periods.map((p) => p.cumulative)).toEqual(s.schedule!.periods.map((p) => p.cumulative));
    const cents = periods.reduce((n, p) => n + Math.round(Number(p.amount) * 1000), 0);
    expect(cents).toBe(Math.round(Number(periods[periods.length - 1]!.cumulative) * 1000));
    expect(c.balances).toHaveLength(s.balances.length);

    const ps = (await t.app.read.get('posting-status', id)) as PostingStatusDoc;
    expect(c.journals.map((j: { id: string; status: string }) => [j.id, j.status])).toEqual(
      ps.journals.map((j) => [j.journalId, j.status]),
    );
    expect(c.journals.every((j: { contract: { id: string } }) => j.contract.id === id)).toBe(true);
    const joined = await contractPostingStatus(t.app.read, id);
    expect(c.postingStatus).toMatchObject({
      billed: joined!.billed,
      recognised: joined!.recognised,
      journaled: joined!.journaled,
      posted: joined!.posted,
      unposted: joined!.unposted,
    });
  });

  it('an unknown contract is null, not an error', async () => {
    const r = await gql('{ contract(id: "C-NOPE") { id } }');
    expect(r.body).toEqual({ data: { contract: null } });
  });

  it('paging walks every contract exactly once, in contract id order', async () => {
    const ids = await page({}, 7);
    const keys = versions.map((v) => v.contractId);
    expect(ids).toEqual(keys);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('filters by legal entity, status, SKU and exception; pages of a filter also walk it exactly once', async () => {
    const entity = versions[0]!.legalEntity!;
    expect(await page({ legalEntity: entity }, 4)).toEqual(
      versions.filter((v) => v.legalEntity === entity).map((v) => v.contractId),
    );
    expect(await page({ status: 'cancelled' }, 3)).toEqual(
      versions.filter((v) => v.status === 'cancelled').map((v) => v.contractId),
    );
    const sku = (versions[0]!.lines[0] as { sku: string }).sku;
    const schedules = (await t.app.read.list('revenue-schedule')).filter((r) => !r.key.startsWith('$'));
    expect(await page({ sku }, 5)).toEqual(
      schedules.filter((r) => (r.doc as RevenueScheduleDoc).skus.includes(sku)).map((r) => r.key),
    );
    const postings = (await t.app.read.list('posting-status')).map((r) => r.doc as PostingStatusDoc);
    const closed = postings
      .filter((d) => d.journals.some((j) => j.status === 'rejected' && j.rejection?.code === 'PERIOD_CLOSED'))
      .map((d) => d.contractId);
    expect(closed.length).toBeGreaterThan(0);
    expect(await page({ exception: 'PERIOD_CLOSED' }, 6)).toEqual(closed);
    const both = await page({ exception: 'PERIOD_CLOSED', legalEntity: entity }, 2);
    expect(both).toEqual(closed.filter((id) => versions.find((v) => v.contractId === id)!.legalEntity === entity));
  });

  it('a journal is found by its id, with its contract; exceptions(kind) lists every refusal of that code', async () => {
    const postings = (await t.app.read.list('posting-status')).map((r) => r.doc as PostingStatusDoc);
    const doc = postings.find((d) => d.journals.length > 0)!;
    const j = doc.journals[0]!;
    const r = await gql(
      `query ($id: ID!) { journal(id: $id) { id period status contractId contract { id legalEntity } } }`,
      { id: j.journalId },
    );
    expect(r.body.data.journal).toMatchObject({
      id: j.journalId,
      period: j.period,
      status: j.status,
      contract: { id: doc.contractId, legalEntity: doc.legalEntity },
    });
    expect((await gql('{ journal(id: "nope") { id } }')).body.data.journal).toBeNull();

    const x = await gql('{ exceptions(kind: "PERIOD_CLOSED") { contractId source code journalId } }');
    const rejected = postings.flatMap((d) =>
      d.journals
        .filter((jj) => jj.status === 'rejected' && jj.rejection?.code === 'PERIOD_CLOSED')
        .map((jj) => ({ contractId: d.contractId, source: 'posting', code: 'PERIOD_CLOSED', journalId: jj.journalId })),
    );
    // Listed largest amount at stake first: compared as sets.
    const byJournal = (a: { journalId: string }, b: { journalId: string }) => a.journalId.localeCompare(b.journalId);
    expect([...x.body.data.exceptions].sort(byJournal)).toEqual([...rejected].sort(byJournal));
  });

  it('refuses a query nested too deep or costing too much, with a code, before reading anything', async () => {
    const deep = await gql(
      '{ journal(id: "x") { contract { journals { contract { journals { contract { journals { contract { journals { contract { journals { id } } } } } } } } } } } }',
    );
    expect(deep.status).toBe(400);
    expect(deep.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain(
      'QUERY_TOO_DEEP',
    );

    const aliases = Array.from({ length: 30 }, (_, i) => `e${i}: events { eventId data }`).join(' ');
    const costly = await gql(`{ contracts(first: 100) { edges { node { ${aliases} } } } }`);
    expect(costly.status).toBe(400);
    expect(costly.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain(
      'QUERY_TOO_COSTLY',
    );

    const big = await gql('{ contracts(first: 101) { edges { node { id } } } }');
    expect(big.body.errors[0].extensions.code).toBe('INVALID_ARGUMENT');
    const cursor = await gql('{ contracts(after: "not-a-cursor") { edges { node { id } } } }');
    expect(cursor.body.errors[0].extensions.code).toBe('INVALID_CURSOR');
    const invalid = await gql('{ contract { nope } }');
    expect(invalid.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('needs a key with the read scope: 401 without one, 403 without the scope, as problem+json', async () => {
    const none = await gql('{ contracts { edges { node { id } } } }', {}, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(none.body).toMatchObject({ code: 'UNAUTHENTICATED' });
    const wrong = await gql('{ contracts { edges { node { id } } } }', {}, 'not-a-key-at-all-0123456789');
    expect(wrong.status).toBe(401);
    const ingestOnly = await gql('{ contracts { edges { node { id } } } }', {}, INGEST_ONLY);
    expect(ingestOnly.status).toBe(403);
    expect(ingestOnly.body).toMatchObject({ code: 'MISSING_SCOPE' });
    const get = await t.call(
      'GET',
      `/graphql?query=${encodeURIComponent('{ contract(id: "x") { id } }')}`,
      undefined,
      null,
    );
    expect(get.status).toBe(401);
  });

  it('serves GraphiQL at /graphiql', async () => {
    const res = await fetch(`${t.url}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/graphiql/i);
  });
});
