// The event store conformance suite: the guarantees of src/store/types.ts, stated once and run against every
// adapter (test/eventstore/adapters.ts). Cases use their own stream prefix and read the log from the head they saw
// first, so the suite also runs against a shared, non-empty EventStoreDB server (REVTRAIL_TEST_ESDB).
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, WrongExpectedVersionError, parseAnchor, verify, verifyEvents } from '../../src/store/index.js';
import { comparePositions, contentHashOf, eventIdFor } from '../../schemas/index.js';
import type { EventStore } from '../../src/store/index.js';
import type { JsonObject, Position, ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import type { AdapterUnderTest, StoreHarness } from './adapters.js';

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Takes exactly n events from an iterator, failing (not hanging) if they do not arrive in time. */
export async function take(it: AsyncIterator<RecordedEvent>, n: number, ms = 10_000): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      it.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(left, 1)))),
    ]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`only ${out.length} of ${n} events arrived within ${ms} ms`);
    if (next.done) throw new Error(`subscription ended after ${out.length} of ${n} events`);
    out.push(next.value);
  }
  return out;
}

export function event(key: string, data: JsonObject = { key }, type = 'TestEvent'): ProposedEvent {
  return {
    eventId: eventIdFor(key),
    type,
    data,
    metadata: {
      schemaVersion: 1,
      source: { system: 'conformance', id: key, version: 1 },
      receivedAt: '2026-01-15T10:00:00.000Z',
      correlationId: 'corr-1',
      causationId: null,
      actor: 'test',
    },
  };
}

const ids = (events: readonly { eventId: string }[]): string[] => events.map((e) => e.eventId);

