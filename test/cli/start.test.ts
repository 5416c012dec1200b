// The newcomer path: the real `revtrail start` process on a fresh data folder, and `revtrail verify`.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, startService, stop } from '../support/cli.js';

describe('revtrail start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the embedded store on first use, seeds demo data once, and serves until SIGTERM', async () => {
    const store = join(dir, 'nested', 'revtrail.db');
    const env = { REVTRAIL_STORE: store, REVTRAIL_DATA_DIR: join(dir, 'nested'), REVTRAIL_DEMO_CONTRACTS: '20' };
    const svc = await startService(env);
    let head: string;
    try {
      const res = await fetch(`${svc.url}/health`);
      expect(res.status).toBe(200);
      const health = (await res.json()) as { status: string; store: { kind: string; head: string } };
      expect(health).toMatchObject({ status: 'ok', store: { kind: 'sqlite' } });
      head = health.store.head;
      expect(Number(head)).toBeGreaterThan(200);
      expect(existsSync(store)).toBe(true);
      const key = readFileSync(join(dir, 'nested', 'demo-api-key.txt'), 'utf8').trim();
      const contract = await fetch(`${svc.url}/v1/contracts/C-000001/status`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(contract.status).toBe(200);
      expect(await contract.json()).toMatchObject({ booked: true });
      // The service projects live: once caught up, the demo contract's revenue schedule is there.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const h = (await (await fetch(`${svc.url}/health`)).json()) as { projections: { caughtUp: boolean }[] };
        if (h.projections.every((p) => p.caughtUp) || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const schedule = await fetch(`${svc.url}/v1/contracts/C-000001/schedule`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(schedule.status).toBe(200);
      expect(await schedule.json()).toMatchObject({
        contractId: 'C-000001',
        schedule: { status: 'ok', mappingVersion: 1 },
      });
      const lag = (await (
        await fetch(`${svc.url}/v1/projections`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as { projections: { projection: string; eventsBehind: number }[] };
      expect(lag.projections.map((p) => [p.projection, p.eventsBehind])).toEqual([
        ['contract-versions', 0],
        ['revenue-schedule', 0],
        ['posting-status', 0],
        ['lineage-index', 0],
        ['exceptions', 0],
      ]);
      expect(svc.output()).toMatch(/demo company generated and imported/);
    } finally {
      expect(await stop(svc.child)).toBe(0);
    }
    const again = await startService(env);
    try {
      const health = (await (await fetch(`${again.url}/health`)).json()) as { store: { head: string } };
      expect(health.store.head).toBe(head); // a restart never seeds twice
    } finally {
      expect(await stop(again.child)).toBe(0);
    }
  });

  it('refuses a bad configuration with the variable named', async () => {
    const r = await run(['start'], { REVTRAIL_STORE: join(dir, 'r.db'), REVTRAIL_PORT: '99999' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/REVTRAIL_PORT/);
  });

  it('verify reports an intact empty store with exit 0', async () => {
    const r = await run(['verify'], { REVTRAIL_STORE: join(dir, 'r.db') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, eventsChecked: 0 });
  });
});
