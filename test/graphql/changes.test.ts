// scheduleChanged and postingStatusChanged over graphql-ws against a listening server with live projections: a change
// arrives once the projection has applied its cause, with the schedule / journal status the read model then holds; a
// subscriber that drops and resumes from the last change's resumeFrom gets every later change exactly once (a mapping
// change that reaches several contracts included); the websocket needs the read scope.
import { createRequire } from 'node:module';
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractStream } from '../../commands/contract.js';
import type { PostingStatusDoc, RevenueScheduleDoc } from '../../projections/index.js';
import { ProductMappingSet, comparePositions, formatPosition } from '../../schemas/index.js';
import { CATALOGUE, DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { PLATFORM_LINE, booking, invoice } from '../support/fixtures.js';

// `ws` ships no types here (no @types/ws); graphql-ws only needs a WebSocket constructor.
const WebSocketImpl = (createRequire(import.meta.url)('ws') as { WebSocket: unknown }).WebSocket;

const INGEST_ONLY = 'test-ingest-only-key-0123456789';

const SCHEDULE = `subscription ($contractId: ID, $from: String) {
  scheduleChanged(contractId: $contractId, fromPosition: $from) {
    resumeFrom position contractId versionInForce heldFacts
    cause { eventId type position }
    schedule { transactionPrice mappingVersion periods { period amount cumulative } }
    balances { period billedToDate }
  }
}`;

const POSTING = `subscription ($contractId: ID, $from: String) {
  postingStatusChanged(contractId: $contractId, fromPosition: $from) {
    resumeFrom position contractId
    cause { eventId type position }
    journal { id status attempts erpDocumentId contract { id } }
    journals { id status }
    counts { prepared submitted posted rejected }
  }
}`;

interface ScheduleChange {
  resumeFrom: string;
  position: string;
  contractId: string;
  versionInForce: number;
  cause: { eventId: string; type: string; position: string };
  schedule: { transactionPrice: string; mappingVersion: number; periods: { cumulative: string }[] } | null;
  balances: { period: string; billedToDate: string }[];
}

interface PostingChange {
  resumeFrom: string;
  position: string;
  contractId: string;
  cause: { eventId: string; type: string; position: string };
  journal: { id: string; status: string; erpDocumentId: string | null; contract: { id: string } } | null;
  journals: { id: string; status: string }[];
  counts: { posted: number };
}

const line = { ...PLATFORM_LINE, sku: 'PLAT-STD' };

const amendment = (contractId: string, version: number, amount: string) => ({
  type: 'ContractAmended',
  contractId,
  source: { system: 'salesforce', id: `AMD-${contractId}-${version}`, version: 1 },
  occurredAt: '2026-04-01T09:00:00Z',
  data: { version, effectiveDate: '2026-04-01', treatment: 'prospective', lines: [{ ...line, amount }] },
});

describe('change subscriptions over graphql-ws', () => {
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

  /** Takes `count` changes from a fresh subscription, then drops it (and its connection). */
  const take = async <T>(
    query: string,
    field: string,
    variables: Record<string, unknown>,
    count: number,
    authorization?: string | null,
  ): Promise<T[]> => {
    const c = client(authorization);
    const got: T[] = [];
    try {
      for await (const r of c.iterate<Record<string, T>>({ query, variables })) {
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        got.push(r.data![field]!);
        if (got.length === count) break;
      }
    } finally {
      await c.dispose();
    }
    return got;
  };

  const publishProducts = async (products: unknown[], reason: string): Promise<void> =>
    publishMapping(t.app.store, 'products', ProductMappingSet.parse({ products, reason }), new Date());

  const streamOf = async (contractId: string): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    for await (const e of t.app.store.readStream(contractStream(contractId))) out.push(e);
    return out;
  };

  beforeAll(async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'feeder', scopes: ['ingest'], key: INGEST_ONLY }]),
    });
    await publishProducts([...CATALOGUE], 'catalogue');
    await publishMapping(t.app.store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date());
    await t.post([booking('S-1', [line]), booking('S-2', [line]), booking('P-1', [line])]);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await t.close();
  });

  it('an amendment arrives as a schedule change carrying the schedule the read model holds once it applied it', async () => {
    const booked = await take<ScheduleChange>(SCHEDULE, 'scheduleChanged', { contractId: 'S-1' }, 1);
    expect(booked[0]).toMatchObject({ contractId: 'S-1', versionInForce: 1, cause: { type: 'ContractBooked' } });
    expect(booked[0]!.schedule!.transactionPrice).toBe('1200.00');

    const c = client();
    const next = (async () => {
      for await (const r of c.iterate<{ scheduleChanged: ScheduleChange }>({
        query: SCHEDULE,
        variables: { contractId: 'S-1', from: booked[0]!.resumeFrom },
      })) {
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        return r.data!.scheduleChanged;
      }
      return null;
    })();
    await new Promise((r) => setTimeout(r, 50));
    await t.post([amendment('S-1', 2, '1800.00')]);
    const changed = (await next)!;
    await c.dispose();

    const amended = (await streamOf('S-1')).find((e) => e.type === 'ContractAmended')!;
    expect(changed).toMatchObject({
      contractId: 'S-1',
      versionInForce: 2,
      position: formatPosition(amended.position),
      resumeFrom: formatPosition(amended.position),
      cause: { type: 'ContractAmended', eventId: amended.eventId },
    });
    const doc = (await t.app.read.get('revenue-schedule', 'S-1')) as RevenueScheduleDoc;
    expect(changed.schedule!.transactionPrice).toBe(doc.schedule!.transactionPrice);
    expect(changed.schedule!.transactionPrice).not.toBe('1200.00');
    expect(changed.schedule!.periods.map((p) => p.cumulative)).toEqual(doc.schedule!.periods.map((p) => p.cumulative));
  });

  it('a subscriber that drops and resumes from its last resumeFrom receives every later change exactly once', async () => {
    const first = await take<ScheduleChange>(SCHEDULE, 'scheduleChanged', { contractId: 'S-2' }, 1);
    // While it is away: an amendment and an invoice.
    await t.post([amendment('S-2', 2, '2400.00'), invoice('S-2', 'INV-S-2', 'L1', '100.00')]);
    const rest = await take<ScheduleChange>(
      SCHEDULE,
      'scheduleChanged',
      { contractId: 'S-2', from: first[0]!.resumeFrom },
      2,
    );
    // And again from the last one, live: one more amendment.
    const live = take<ScheduleChange>(SCHEDULE, 'scheduleChanged', { contractId: 'S-2', from: rest[1]!.resumeFrom }, 1);
    await new Promise((r) => setTimeout(r, 50));
    await t.post([amendment('S-2', 3, '3000.00')]);
    const tail = await live;

    const causes = (await streamOf('S-2')).map((e) => [formatPosition(e.position), e.type]);
    const all = [...first, ...rest, ...tail];
    expect(all.map((x) => [x.position, x.cause.type])).toEqual(causes);
    expect(new Set(all.map((x) => x.resumeFrom)).size).toBe(all.length);
    expect(tail[0]).toMatchObject({ versionInForce: 3 });
    expect(rest[1]!.balances.find((b) => b.period === '2026-01')?.billedToDate).toBe('100.00');
  });

  it('a mapping change reaches every contract using the SKU, in contract order, and resumes within itself', async () => {
    const head = (await t.app.store.headPosition())!;
    const changed = CATALOGUE.map((p) => (p.sku === 'PLAT-STD' ? { ...p, convention: 'daily' } : p));
    await publishProducts(changed, 'PLAT-STD recognised daily');
    const mapping: RecordedEvent[] = [];
    for await (const e of t.app.store.readStream('mapping-products'))
      if (comparePositions(e.position, head) > 0) mapping.push(e);
    const at = formatPosition(mapping[0]!.position);

    const fanned = await take<ScheduleChange>(SCHEDULE, 'scheduleChanged', { from: formatPosition(head) }, 3);
    expect(fanned.map((x) => [x.contractId, x.position, x.resumeFrom])).toEqual([
      ['P-1', at, `${at}#P-1`],
      ['S-1', at, `${at}#S-1`],
      ['S-2', at, `${at}#S-2`],
    ]);
    expect(fanned.every((x) => x.cause.type === 'ProductMappingPublished')).toBe(true);
    // Dropped after P-1: the rest of the same change, then nothing twice.
    const resumed = await take<ScheduleChange>(SCHEDULE, 'scheduleChanged', { from: `${at}#P-1` }, 2);
    expect(resumed.map((x) => x.contractId)).toEqual(['S-1', 'S-2']);
    // A subscription to one contract sees the change once, for that contract.
    const one = await take<ScheduleChange>(
      SCHEDULE,
      'scheduleChanged',
      { contractId: 'S-1', from: formatPosition(head) },
      1,
    );
    expect(one.map((x) => x.resumeFrom)).toEqual([`${at}#S-1`]);
  });

  it('a posting run arrives as posting status changes, each journal step exactly once across a resume', async () => {
    const erp = new SimulatedConnector();
    await postingRun(t.app.store, { period: '2026-02', legalEntity: 'US01', connector: erp, backoffMs: 1 });
    const steps = (await streamOf('P-1')).filter((e) => e.type.startsWith('Journal'));
    expect(steps.map((e) => e.type)).toEqual(['JournalPrepared', 'JournalSubmitted', 'JournalPosted']);

    const first = await take<PostingChange>(POSTING, 'postingStatusChanged', { contractId: 'P-1' }, 1);
    const rest = await take<PostingChange>(
      POSTING,
      'postingStatusChanged',
      { contractId: 'P-1', from: first[0]!.resumeFrom },
      steps.length - 1,
    );
    const all = [...first, ...rest];
    expect(all.map((x) => [x.position, x.cause.type])).toEqual(steps.map((e) => [formatPosition(e.position), e.type]));
    const journalId = steps[0]!.data.journalId as string;
    const doc = (await t.app.read.get('posting-status', 'P-1')) as PostingStatusDoc;
    const last = all[all.length - 1]!;
    expect(last.journal).toMatchObject({
      id: journalId,
      status: 'posted',
      erpDocumentId: doc.journals[0]!.erpDocumentId,
      contract: { id: 'P-1' },
    });
    expect(last.counts.posted).toBe(1);

    // Across contracts: every journal step of the run, in log order, each once.
    const everyStep: string[] = [];
    for await (const e of t.app.store.readAll({ filter: { eventTypePrefixes: ['Journal'] } }))
      everyStep.push(formatPosition(e.position));
    const every = await take<PostingChange>(POSTING, 'postingStatusChanged', {}, everyStep.length);
    expect(every.map((x) => x.position)).toEqual(everyStep);
  });

  it('needs a key with the read scope: none is a coded error, an ingest-only key is refused', async () => {
    const none = await take(SCHEDULE, 'scheduleChanged', {}, 1, null).catch((e: unknown) => e);
    expect(none).toMatchObject([{ path: ['scheduleChanged'], extensions: { code: 'UNAUTHENTICATED' } }]);
    const posting = await take(POSTING, 'postingStatusChanged', {}, 1, null).catch((e: unknown) => e);
    expect(posting).toMatchObject([{ path: ['postingStatusChanged'], extensions: { code: 'UNAUTHENTICATED' } }]);
    await expect(take(SCHEDULE, 'scheduleChanged', {}, 1, `Bearer ${INGEST_ONLY}`)).rejects.toBeDefined();
    const bad = await take(SCHEDULE, 'scheduleChanged', { from: 'nope' }, 1).catch((e: unknown) => e);
    expect(bad).toMatchObject([{ extensions: { code: 'INVALID_ARGUMENT' } }]);
  });
});