export function conformanceSuite(adapter: AdapterUnderTest): void {
  describe(`event store conformance: ${adapter.name}`, () => {
    let h: StoreHarness;
    let store: EventStore;
    let ns: string; // this case's stream prefix
    let before: Position | null; // the log's head when the case started
    const extra: EventStore[] = [];

    const batch = (prefix: string, n: number, from = 0): ProposedEvent[] =>
      Array.from({ length: n }, (_, i) => event(`${ns}${prefix}-${from + i}`, { n: from + i }));

    beforeEach(async () => {
      h = await adapter.open();
      store = h.store;
      ns = `t${randomUUID().slice(0, 8)}-`;
      before = await store.headPosition();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
      await h.dispose();
    });
    const reopen = async (): Promise<EventStore> => {
      const s = await h.reopen();
      extra.push(s);
      return s;
    };

    describe('optimistic concurrency', () => {
      it('no_stream creates a stream and refuses one that exists', async () => {
        const s = `${ns}a`;
        const r = await store.append(s, batch('a', 2), { expectedRevision: 'no_stream' });
        expect(r.nextExpectedRevision).toBe(1);
        const err = await store.append(s, batch('b', 1), { expectedRevision: 'no_stream' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect((err as WrongExpectedVersionError).actual).toBe(1);
        expect(await store.streamRevision(s)).toBe(1);
      });

      it('a numeric expected revision must equal the last revision', async () => {
        const s = `${ns}a`;
        await store.append(s, batch('a', 3), { expectedRevision: 'no_stream' });
        await expect(store.append(s, batch('b', 1), { expectedRevision: 1 })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        await expect(store.append(s, batch('b', 1), { expectedRevision: 3 })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        const r = await store.append(s, batch('b', 1), { expectedRevision: 2 });
        expect(r.nextExpectedRevision).toBe(3);
      });

      it('a numeric expected revision on an absent stream is a clash', async () => {
        const err = await store.append(`${ns}none`, batch('a', 1), { expectedRevision: 0 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WrongExpectedVersionError);
        expect((err as WrongExpectedVersionError).actual).toBeNull();
      });

      it('any appends whatever the revision; stream_exists needs the stream', async () => {
        const s = `${ns}a`;
        await expect(store.append(s, batch('a', 1), { expectedRevision: 'stream_exists' })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        await store.append(s, batch('a', 1), { expectedRevision: 'any' });
        await store.append(s, batch('b', 1), { expectedRevision: 'any' });
        await store.append(s, batch('c', 1), { expectedRevision: 'stream_exists' });
        expect(await store.streamRevision(s)).toBe(2);
      });

      it('of two concurrent appenders at the same revision exactly one wins', async () => {
        const s = `${ns}race`;
        await store.append(s, batch('base', 1), { expectedRevision: 'no_stream' });
        const other = await reopen();
        for (let round = 0; round < 5; round++) {
          const rev = (await store.streamRevision(s))!;
          const mine = batch(`x${round}`, 2);
          const theirs = batch(`y${round}`, 3);
          const results = await Promise.allSettled([
            store.append(s, mine, { expectedRevision: rev }),
            other.append(s, theirs, { expectedRevision: rev }),
          ]);
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(lost).toHaveLength(1);
          expect(lost[0]!.reason).toBeInstanceOf(WrongExpectedVersionError);
          const winner = results[0].status === 'fulfilled' ? mine : theirs;
          const written = await collect(store.readStream(s, { fromRevision: rev + 1 }));
          expect(ids(written)).toEqual(ids(winner));
        }
      });

      it('many concurrent appenders leave a gap-free stream with each winner written once', async () => {
        const s = `${ns}many`;
        await store.append(s, batch('base', 1), { expectedRevision: 'no_stream' });
        const other = await reopen();
        const stores = [store, other];
        // Each writer retries on a clash with the revision it reads: the pattern every command handler uses.
        const writer = async (w: number): Promise<void> => {
          const st = stores[w % 2]!;
          for (let i = 0; i < 5; i++) {
            const mine = [event(`${ns}w${w}-${i}`, { w, i })];
            for (;;) {
              const rev = await st.streamRevision(s);
              try {
                await st.append(s, mine, { expectedRevision: rev ?? 'no_stream' });
                break;
              } catch (e) {
                if (!(e instanceof WrongExpectedVersionError)) throw e;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
        const events = await collect(store.readStream(s));
        expect(events).toHaveLength(41);
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 41 }, (_, i) => i));
        expect(new Set(ids(events)).size).toBe(41);
      });
    });

    describe('revisions, order and atomicity', () => {
      it('per-stream revisions are gap-free from 0 across appends', async () => {
        const s = `${ns}a`;
        let rev: number | 'no_stream' = 'no_stream';
        for (let i = 0; i < 5; i++)
          rev = (await store.append(s, batch(`b${i}`, i + 1), { expectedRevision: rev })).nextExpectedRevision;
        const events = await collect(store.readStream(s));
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 15 }, (_, i) => i));
      });

      it('positions give one total order over all streams, matching the order of appends', async () => {
        const appended: string[] = [];
        const revs = new Map<string, number>();
        for (let i = 0; i < 30; i++) {
          const s = `${ns}s${i % 3}`;
          const e = batch(`e${i}`, 1);
          const r = await store.append(s, e, { expectedRevision: revs.get(s) ?? 'no_stream' });
          revs.set(s, r.nextExpectedRevision);
          appended.push(e[0]!.eventId);
        }
        const all = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        expect(ids(all)).toEqual(appended);
        for (let i = 1; i < all.length; i++) expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBe(-1);
      });

      it('an append is atomic: a batch that fails writes none of its events', async () => {
        const s = `${ns}a`;
        await store.append(s, batch('a', 2), { expectedRevision: 'no_stream' });
        const bad = [...batch('b', 3), { ...event(`${ns}bad`), data: { big: 1n } as unknown as JsonObject }];
        await expect(store.append(s, bad, { expectedRevision: 1 })).rejects.toThrow();
        await expect(store.append(s, batch('c', 3), { expectedRevision: 0 })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        const events = await collect(store.readStream(s));
        expect(events).toHaveLength(2);
        const r = await store.append(s, batch('d', 50), { expectedRevision: 1 });
        expect(r.nextExpectedRevision).toBe(51);
        const all = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        expect(all).toHaveLength(52);
      });

      it('re-appending the same event ids at the same expected revision is a no-op', async () => {
        const s = `${ns}a`;
        const first = batch('a', 3);
        await store.append(s, first, { expectedRevision: 'no_stream' });
        const retry = await store.append(s, first, { expectedRevision: 'no_stream' });
        expect(retry.nextExpectedRevision).toBe(2);
        const second = batch('b', 2);
        await store.append(s, second, { expectedRevision: 2 });
        await store.append(s, second, { expectedRevision: 2 });
        await store.append(s, second, { expectedRevision: 2 });
        const events = await collect(store.readStream(s));
        expect(ids(events)).toEqual(ids([...first, ...second]));
        // Other ids at a stale revision are a clash, not a no-op.
        await expect(store.append(s, batch('c', 2), { expectedRevision: 2 })).rejects.toBeInstanceOf(
          WrongExpectedVersionError,
        );
        const all = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        expect(all).toHaveLength(5);
      });

      it('re-appending the last batch under any is a no-op', async () => {
        const s = `${ns}a`;
        const b = batch('a', 2);
        await store.append(s, b, { expectedRevision: 'any' });
        await store.append(s, b, { expectedRevision: 'any' });
        expect(await store.streamRevision(s)).toBe(1);
      });
    });

    describe('appending to several streams at once', () => {
      it('checks each stream on its own revision: a clash fails that stream only', async () => {
        await store.append(`${ns}a`, batch('a', 2), { expectedRevision: 'no_stream' });
        await store.append(`${ns}b`, batch('b', 1), { expectedRevision: 'no_stream' });
        const results = await store.appendMany([
          { streamId: `${ns}a`, events: batch('a2', 2), expectedRevision: 1 },
          { streamId: `${ns}b`, events: batch('b2', 1), expectedRevision: 5 }, // stale: clash
          { streamId: `${ns}c`, events: batch('c', 3), expectedRevision: 'no_stream' },
        ]);
        expect(results[0]).toMatchObject({ nextExpectedRevision: 3 });
        expect(results[1]).toBeInstanceOf(WrongExpectedVersionError);
        expect((results[1] as WrongExpectedVersionError).actual).toBe(0);
        expect(results[2]).toMatchObject({ nextExpectedRevision: 2 });
        expect(ids(await collect(store.readStream(`${ns}a`)))).toEqual(ids([...batch('a', 2), ...batch('a2', 2)]));
        expect(ids(await collect(store.readStream(`${ns}b`)))).toEqual(ids(batch('b', 1)));
        expect(ids(await collect(store.readStream(`${ns}c`)))).toEqual(ids(batch('c', 3)));
        const all = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        expect(all).toHaveLength(8); // a: 2 + 2, b: 1, c: 3
      });

      it('a retried batch is a no-op for every stream it already wrote', async () => {
        const requests = [
          { streamId: `${ns}a`, events: batch('a', 2), expectedRevision: 'no_stream' as const },
          { streamId: `${ns}b`, events: batch('b', 2), expectedRevision: 'no_stream' as const },
        ];
        await store.appendMany(requests);
        const again = await store.appendMany(requests);
        expect(again.every((r) => !(r instanceof WrongExpectedVersionError))).toBe(true);
        const all = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        expect(all).toHaveLength(4);
      });

      it('live subscribers see a multi-stream batch in position order', async () => {
        const sub = store.subscribeToAll({ after: before, filter: { streamPrefixes: [ns] } });
        const it = sub[Symbol.asyncIterator]();
        await store.appendMany([
          { streamId: `${ns}x`, events: batch('x', 2), expectedRevision: 'no_stream' },
          { streamId: `${ns}y`, events: batch('y', 2), expectedRevision: 'no_stream' },
        ]);
        expect(ids(await take(it, 4))).toEqual(ids([...batch('x', 2), ...batch('y', 2)]));
        await sub.close();
      });
    });

    describe('reading', () => {
      it('reads a stream forwards and backwards within bounds', async () => {
        const s = `${ns}a`;
        await store.append(s, batch('a', 20), { expectedRevision: 'no_stream' });
        const revs = async (o: Parameters<EventStore['readStream']>[1]) =>
          (await collect(store.readStream(s, o))).map((e) => e.revision);
        expect(await revs({})).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(await revs({ fromRevision: 5, maxCount: 3 })).toEqual([5, 6, 7]);
        expect(await revs({ fromRevision: 18 })).toEqual([18, 19]);
        expect(await revs({ fromRevision: 25 })).toEqual([]);
        expect(await revs({ direction: 'backwards', maxCount: 3 })).toEqual([19, 18, 17]);
        expect(await revs({ direction: 'backwards', fromRevision: 'end', maxCount: 1 })).toEqual([19]);
        expect(await revs({ direction: 'backwards', fromRevision: 4 })).toEqual([4, 3, 2, 1, 0]);
        expect(await revs({ direction: 'backwards', fromRevision: 2, maxCount: 2 })).toEqual([2, 1]);
        expect(await collect(store.readStream(`${ns}absent`))).toEqual([]);
        expect(await store.streamRevision(`${ns}absent`)).toBeNull();
      });

      it('reads the log after a position (exclusive) with stream and type prefix filters', async () => {
        await store.append(`${ns}contract-1`, batch('c1', 3), { expectedRevision: 'no_stream' });
        await store.append(`${ns}mapping-products`, [event(`${ns}m1`, {}, 'MappingPublished')], {
          expectedRevision: 'no_stream',
        });
        await store.append(`${ns}contract-2`, batch('c2', 3), { expectedRevision: 'no_stream' });
        const everything = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        expect(everything).toHaveLength(7);
        const contracts = await collect(
          store.readAll({ after: before, filter: { streamPrefixes: [`${ns}contract-`] } }),
        );
        expect(contracts.map((e) => e.streamId)).toEqual([1, 1, 1, 2, 2, 2].map((n) => `${ns}contract-${n}`));
        const third = everything[2]!.position;
        const rest = await collect(store.readAll({ after: third, filter: { streamPrefixes: [ns] } }));
        expect(ids(rest)).toEqual(ids(everything.slice(3)));
        const limited = await collect(store.readAll({ after: third, filter: { streamPrefixes: [ns] }, maxCount: 2 }));
        expect(ids(limited)).toEqual(ids(everything.slice(3, 5)));
        const mappings = await collect(
          store.readAll({ after: before, filter: { streamPrefixes: [ns], eventTypePrefixes: ['Mapping'] } }),
        );
        expect(mappings.map((e) => e.type)).toEqual(['MappingPublished']);
        const head = await store.headPosition();
        expect(head && comparePositions(head, everything[6]!.position)).toBe(0);
        // A projection's lag in events: exact where the backend can count, null where it cannot.
        expect([null, 4]).toContain(await store.countAfter(third));
        expect([null, 0]).toContain(await store.countAfter(head));
      });

      it('stores the envelope: id, type, data, metadata with content hash and hash chain', async () => {
        const s = `${ns}a`;
        const e = batch('a', 2);
        await store.append(s, e, { expectedRevision: 'no_stream' });
        const [first, second] = await collect(store.readStream(s));
        expect(first!.eventId).toBe(e[0]!.eventId);
        expect(first!.type).toBe('TestEvent');
        expect(first!.data).toEqual(e[0]!.data);
        expect(first!.metadata).toMatchObject({
          ...e[0]!.metadata,
          contentHash: contentHashOf('TestEvent', e[0]!.data),
        });
        expect(first!.metadata.prevHash).toBe(GENESIS_HASH);
        expect(second!.metadata.prevHash).not.toBe(GENESIS_HASH);
        expect(Number.isNaN(Date.parse(first!.recordedAt))).toBe(false);
        const report = await verify(store, s);
        expect(report).toMatchObject({ ok: true, eventsChecked: 2, streamsChecked: 1, problems: [] });
      });

      it('round-trips unicode and 1 MB payloads byte for byte', async () => {
        const s = `${ns}u`;
        const text = 'Zürich · 東京 · مرحبا · 🧾💶 · e\u0301 · \u2028 · "quoted" \\ back';
        const big = 'x'.repeat(1024 * 1024);
        await store.append(
          s,
          [event(`${ns}u1`, { text, nested: { list: [text, 1, true, null] } }), event(`${ns}u2`, { big })],
          {
            expectedRevision: 'no_stream',
          },
        );
        const [u1, u2] = await collect(store.readStream(s));
        expect(u1!.data).toEqual({ text, nested: { list: [text, 1, true, null] } });
        expect((u2!.data as { big: string }).big.length).toBe(big.length);
        expect(u2!.data).toEqual({ big });
        expect((await verify(store, s)).ok).toBe(true);
      });

      it('holds a 10,000-event stream, read whole, in pages and from the end', async () => {
        const s = `${ns}long`;
        let rev: number | 'no_stream' = 'no_stream';
        for (let b = 0; b < 20; b++) {
          rev = (await store.append(s, batch('l', 500, b * 500), { expectedRevision: rev })).nextExpectedRevision;
        }
        expect(await store.streamRevision(s)).toBe(9999);
        const all = await collect(store.readStream(s));
        expect(all).toHaveLength(10_000);
        expect(all.every((e, i) => e.revision === i && (e.data as { n: number }).n === i)).toBe(true);
        const tail = await collect(store.readStream(s, { direction: 'backwards', maxCount: 1500 }));
        expect(tail[0]!.revision).toBe(9999);
        expect(tail[1499]!.revision).toBe(8500);
        const page = await collect(store.readStream(s, { fromRevision: 4990, maxCount: 20 }));
        expect(page.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => 4990 + i));
        expect((await verify(store, s)).eventsChecked).toBe(10_000);
      });
    });

    describe('subscriptions', () => {
      it('delivers catch-up then live events in order, exactly once', async () => {
        await store.append(`${ns}a`, batch('a', 5), { expectedRevision: 'no_stream' });
        const sub = store.subscribeToAll({ after: before, filter: { streamPrefixes: [ns] } });
        const it = sub[Symbol.asyncIterator]();
        const caught = await take(it, 5);
        expect(ids(caught)).toEqual(ids(batch('a', 5)));
        const other = await reopen();
        await store.append(`${ns}b`, batch('b', 3), { expectedRevision: 'no_stream' });
        await other.append(`${ns}a`, batch('c', 2), { expectedRevision: 4 });
        const live = await take(it, 5);
        expect(ids(live)).toEqual(ids([...batch('b', 3), ...batch('c', 2)]));
        await store.append(`zz-${ns}`, batch('z', 1), { expectedRevision: 'any' }); // outside the filter
        await store.append(`${ns}d`, batch('d', 1), { expectedRevision: 'no_stream' });
        const [d] = await take(it, 1);
        expect(d!.streamId).toBe(`${ns}d`);
        await sub.close();
      });

      it('resumes after a restart from a stored checkpoint with no loss and no duplicate', async () => {
        const expected = batch('a', 30);
        await store.append(`${ns}a`, expected.slice(0, 20), { expectedRevision: 'no_stream' });
        const sub = store.subscribeToAll({ after: before, filter: { streamPrefixes: [ns] } });
        const first = await take(sub[Symbol.asyncIterator](), 12);
        const checkpoint = first[11]!.position; // what a projection would have committed
        await sub.close();
        await store.append(`${ns}a`, expected.slice(20), { expectedRevision: 19 });
        await store.close();

        store = await h.reopen(); // the process restarts
        const resumed = store.subscribeToAll({ after: checkpoint, filter: { streamPrefixes: [ns] } });
        const it = resumed[Symbol.asyncIterator]();
        const rest = await take(it, 18);
        const live = batch('live', 4);
        await store.append(`${ns}b`, live, { expectedRevision: 'no_stream' });
        const tail = await take(it, 4);
        expect(ids([...first, ...rest, ...tail])).toEqual(ids([...expected, ...live]));
        await resumed.close();
      });

      it('close() ends a waiting subscription, and closing the store ends its subscriptions', async () => {
        const sub = store.subscribeToAll({ after: await store.headPosition(), filter: { streamPrefixes: [ns] } });
        const it = sub[Symbol.asyncIterator]();
        const pending = it.next();
        await sub.close();
        await expect(pending).resolves.toMatchObject({ done: true });

        const sub2 = store.subscribeToAll({ after: await store.headPosition(), filter: { streamPrefixes: [ns] } });
        const done = collect(sub2);
        await new Promise((r) => setTimeout(r, 50));
        await store.close();
        await expect(
          done.then(
            () => 'ended',
            () => 'ended',
          ),
        ).resolves.toBe('ended');
        await store.close(); // closing twice is harmless
        await expect(store.streamRevision(`${ns}a`)).rejects.toThrow();
        store = await h.reopen(); // for afterEach
      });
    });

    describe('integrity', () => {
      it('verify walks every chain of the log and finds it intact', async () => {
        await store.append(`${ns}a`, batch('a', 4), { expectedRevision: 'no_stream' });
        await store.append(`${ns}b`, batch('b', 4), { expectedRevision: 'no_stream' });
        await store.append(`${ns}a`, batch('c', 4), { expectedRevision: 3 });
        const events = await collect(store.readAll({ after: before, filter: { streamPrefixes: [ns] } }));
        const report = await verifyEvents(
          (async function* () {
            yield* events;
          })(),
        );
        expect(report).toMatchObject({ ok: true, eventsChecked: 12, streamsChecked: 2 });
      });

      it('verify proves the whole log intact, and its anchor still holds after more appends', async () => {
        await store.append(`${ns}a`, batch('a', 3), { expectedRevision: 'no_stream' });
        const first = await verify(store);
        expect(first).toMatchObject({ ok: true, problems: [] });
        expect(first.anchor).toMatch(/^rt1:\d+(\/\d+)?:[0-9a-f]{64}$/);
        await store.append(`${ns}b`, batch('b', 2), { expectedRevision: 'no_stream' });
        const again = await verify(store, { against: parseAnchor(first.anchor!) });
        expect(again).toMatchObject({ ok: true, checked: { anchor: true }, problems: [] });
        expect(again.anchor).not.toBe(first.anchor);
        const view = await store.integrity();
        const log = await collect(view.readLog({ streamId: `${ns}a` }));
        await view.close();
        expect(log.map((e) => [e.revision, e.event?.eventId])).toEqual(batch('a', 3).map((e, i) => [i, e.eventId]));
      });
    });
  });
}
