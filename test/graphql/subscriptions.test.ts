// ledgerEvents over graphql-ws against a listening server: a subscriber that drops and resumes from the last position
// it received gets every later event exactly once; the contract filter is exact; the websocket needs the read scope.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProposedEvent } from '../../schemas/index.js';
import { formatPosition } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

// `ws` ships no types here (no @types/ws); graphql-ws only needs a WebSocket constructor.
const WebSocketImpl = (createRequire(import.meta.url)('ws') as { WebSocket: unknown }).WebSocket;

const SUBSCRIBE = `subscription ($from: String, $contractId: ID, $types: [String!]) {
  ledgerEvents(fromPosition: $from, contractId: $contractId, types: $types) { position streamId revision type eventId }
}`;

interface Received {
  position: string;
  streamId: string;
  type: string;
}

describe('ledgerEvents over graphql-ws', () => {
  let t: TestApp;
  const clients: Client[] = [];

  const client = (authorization: string | null = `Bearer ${KEYS.reader}`): Client => {
    const c = createClient({
      url: `${t.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams: authorization === null ? {} : { authorization },
      retryAttempts: 0,
    });
    clients.push(c);
    return c;
  };

  const append = async (streamId: string, n: number, type = 'UsageRecorded') => {
    const events: ProposedEvent[] = Array.from({ length: n }, (_, i) => ({
      eventId: randomUUID(),
      type,
      data: { contractId: streamId.slice('contract-'.length), n: i },
      metadata: { schemaVersion: 1, receivedAt: new Date().toISOString() },
    }));
    await t.app.store.append(streamId, events, { expectedRevision: 'any' });
  };

  /** Takes `count` events from a fresh subscription, then drops it. */
  const take = async (c: Client, variables: Record<string, unknown>, count: number): Promise<Received[]> => {
    const got: Received[] = [];
    if (count === 0) return got;
    for await (const r of c.iterate<{ ledgerEvents: Received }>({ query: SUBSCRIBE, variables })) {
      if (r.errors) throw new Error(JSON.stringify(r.errors));
      got.push(r.data!.ledgerEvents);
      if (got.length === count) break;
    }
    return got;
  };

  const allPositions = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const e of t.app.store.readAll()) out.push(formatPosition(e.position));
    return out;
  };

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    await append('contract-T-1', 25);
    await append('contract-T-10', 15);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await t.close();
  });

  it('a subscriber that drops and resumes from its last position receives every later event exactly once', async () => {
    const first = await take(client(), {}, 20);
    await clients[0]!.dispose();
    // While it is away: more events, in both streams.
    await append('contract-T-1', 10);
    await append('contract-T-10', 5);
    const last = first[first.length - 1]!.position;
    const expected = await allPositions();
    const c = client();
    const rest = await take(c, { from: last }, expected.length - first.length);
    // And live: what is appended after the resume arrives too.
    const live = take(c, { from: rest[rest.length - 1]!.position }, 3);
    await new Promise((r) => setTimeout(r, 50));
    await append('contract-T-1', 3);
    const tail = await live;
    const all = [...first, ...rest, ...tail].map((e) => e.position);
    expect(all).toEqual(await allPositions());
    expect(new Set(all).size).toBe(all.length);
  });

  it('a contract filter is exact (contract T-1 is not T-10) and a type filter keeps only those types', async () => {
    await append('contract-T-1', 2, 'InvoiceIssued');
    const mine = [];
    for await (const e of t.app.store.readStream('contract-T-1')) mine.push(e);
    const got = await take(client(), { contractId: 'T-1' }, mine.length);
    expect(got.map((e) => e.position)).toEqual(mine.map((e) => formatPosition(e.position)));
    expect(got.every((e) => e.streamId === 'contract-T-1')).toBe(true);
    const invoices = await take(client(), { contractId: 'T-1', types: ['InvoiceIssued'] }, 2);
    expect(invoices.map((e) => e.type)).toEqual(['InvoiceIssued', 'InvoiceIssued']);
  });

  it('needs a key with the read scope: none is a coded error, a bad key in connection_init is refused', async () => {
    const refused = await take(client(null), {}, 1).catch((e: unknown) => e);
    expect(refused).toMatchObject([{ path: ['ledgerEvents'], extensions: { code: 'UNAUTHENTICATED' } }]);
    await expect(take(client('Bearer not-a-valid-key-0123456789'), {}, 1)).rejects.toBeDefined();
  });

  it('a bad key in connection_init closes the socket with 4403 Forbidden, as graphql-transport-ws asks', async () => {
    let closedWith: number | undefined;
    const c = createClient({
      url: `${t.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams: { authorization: 'Bearer not-a-valid-key-0123456789' },
      retryAttempts: 0,
      on: { closed: (event) => (closedWith = (event as { code: number }).code) },
    });
    clients.push(c);
    const refused = await take(c, {}, 1).catch((e: unknown) => e);
    // The client fails on the close itself, not on a message it cannot read.
    expect(refused).not.toBeInstanceOf(Error);
    expect(refused).toMatchObject({ code: 4403, reason: 'Forbidden' });
    expect(closedWith).toBe(4403);
  });

  it('a subscription is held to the query limits and validated before it starts, with a code', async () => {
    const codeOf = async (query: string): Promise<unknown> => {
      for await (const r of client().iterate({ query })) return r;
      return null;
    };
    const refusal = (query: string) => codeOf(query).catch((e: unknown) => (e as { extensions?: unknown }[])[0]);
    const many = `subscription { ledgerEvents { ${'__typename '.repeat(1_001)} } }`;
    expect(await refusal(many)).toMatchObject({ extensions: { code: 'TOO_MANY_FIELDS' } });
    const large = `subscription { ledgerEvents { ${'eventId '.repeat(6_000)} } }`;
    expect(await refusal(large)).toMatchObject({ extensions: { code: 'QUERY_TOO_LARGE' } });
    const unknown = 'subscription { ledgerEvents { noSuchField } }';
    expect(await refusal(unknown)).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });
});
