// GraphQL with a read key cannot be made to block the process: documents built to make the analysis, the parser, the
// validation or the resolvers do work out of proportion to their size are refused with a code, before anything is
// read — through a real listening server and fetch. An ordinary query, GraphiQL's introspection and /health still
// answer after all of them.
import { request } from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

interface GraphqlAnswer {
  status: number;
  codes: string[];
  data: Record<string, unknown> | null | undefined;
}

/** `n` fragments, each spreading the next twice: 2^n selections of `__typename` once expanded, ~45 bytes a fragment. */
function fanOut(n: number): string {
  const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${n} on Query { __typename }`;
}

const repeat = (n: number, selection: (i: number) => string): string =>
  `{ ${Array.from({ length: n }, (_, i) => selection(i)).join(' ')} }`;

describe('GraphQL refuses abusive documents with a code', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    await seedDemo(t.app.store, { contracts: 4, seed: 17 });
    await t.app.projections.catchUp();
  }, 60_000);
  afterAll(() => t.close());

  const gql = async (query: string): Promise<GraphqlAnswer> => {
    const r = await t.call('POST', '/graphql', { query }, KEYS.reader);
    const body = r.body as { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] };
    return { status: r.status, codes: (body.errors ?? []).map((e) => e.extensions?.code ?? '(none)'), data: body.data };
  };

  /**
   * POSTs a body larger than the route takes the way a careful client does: headers first, the body only if no answer
   * came within a second. The server answers 413 from the Content-Length and closes the connection; a client still
   * writing the body would race that close (EPIPE or a reset instead of the answer).
   */
  const gqlHeadersFirst = (query: string): Promise<GraphqlAnswer> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query });
      const headers = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${KEYS.reader}`,
      };
      const req = request(new URL('/graphql', t.url), { method: 'POST', headers }, (res) => {
        clearTimeout(timer);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString()) as {
            data?: Record<string, unknown> | null;
            errors?: { extensions?: { code?: string } }[];
          };
          const codes = (answer.errors ?? []).map((e) => e.extensions?.code ?? '(none)');
          resolve({ status: res.statusCode ?? 0, codes, data: answer.data });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
      const timer = setTimeout(() => req.end(body), 1_000);
    });

  const stillAnswers = async (): Promise<void> => {
    const normal = await gql('{ contracts(first: 3) { totalCount edges { node { id status } } } }');
    expect(normal.codes).toEqual([]);
    expect((normal.data?.contracts as { edges: unknown[] }).edges).toHaveLength(3);
    const health = await t.call('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
  };

  it('an ordinary query and GraphiQL’s introspection query are answered', async () => {
    await stillAnswers();
    const introspection = await gql(
      getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true }),
    );
    expect(introspection.codes).toEqual([]);
    expect(introspection.data?.__schema).toBeDefined();
  });

  it('22 and 24 fragments each spreading the next twice (a 1 KB document) are refused as too many fields', async () => {
    for (const n of [22, 24]) {
      const query = fanOut(n);
      expect(query.length).toBeLessThan(1_200);
      expect(await gql(query)).toMatchObject({ status: 400, codes: ['TOO_MANY_FIELDS'] });
    }
    await stillAnswers();
  });

  it('300,000 __typename aliases (a 5 MB body) are refused as too large, before the body is read', async () => {
    const query = repeat(300_000, (i) => `a${i}: __typename`);
    expect(await gqlHeadersFirst(query)).toMatchObject({ status: 413, codes: ['QUERY_TOO_LARGE'] });
    await stillAnswers();
  });

  it('20,000 contract(id) aliases are refused as too large', async () => {
    const query = repeat(20_000, (i) => `c${i}: contract(id: "C-${i}") { id }`);
    expect(await gqlHeadersFirst(query)).toMatchObject({ status: 413, codes: ['QUERY_TOO_LARGE'] });
    await stillAnswers();
  });

  it('a document within the body limit is refused past 5,000 tokens, fields past 1,000, aliases past 100', async () => {
    // 3,000 aliases: 9,000 tokens in ~50 KB.
    expect(await gql(repeat(3_000, (i) => `a${i}: __typename`))).toMatchObject({
      status: 400,
      codes: ['QUERY_TOO_LARGE'],
    });
    expect(await gql(repeat(1_001, () => '__typename'))).toMatchObject({ status: 400, codes: ['TOO_MANY_FIELDS'] });
    // 100 contracts of 9 fields each (10 selections with the contract's own): exactly 1,000 fields, 100 aliases.
    const contract = (i: number) =>
      `c${i}: contract(id: "C-${i}") { id status legalEntity customerId currency bookingDate versionInForce ` +
      'heldVersions cancelledOn }';
    expect(await gql(repeat(100, contract))).toMatchObject({ status: 200, codes: [] });
    expect(await gql(repeat(101, contract))).toMatchObject({ status: 400, codes: ['TOO_MANY_FIELDS'] });
    expect(await gql(repeat(101, (i) => `c${i}: contract(id: "C-${i}") { id }`))).toMatchObject({
      status: 400,
      codes: ['TOO_MANY_ALIASES'],
    });
    await stillAnswers();
  });

  it('20 aliases of a report are refused as too costly; more than 4 reports in one query are refused', async () => {
    const reports = [
      (i: number) => `r${i}: revenueWaterfall(legalEntity: "US01", from: "2026-01", to: "2026-12") { contracts }`,
      (i: number) => `r${i}: reconciliation(legalEntity: "US01", period: "2026-03") { breaks }`,
      (i: number) => `r${i}: trace(system: "billing", id: "INV-${i}") { id }`,
    ];
    for (const report of reports)
      expect(await gql(repeat(20, report))).toMatchObject({ status: 400, codes: ['QUERY_TOO_COSTLY'] });
    const five = `{
      a: revenueWaterfall(legalEntity: "US01", from: "2026-01", to: "2026-12") { contracts }
      b: reconciliation(legalEntity: "US01", period: "2026-03") { breaks }
      c: deferredRevenueRollforward(legalEntity: "US01", period: "2026-03") { period }
      d: mappingDrift { productMapping { version } }
      e: postingFailures(code: "PERIOD_CLOSED") { code }
    }`;
    expect(await gql(five)).toMatchObject({ status: 400, codes: ['TOO_MANY_REPORTS'] });
    await stillAnswers();
  });

  it('2,000 levels of nesting (fields, inline fragments) and a chain of 100 fragments are refused as too deep', async () => {
    const fields = `{${'contract(id: "x") {'.repeat(2_000)} id ${'}'.repeat(2_000)}}`;
    const inline = `{${'... on Query {'.repeat(2_000)} __typename ${'}'.repeat(2_000)}}`;
    const chain = Array.from({ length: 100 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`);
    const fragments = `query { ...F0 } ${chain.join(' ')} fragment F100 on Query { __typename }`;
    for (const query of [fields, inline, fragments])
      expect(await gql(query)).toMatchObject({ status: 400, codes: ['QUERY_TOO_DEEP'] });
    await stillAnswers();
  });

  it('a document sent as a JSON syntax tree instead of GraphQL is held to the same bounds', async () => {
    // Written out, not JSON.stringify'd: that recursion would overflow here first.
    const field = '{"kind":"Field","name":{"kind":"Name","value":"__typename"}}';
    const open = '{"kind":"InlineFragment","selectionSet":{"kind":"SelectionSet","selections":[';
    const nested = `${open.repeat(2_000)}${field}${']}}'.repeat(2_000)}`;
    const document =
      `{"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query",` +
      `"selectionSet":{"kind":"SelectionSet","selections":[${nested}]}}]}`;
    expect(JSON.parse(document)).toBeDefined();
    expect(await gql(document)).toMatchObject({ status: 400, codes: ['QUERY_TOO_DEEP'] });
    await stillAnswers();
  });
});
