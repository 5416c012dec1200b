// The adapters the conformance suite runs against. Each entry opens a fresh, empty store and can reopen it
// (a "restart": a new store object over the same durable state), so restart cases run on every adapter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, openEsdbStore } from '../../src/store/index.js';
import type { EventStore } from '../../src/store/index.js';
import { startEsdbTestServer } from '../support/esdb-server.js';

export interface StoreHarness {
  /** A store over fresh, empty state. */
  store: EventStore;
  /** A second store object over the same state (another connection / a restarted process). */
  reopen(): Promise<EventStore>;
  /** Releases the state (temp files, test servers). Stores must be closed by the test. */
  dispose(): Promise<void>;
}

export interface AdapterUnderTest {
  name: string;
  open(): Promise<StoreHarness>;
}

export const sqliteAdapter: AdapterUnderTest = {
  name: 'embedded SQLite (better-sqlite3, file on disk)',
  open() {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-store-'));
    const path = join(dir, 'revtrail.db');
    return Promise.resolve({
      store: new SqliteEventStore({ path, pollIntervalMs: 20 }),
      reopen: () => Promise.resolve(new SqliteEventStore({ path, pollIntervalMs: 20 })),
      dispose: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    });
  },
};

/**
 * EventStoreDB through the real client: against REVTRAIL_TEST_ESDB when set (a shared server, so cases keep to their
 * own stream prefixes), otherwise against a fresh in-process gRPC test server per case (test/support/esdb-server.ts).
 */
export const esdbAdapter: AdapterUnderTest = {
  name: process.env.REVTRAIL_TEST_ESDB
    ? 'EventStoreDB (@eventstore/db-client, REVTRAIL_TEST_ESDB)'
    : 'EventStoreDB (@eventstore/db-client, in-process gRPC test server)',
  async open() {
    const shared = process.env.REVTRAIL_TEST_ESDB;
    const server = shared ? null : await startEsdbTestServer();
    const connectionString = shared ?? server!.connectionString;
    return {
      store: openEsdbStore(connectionString),
      reopen: () => Promise.resolve(openEsdbStore(connectionString)),
      dispose: async () => server?.close(),
    };
  },
};

export const adapters: AdapterUnderTest[] = [sqliteAdapter, esdbAdapter];
