// The read stores the read-store conformance suite (and the rebuild tests) run against. Each entry opens a fresh,
// empty store, can open a second store object over the same state (another API node or worker, or a restart), and
// can make the store's own checkpoint writes fail inside its transaction (a fault injected below the store).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { PostgresReadStore, SqliteReadStore } from '../../src/readmodel/index.js';
import type { ReadStore } from '../../src/readmodel/index.js';
import { createTestDatabase } from '../support/postgres.js';

export interface ReadStoreHarness {
  /** A store over fresh, empty state. */
  store: ReadStore;
  /** A second store object over the same state. Closed by the harness on dispose. */
  reopen(): Promise<ReadStore>;
  /** From now on every checkpoint write of `projection` fails inside the store's transaction. */
  failCheckpoints(projection: string): Promise<void>;
  /** Closes the stores reopen() made and releases the state (temp files, databases). */
  dispose(): Promise<void>;
}

export interface ReadStoreUnderTest {
  name: string;
  open(options?: { synchronous?: 'full' | 'normal' }): Promise<ReadStoreHarness>;
}

export const sqliteReadStore: ReadStoreUnderTest = {
  name: 'embedded SQLite (better-sqlite3, file on disk)',
  open(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-read-'));
    const path = join(dir, 'read.db');
    const opened: ReadStore[] = [];
    return Promise.resolve({
      store: new SqliteReadStore(path, options),
      reopen: () => {
        const store = new SqliteReadStore(path, options);
        opened.push(store);
        return Promise.resolve(store);
      },
      failCheckpoints(projection) {
        const db = new Database(path);
        const when = `NEW.ns LIKE '${projection}@%'`;
        db.exec(`
          CREATE TRIGGER fail_checkpoint_insert BEFORE INSERT ON read_checkpoints WHEN ${when}
          BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END;
          CREATE TRIGGER fail_checkpoint_update BEFORE UPDATE ON read_checkpoints WHEN ${when}
          BEGIN SELECT RAISE(ABORT, 'checkpoint refused'); END;`);
        db.close();
        return Promise.resolve();
      },
      async dispose() {
        for (const store of opened.splice(0)) await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

/** A new database per harness on the test server global setup started (or REVTRAIL_TEST_POSTGRES). */
export const postgresReadStore: ReadStoreUnderTest = {
  name: 'PostgreSQL (pg, jsonb, a throwaway cluster on a loopback port)',
  async open() {
    const database = await createTestDatabase(inject('postgres'));
    const opened: ReadStore[] = [];
    return {
      store: new PostgresReadStore(database.url),
      reopen: () => {
        const store = new PostgresReadStore(database.url);
        opened.push(store);
        return Promise.resolve(store);
      },
      async failCheckpoints(projection) {
        // The tables exist once a store has opened: a first read waits for that.
        const store = new PostgresReadStore(database.url);
        await store.count(projection);
        await store.close();
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        await client.query(`
          CREATE OR REPLACE FUNCTION fail_checkpoint() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'checkpoint refused'; END $$;
          CREATE TRIGGER fail_checkpoint BEFORE INSERT OR UPDATE ON read_checkpoints
            FOR EACH ROW WHEN (NEW.projection = '${projection}') EXECUTE FUNCTION fail_checkpoint();`);
        await client.end();
      },
      async dispose() {
        for (const store of opened.splice(0)) await store.close();
        await database.drop();
      },
    };
  },
};

export const readStores: ReadStoreUnderTest[] = [sqliteReadStore, postgresReadStore];
