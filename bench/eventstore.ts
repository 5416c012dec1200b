// bench/eventstore: embedded store append and readAll throughput, each beside raw better-sqlite3 doing the same
// inserts / scan in the same run — the physical limit of the embedded store, so the ratio is our overhead.
//
// Fairness: both sides get the same event objects, built before the clock starts, and the same schema, indexes and
// pragmas (WAL, synchronous=FULL). Raw does what storing and reading event objects takes at minimum: JSON.stringify
// of data and metadata and one transaction per batch inserting the rows and the stream head; on the scan, reading
// every row in position order and JSON.parse of data and metadata. Ours adds what the ledger needs: canonical JSON,
// content hash and hash chain, expected-revision check, idempotency, paging, the event envelope.
// The two sides run interleaved in chunks (ours, raw, ours, raw, ...) so that a noisy, shared machine slows both alike.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../src/store/index.js';
import { eventIdFor } from '../schemas/index.js';
import type { ProposedEvent } from '../schemas/index.js';

export interface Ratio {
  events: number;
  oursPerSec: number;
  rawPerSec: number;
  /** ours / raw throughput. */
  ratio: number;
}

const STREAMS = 50_000;
const SKUS = ['SUB-PLAT', 'SUB-ENT', 'ONB-STD', 'SUP-PREM', 'USG-API'];
const HASH = 'f'.repeat(64);

/** A ~300-byte event (data + metadata as stored), deterministic from its index. */
export function makeEvent(i: number): ProposedEvent {
  return {
    eventId: eventIdFor(`bench|${i}`),
    type: 'InvoiceIssued',
    data: {
      invoiceId: `INV-${i}`,
      invoiceDate: '2026-03-01',
      lines: [{ lineId: `L${i % 7}`, sku: SKUS[i % SKUS.length]!, amount: `${(i % 9000) + 100}.00` }],
    },
    metadata: {
      schemaVersion: 1,
      source: { system: 'billing', id: `INV-${i}`, version: 1 },
      receivedAt: '2026-03-01T10:00:00.000Z',
      correlationId: `corr-${i % 1000}`,
    },
  };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

function tempPath(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-bench-'));
  return { dir, path: join(dir, 'bench.db') };
}

/** The raw side: the same schema as src/store/sqlite.ts, driven directly. */
class RawStore {
  readonly db: Database.Database;
  private readonly tx: (stream: string, first: number, events: ProposedEvent[]) => void;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
        event_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
        recorded_at TEXT NOT NULL);
      CREATE UNIQUE INDEX events_stream_revision ON events (stream_id, revision);
      CREATE TABLE streams (stream_id TEXT PRIMARY KEY, revision INTEGER NOT NULL, head_hash TEXT NOT NULL)
        WITHOUT ROWID;`);
    const insert = this.db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const head = this.db.prepare(
      'INSERT INTO streams (stream_id, revision, head_hash) VALUES (?, ?, ?) ' +
        'ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, head_hash = excluded.head_hash',
    );
    this.tx = this.db.transaction((stream: string, first: number, events: ProposedEvent[]) => {
      const recordedAt = new Date().toISOString();
      events.forEach((e, k) => {
        // Same row sizes as ours: metadata carries the two 64-hex hashes the store adds.
        const metadata = JSON.stringify({ ...e.metadata, contentHash: HASH, prevHash: HASH });
        insert.run(stream, first + k, e.eventId, e.type, JSON.stringify(e.data), metadata, recordedAt);
      });
      head.run(stream, first + events.length - 1, HASH);
    });
  }

  append(stream: string, first: number, events: ProposedEvent[]): void {
    this.tx(stream, first, events);
  }

  scan(): number {
    let n = 0;
    const rows = this.db
      .prepare(
        'SELECT position, stream_id, revision, event_id, type, data, metadata, recorded_at FROM events ORDER BY position',
      )
      .raw(true)
      .iterate() as IterableIterator<[number, string, number, string, string, string, string, string]>;
    for (const r of rows) {
      const data = JSON.parse(r[5]) as unknown;
      const metadata = JSON.parse(r[6]) as unknown;
      if (data && metadata) n++;
    }
    return n;
  }
}

/**
 * Appends up to `maxEvents` in batches of `batch`, round-robin over 50k streams, alternating chunks of ~20k events
 * between our store and raw; stops early once our side has spent `budgetSec`.
 */
export async function benchAppend(batch: number, maxEvents: number, budgetSec: number): Promise<Ratio> {
  const oursPath = tempPath();
  const rawPath = tempPath();
  const store = new SqliteEventStore({ path: oursPath.path });
  const raw = new RawStore(rawPath.path);
  const revisions = new Map<string, number>();
  const chunk = Math.max(1, Math.floor(20_000 / batch));
  let oursSec = 0;
  let rawSec = 0;
  let n = 0;
  let b = 0;
  while (n < maxEvents && oursSec < budgetSec) {
    const batches: { stream: string; first: number; events: ProposedEvent[] }[] = [];
    for (let c = 0; c < chunk && n < maxEvents; c++, b++, n += batch) {
      const stream = `contract-C-${b % STREAMS}`;
      const first = (revisions.get(stream) ?? -1) + 1;
      batches.push({ stream, first, events: Array.from({ length: batch }, (_, k) => makeEvent(n + k)) });
      revisions.set(stream, first + batch - 1);
    }
    let t = now();
    for (const x of batches) {
      await store.append(x.stream, x.events, { expectedRevision: x.first === 0 ? 'no_stream' : x.first - 1 });
    }
    oursSec += now() - t;
    t = now();
    for (const x of batches) raw.append(x.stream, x.first, x.events);
    rawSec += now() - t;
  }
  await store.close();
  raw.db.close();
  rmSync(oursPath.dir, { recursive: true, force: true });
  rmSync(rawPath.dir, { recursive: true, force: true });
  return { events: n, oursPerSec: n / oursSec, rawPerSec: n / rawSec, ratio: rawSec / oursSec };
}

/** Fills one file with `total` events, then scans it `rounds` times each way, alternating; median of pair ratios. */
export async function benchScan(total: number, rounds = 3): Promise<Ratio> {
  const { dir, path } = tempPath();
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  for (let n = 0, b = 0; n < total; n += 1000, b++) {
    const events = Array.from({ length: Math.min(1000, total - n) }, (_, k) => makeEvent(n + k));
    await store.append(`contract-C-${b % STREAMS}`, events, { expectedRevision: 'any' });
  }
  const raw = new Database(path, { readonly: true });
  const rawScan = Object.assign(Object.create(RawStore.prototype) as RawStore, { db: raw });
  const pairs: { ours: number; raw: number }[] = [];
  let count = 0;
  for (let r = 0; r < rounds; r++) {
    let t = now();
    let ours = 0;
    for await (const e of store.readAll()) if (e.data && e.metadata) ours++;
    const oursSec = now() - t;
    t = now();
    const rawCount = rawScan.scan();
    const rawSec = now() - t;
    if (rawCount !== ours) throw new Error(`scan mismatch: ours ${ours}, raw ${rawCount}`);
    count = ours;
    pairs.push({ ours: oursSec, raw: rawSec });
  }
  await store.close();
  raw.close();
  rmSync(dir, { recursive: true, force: true });
  const median = <T>(xs: T[], key: (x: T) => number): number => xs.map(key).sort((a, b) => a - b)[xs.length >> 1]!;
  return {
    events: count,
    oursPerSec: count / median(pairs, (p) => p.ours),
    rawPerSec: count / median(pairs, (p) => p.raw),
    ratio: median(pairs, (p) => p.raw / p.ours),
  };
}
