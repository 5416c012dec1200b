// The embedded store's stream-ordered read (what a rebuild replays from) and its stream listing, on a real file:
// only streams with the prefix, stream-id then revision order, nothing after `upTo`, resumable after a stream and
// bounded before one, across more than one page of rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadByStreamOptions } from '../../src/store/index.js';
import type { Position } from '../../schemas/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { event } from './conformance.js';

describe('readByStream and listStreams (embedded store)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let middle: Position;
  /** Every event appended, as `stream#revision`, with its position. */
  const appended: { id: string; stream: string; position: bigint }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-by-stream-read-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    // Streams interleaved in the log, in an order unlike their ids; other prefixes around "contract-".
    const streams = [
      'contract-B',
      'contract-A',
      'contracts',
      'mapping-products',
      'contract-C',
      'contract',
      'contract-',
    ];
    for (let round = 0; round < 300; round++) {
      for (const [i, s] of streams.entries()) {
        if (s === 'contract-C' && round >= 150) continue; // a stream that stops half way
        const r = await store.append(s, [event(`${s}-${round}`, { round, i })], {
          expectedRevision: round === 0 ? 'no_stream' : 'any',
        });
        appended.push({ id: `${s}#${round}`, stream: s, position: r.position!.commit });
      }
      if (round === 199) middle = (await store.headPosition())!;
    }
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (options: ReadByStreamOptions) => {
    const out: string[] = [];
    for await (const e of store.readByStream(options)) out.push(`${e.streamId}#${e.revision}`);
    return out;
  };
  const expected = (streams: string[], upTo: Position) =>
    appended
      .filter((a) => streams.includes(a.stream) && a.position <= upTo.commit)
      .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : Number(a.position - b.position)))
      .map((a) => a.id);

  it('reads only the prefix, stream after stream, across pages, up to the position', async () => {
    const head = (await store.headPosition())!;
    const all = await read({ streamPrefix: 'contract-', upTo: head });
    expect(all).toHaveLength(300 * 3 + 150); // contract-, contract-A, contract-B, contract-C
    expect(all).toEqual(expected(['contract-', 'contract-A', 'contract-B', 'contract-C'], head));
    const early = await read({ streamPrefix: 'contract-', upTo: middle });
    expect(early).toEqual(expected(['contract-', 'contract-A', 'contract-B', 'contract-C'], middle));
    expect(early.filter((x) => x.startsWith('contract-A#'))).toHaveLength(200);
  });

  it('resumes after a stream and stops before one', async () => {
    const head = (await store.headPosition())!;
    expect(await read({ streamPrefix: 'contract-', upTo: head, afterStream: 'contract-A' })).toEqual(
      expected(['contract-B', 'contract-C'], head),
    );
    expect(await read({ streamPrefix: 'contract-', upTo: head, beforeStream: 'contract-B' })).toEqual(
      expected(['contract-', 'contract-A'], head),
    );
    expect(
      await read({ streamPrefix: 'contract-', upTo: head, afterStream: 'contract-A', beforeStream: 'contract-C' }),
    ).toEqual(expected(['contract-B'], head));
    // A bound outside the prefix's range does not widen it.
    expect(await read({ streamPrefix: 'contract-', upTo: head, afterStream: 'a', beforeStream: 'z' })).toEqual(
      expected(['contract-', 'contract-A', 'contract-B', 'contract-C'], head),
    );
  });

  it('lists the streams with the prefix and their head revisions', async () => {
    expect(await store.listStreams('contract-')).toEqual([
      { streamId: 'contract-', revision: 299 },
      { streamId: 'contract-A', revision: 299 },
      { streamId: 'contract-B', revision: 299 },
      { streamId: 'contract-C', revision: 149 },
    ]);
    await expect(store.listStreams('')).rejects.toThrow('prefix');
  });
});
