// kill -9 tests of the projections (test/runner/crash-*.test.ts): each file seeds its own store (so the three run in
// parallel) and compares the read models a killed-then-restarted process leaves with an uninterrupted build's,
// document for document (both projections count the events they folded, so a double-applied or skipped event shows).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { PROJECTIONS } from '../../projections/index.js';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import type { Target } from '../../src/readmodel/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import type { Position } from '../../schemas/index.js';
import { run } from './cli.js';

export const CRASH_CONTRACTS = 400;

export type ReadModels = Record<string, Awaited<ReturnType<SqliteReadStore['list']>>>;

/** Every projection's documents in the read store at `path`. */
export async function dump(path: string): Promise<ReadModels> {
  const read = new SqliteReadStore(path);
  try {
    return Object.fromEntries(await Promise.all(PROJECTIONS.map(async (p) => [p.name, await read.list(p.name)])));
  } finally {
    await read.close();
  }
}

export async function head(path: string): Promise<Position> {
  const store = new SqliteEventStore({ path });
  try {
    return (await store.headPosition())!;
  } finally {
    await store.close();
  }
}

/** Polls until `ready` holds (or the time is up), then kills the child with SIGKILL; resolves to its signal. */
export async function killWhen(child: ChildProcess, ready: () => Promise<boolean>): Promise<NodeJS.Signals | null> {
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  try {
    for (let i = 0; i < 4000 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 5));
  } finally {
    child.kill('SIGKILL');
  }
  return exited;
}

export async function checkpointOf(
  readPath: string,
  target: (read: SqliteReadStore) => Promise<Target | null>,
): Promise<Position | null> {
  const read = new SqliteReadStore(readPath);
  try {
    const t = await target(read);
    return t === null ? null : await read.checkpoint(t);
  } finally {
    await read.close();
  }
}

export interface CrashStore {
  dir: string;
  /** The event store: the mappings and the first 60% of the company's events. */
  events: string;
  /** The rest of the company's events. */
  rest: unknown[];
}

/** A temp dir holding an event store with the demo mappings and the first 60% of a 400-contract company. */
export async function seedCrashStore(): Promise<CrashStore> {
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-crash-'));
  const events = join(dir, 'events.db');
  const store = new SqliteEventStore({ path: events, synchronous: 'normal' });
  await publishMapping(store, 'products', { products: [...CATALOGUE], reason: 'catalogue' }, new Date(0));
  await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date(0));
  const all = [...generateCompany({ contracts: CRASH_CONTRACTS, seed: 3 })];
  const cut = Math.floor(all.length * 0.6);
  await new Ingestor(store).ingestAll(all.slice(0, cut), { actor: 'test' });
  await store.close();
  return { dir, events, rest: all.slice(cut) };
}

/** The file's crash store: seeded in its beforeAll, removed in its afterAll; read its fields inside tests. */
export function useCrashStore(): CrashStore {
  const seeded = {} as CrashStore;
  beforeAll(async () => {
    Object.assign(seeded, await seedCrashStore());
  }, 120_000);
  afterAll(() => {
    if (seeded.dir) rmSync(seeded.dir, { recursive: true, force: true });
  });
  return seeded;
}

/** The read models of an uninterrupted `revtrail project` over the store at `events` as it is now. */
export async function cleanBuild(dir: string, events: string, name: string): Promise<ReadModels> {
  const path = join(dir, `${name}.db`);
  expect((await run(['project'], { REVTRAIL_STORE: events, REVTRAIL_READ_STORE: path })).code).toBe(0);
  return dump(path);
}
