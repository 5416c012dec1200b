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

  it('creates the embedded store on first use, seeds demo data and posts its past once, and serves until SIGTERM', async () => {
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
      await expectPostedHistory(svc.url, key);
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

  /** The months before the demo clock's current one, from the demo's first (the clock is the service's: now). */
  function pastMonths(): string[] {
    const now = new Date();
    const months: string[] = [];
    for (let y = 2026, m = 1; y < now.getUTCFullYear() || (y === now.getUTCFullYear() && m <= now.getUTCMonth());) {
      months.push(`${y}-${String(m).padStart(2, '0')}`);
      [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
    }
    return months;
  }

  /** The demo's past is posted, all but its last two months closed, and its three exceptions are waiting. */
  async function expectPostedHistory(url: string, key: string): Promise<void> {
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as any;
    };
    const months = pastMonths();
    expect(months.length).toBeGreaterThanOrEqual(3);
    for (const legalEntity of ['US01', 'DE01', 'JP01', 'BH01'])
      expect((await get(`/v1/periods/${legalEntity}`)).closed).toEqual(months.slice(0, -2));
    const first = await get('/v1/contracts/C-000001/posting-status');
    expect(first.journals.length).toBeGreaterThan(0);
    expect(first.journals.every((j: { status: string }) => j.status === 'posted')).toBe(true);
    expect(first.journaled).toBe(first.posted);
    const late = await get('/v1/contracts/C-LATE-01/posting-status');
    const refusedIn = months[months.length - 3];
    expect(late.journals.map((j: any) => [j.period, j.status, j.rejection?.code ?? null])).toContainEqual([
      refusedIn,
      'rejected',
      'PERIOD_CLOSED',
    ]);
    const { items } = await get('/v1/exceptions?status=active&limit=500');
    const found = (items as { kind: string; code: string; contractId: string }[]).map((x) => [
      x.kind,
      x.code,
      x.contractId,
    ]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['held', 'HELD_VERSION_GAP', 'C-HELD-01'],
        ['schedule', 'UNMAPPED_SKU', 'C-LEGACY-01'],
        ['journal_rejected', 'PERIOD_CLOSED', 'C-LATE-01'],
      ]),
    );
    const csv = await fetch(`${url}/v1/exports/journals.csv?legalEntity=US01&period=${months[0]}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const rows = (await csv.text()).trim().split('\r\n');
    expect(rows.length).toBeGreaterThan(1);
  }

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
