// kill -9 during a projection run: after a restart the read model equals an uninterrupted build, event for event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCompany } from '../../src/generate/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { SqliteEventStore, comparePositions } from '../../src/store/index.js';
import { CLI, run } from '../support/cli.js';

describe('a projection run killed with SIGKILL', () => {
  let dir: string;
  let events: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-crash-'));
    events = join(dir, 'events.db');
    const store = new SqliteEventStore({ path: events, synchronous: 'normal' });
    const ingestor = new Ingestor(store);
    let batch: unknown[] = [];
    for (const e of generateCompany({ contracts: 400, seed: 3 })) {
      batch.push(e);
      if (batch.length === 500) {
        await ingestor.ingest(batch, { actor: 'test' });
        batch = [];
      }
    }
    await ingestor.ingest(batch, { actor: 'test' });
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes to the same read model as an uninterrupted build', { timeout: 120_000 }, async () => {
    const killedRead = join(dir, 'read-killed.db');
    // Small batches, each fsynced: the run is long enough to be killed in the middle.
    const env = {
      REVTRAIL_STORE: events,
      REVTRAIL_READ_STORE: killedRead,
      REVTRAIL_RUNNER_BATCH: '20',
      REVTRAIL_SQLITE_SYNC: 'full',
    };
    const child = spawn(process.execPath, [CLI, 'project'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    const probe = new SqliteReadStore(killedRead);
    try {
      for (let i = 0; i < 2000 && (await probe.checkpoint('contract-versions')) === null; i++)
        await new Promise((r) => setTimeout(r, 5));
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const atKill = await probe.checkpoint('contract-versions');
    await probe.close();
    const store = new SqliteEventStore({ path: events });
    const head = (await store.headPosition())!;
    await store.close();
    expect(atKill).not.toBeNull();
    expect(comparePositions(atKill!, head)).toBe(-1); // really killed mid-run

    expect((await run(['project'], env)).code).toBe(0);
    const cleanRead = join(dir, 'read-clean.db');
    expect(
      (await run(['project'], { ...env, REVTRAIL_READ_STORE: cleanRead, REVTRAIL_RUNNER_BATCH: '500' })).code,
    ).toBe(0);

    const killed = new SqliteReadStore(killedRead);
    const clean = new SqliteReadStore(cleanRead);
    const a = await killed.list('contract-versions');
    const b = await clean.list('contract-versions');
    await killed.close();
    await clean.close();
    expect(a.length).toBe(400);
    expect(a).toEqual(b);
  });
});
