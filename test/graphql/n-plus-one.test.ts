// N+1 free: a page of contracts with their schedules, journals, posting status and versions costs a bounded number
// of read-store queries, counted by the read store itself, whatever the page size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import type { SqliteReadStore } from '../../src/readmodel/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const PAGE = `query ($first: Int!) {
  contracts(first: $first) {
    edges { node {
      id status legalEntity
      versions { version type effectiveDate source { system id } }
      schedule { status transactionPrice periods { period amount cumulative } }
      obligations { lineId allocated }
      balances { period deferredRevenue contractAsset }
      journals { id status attempts erpDocumentId rejection { code } accounts { account amount } }
      postingStatus { billed recognised journaled posted }
      exceptions { code }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('GraphQL batching', () => {
  let t: TestApp;
  let reads: SqliteReadStore['reads'];

  beforeAll(async () => {
    // Projections off: nothing but the query under test reads the read store while it is counted.
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    await seedDemo(t.app.store, { contracts: 120, seed: 5 });
    await postingRun(t.app.store, { period: '2026-02', connector: new SimulatedConnector(), backoffMs: 1 });
    await t.app.projections.catchUp();
    reads = (t.app.read as SqliteReadStore).reads;
  }, 180_000);
  afterAll(() => t.close());

  const run = async (first: number) => {
    const before = { ...reads };
    const r = await t.call('POST', '/graphql', { query: PAGE, variables: { first } }, KEYS.reader);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    return {
      nodes: r.body.data.contracts.edges.map((e: { node: unknown }) => e.node) as {
        schedule: unknown;
        journals: unknown[];
      }[],
      queries: reads.queries - before.queries,
      statements: reads.statements - before.statements,
    };
  };

  it('100 contracts with schedules and journals take a few read-store queries, as many as 20 contracts do', async () => {
    const hundred = await run(100);
    expect(hundred.nodes).toHaveLength(100);
    expect(hundred.nodes.every((n) => n.schedule !== null)).toBe(true);
    expect(hundred.nodes.filter((n) => n.journals.length > 0).length).toBeGreaterThan(10);
    // One page listing plus one batched read per projection the fields need (contract-versions is primed by the list).
    expect(hundred.queries).toBeLessThanOrEqual(3);
    expect(hundred.statements).toBeLessThanOrEqual(6);

    const twenty = await run(20);
    expect(twenty.nodes).toHaveLength(20);
    expect(twenty.queries).toBe(hundred.queries);
    expect(twenty.statements).toBe(hundred.statements);
  });
});
