import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { App } from '../../src/app.js';
import { loadConfig, redactStoreLocation } from '../../src/config.js';
import { eventIdFor } from '../../schemas/index.js';

describe('GET /health over a listening server', () => {
  let dir: string;
  let app: App;
  let url: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-http-'));
    app = await buildApp(
      loadConfig({ REVTRAIL_STORE: join(dir, 'r.db'), REVTRAIL_DATA_DIR: dir, REVTRAIL_LOG_LEVEL: 'silent' }),
    );
    url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 200 with the store kind and its head position', async () => {
    let res = await fetch(`${url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      store: { kind: 'sqlite', head: null },
      projections: [
        { projection: 'contract-versions', caughtUp: true, eventsBehind: 0 },
        { projection: 'revenue-schedule', caughtUp: true, eventsBehind: 0 },
        { projection: 'posting-status', caughtUp: true, eventsBehind: 0 },
        { projection: 'lineage-index', caughtUp: true, eventsBehind: 0 },
        { projection: 'exceptions', caughtUp: true, eventsBehind: 0 },
      ],
    });
    await app.store.append(
      'contract-C-1',
      [
        {
          eventId: eventIdFor('k'),
          type: 'T',
          data: {},
          metadata: { schemaVersion: 1, receivedAt: '2026-01-01T00:00:00Z' },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    res = await fetch(`${url}/health`);
    expect(((await res.json()) as { store: { head: string } }).store.head).toBe('1');
  });

  it('answers 503 when the store cannot be read', async () => {
    await app.store.close();
    const res = await fetch(`${url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', store: { kind: 'sqlite' } });
  });

  it("shows no part of the embedded store's path, up or down, to a caller without a key", async () => {
    const up = await (await fetch(`${url}/health`)).text();
    expect(up).toContain('"kind":"sqlite"');
    await app.store.close();
    const down = await (await fetch(`${url}/health`)).text();
    expect(down).toContain('"status":"unavailable"');
    for (const body of [up, down]) {
      expect(body).not.toContain(dir);
      expect(body).not.toContain('r.db');
      expect(body).not.toContain('location');
    }
  });
});

describe('what /health may show of an EventStoreDB location', () => {
  it('shows the scheme and host:port list, never the credentials or the options', () => {
    expect(redactStoreLocation('esdb://admin:changeit@db.internal:2113?tls=true&tlsCAFile=/etc/ca.pem')).toBe(
      'esdb://db.internal:2113',
    );
    expect(redactStoreLocation('esdb+discover://ops:s3cret@a:2113,b:2113/?nodePreference=leader')).toBe(
      'esdb+discover://a:2113,b:2113',
    );
    expect(redactStoreLocation('esdb://127.0.0.1:2113?tls=false')).toBe('esdb://127.0.0.1:2113');
  });

  it('shows nothing of an embedded file, relative or absolute', () => {
    expect(redactStoreLocation('/srv/revtrail/data/revtrail.db')).toBeUndefined();
    expect(redactStoreLocation('./data/revtrail.db')).toBeUndefined();
  });
});

describe('configuration', () => {
  it('names the variable and the rule for a bad value', () => {
    expect(() => loadConfig({ REVTRAIL_PORT: 'eighty' })).toThrow(/REVTRAIL_PORT/);
    expect(() => loadConfig({ REVTRAIL_SQLITE_SYNC: 'off' })).toThrow(/REVTRAIL_SQLITE_SYNC/);
  });
});
