// The engineer's loop: a SKU was mapped wrong; publish the corrected mapping, preview with
// `revtrail rebuild --dry-run --diff`, then let the projections apply it. Only the contracts using the SKU change,
// and the preview names exactly them, period by period.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RevenueScheduleDoc } from '../../projections/index.js';
import { CATALOGUE, publishMapping, seedDemo } from '../../src/demo/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { diffSchedules } from '../../src/revenue/index.js';
import { canonicalJson } from '../../schemas/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';

const FIXED_SKU = 'SUP-PREM';

describe('a mapping fix for one SKU', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-fix-'));
    env = { REVTRAIL_STORE: join(dir, 'events.db'), REVTRAIL_READ_STORE: join(dir, 'read.db') };
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE!, synchronous: 'normal' });
    await seedDemo(store, { contracts: 300, seed: 21 });
    await store.close();
    expect((await run(['project'], env)).code).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const schedules = async (): Promise<Map<string, RevenueScheduleDoc>> => {
    const read = new SqliteReadStore(env.REVTRAIL_READ_STORE!);
    try {
      const docs = await read.list('revenue-schedule');
      return new Map(docs.filter((d) => !d.key.startsWith('$')).map((d) => [d.key, d.doc as RevenueScheduleDoc]));
    } finally {
      await read.close();
    }
  };

  it(
    'changes only the contracts using the SKU, as the dry-run diff shows per period',
    { timeout: 180_000 },
    async () => {
      const before = await schedules();
      const users = new Set([...before.values()].filter((d) => d.skus.includes(FIXED_SKU)).map((d) => d.contractId));
      expect(users.size).toBeGreaterThan(10);
      expect(users.size).toBeLessThan(before.size);

      // The fix: premium support is recognised by calendar month, not by day.
      const store = new SqliteEventStore({ path: env.REVTRAIL_STORE! });
      const products = CATALOGUE.map((c) => (c.sku === FIXED_SKU ? { ...c, convention: 'monthly' as const } : c));
      await publishMapping(
        store,
        'products',
        { products, reason: `${FIXED_SKU} is recognised monthly` },
        new Date(),
        'eng',
      );
      await store.close();

      const preview = await run(['rebuild', 'revenue-schedule', '--dry-run', '--diff'], env);
      expect(preview.code).toBe(0);
      const out = preview.stdout.trim().split('\n');
      const summary = JSON.parse(out.pop()!) as { dryRun: boolean; activated: boolean; changed: number };
      expect(summary).toMatchObject({ dryRun: true, activated: false });
      const previewed = new Map<string, string[]>();
      let current: string[] = [];
      for (const line of out) {
        const head = /^revenue-schedule (\S+)$/.exec(line);
        // `$products` is the projection's own record of the mapping in force: it changes with any publication.
        if (head) previewed.set(head[1]!, (current = []));
        else current.push(line.trim());
      }
      // A dry run swaps nothing: readers still see the schedules computed with the old mapping.
      expect(await schedules()).toEqual(before);

      expect((await run(['project'], env)).code).toBe(0);
      const after = await schedules();
      const changed = [...after.keys()].filter((k) => canonicalJson(after.get(k)!) !== canonicalJson(before.get(k)!));
      expect(changed.length).toBeGreaterThan(0);
      for (const k of changed) expect(users).toContain(k); // only contracts with the SKU changed
      expect(previewed.has('$products')).toBe(true);
      previewed.delete('$products');
      expect(new Set(previewed.keys())).toEqual(new Set(changed)); // and the preview named exactly those
      expect(summary.changed).toBe(changed.length + 1);
      for (const k of changed) {
        const a = before.get(k)!;
        const b = after.get(k)!;
        expect(previewed.get(k)).toEqual(diffSchedules(a.schedule, b.schedule));
        expect(previewed.get(k)!.some((l) => /^\d{4}-\d{2} \S+ -> \S+ \([+-]\d/.test(l))).toBe(true);
        expect(
          b.schedule!.lineage.find((l) => b.schedule!.obligations.find((o) => o.lineId === l.lineId)?.sku === FIXED_SKU)
            ?.mappingVersion,
        ).toBe(2);
      }
      // The contracts without the SKU keep their schedules and their lineage to mapping version 1, byte for byte.
      for (const [k, doc] of after) if (!users.has(k)) expect(canonicalJson(doc)).toBe(canonicalJson(before.get(k)!));
    },
  );
});
