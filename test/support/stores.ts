// Temp event stores for tests: a fresh SQLite file per test, and a demo company seeded once per file and copied into
// each test's own store (a copy of the closed file is the seeded store, byte for byte, at a fraction of the cost).
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { seedDemo } from '../../src/demo/index.js';
import { SqliteEventStore } from '../../src/store/index.js';

export interface TempStore {
  /** The temp dir holding the store (events.db); the test removes it with `dispose`. */
  dir: string;
  store: SqliteEventStore;
  /** Closes the store and removes the dir. */
  dispose(): Promise<void>;
}

/** A new temp dir holding `events.db`, or a copy of `from` under that name, open as an event store. */
export function openTempStore(prefix: string, from?: string): TempStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'events.db');
  if (from !== undefined) copyFileSync(from, path);
  const store = new SqliteEventStore({ path, synchronous: 'normal' });
  return {
    dir,
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The demo company seeded once for the file (in its beforeAll); `open()`, in a beforeEach, gives the test its own
 * store holding it, closed and removed after the test. For tests that change the store: tests that only read can
 * share one store from a beforeAll.
 */
export function useSeededCompany(prefix: string, demo: { contracts: number; seed: number }): { open(): TempStore } {
  let template: TempStore | null = null;
  const opened: TempStore[] = [];
  beforeAll(async () => {
    template = openTempStore(`${prefix}template-`);
    await seedDemo(template.store, demo);
    await template.store.close();
  }, 120_000);
  afterEach(async () => {
    for (const temp of opened.splice(0)) await temp.dispose();
  });
  afterAll(() => {
    if (template) rmSync(template.dir, { recursive: true, force: true });
  });
  return {
    open: () => {
      if (!template) throw new Error('useSeededCompany: open() is for tests and hooks of the file that declared it');
      const temp = openTempStore(prefix, join(template.dir, 'events.db'));
      opened.push(temp);
      return temp;
    },
  };
}
