// A generated company with cross-border sales (rates.crossBorder): some USD contracts are DE01's, whose books are in
// EUR; the rest of each contract is what it is without them; the rates the generator publishes cover every
// translation a posting run needs, so DE01's USD contracts post in EUR with no FX_RATE_MISSING.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCompany, generateRates, seedDemo } from '../../src/demo/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { SqliteEventStore } from '../../src/store/index.js';

describe('cross-border sales', () => {
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-cross-border-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('moves only the legal entity of some USD contracts to DE01; every other field is unchanged', () => {
    const plain = [...generateCompany({ contracts: 60, seed: 7 })];
    const cross = [...generateCompany({ contracts: 60, seed: 7, rates: { crossBorder: 0.5 } })];
    expect(cross).toHaveLength(plain.length);
    const moved = cross.filter((e, i) => JSON.stringify(e) !== JSON.stringify(plain[i]));
    expect(moved.length).toBeGreaterThan(0);
    for (const e of moved) {
      expect(e.type).toBe('ContractBooked');
      if (e.type !== 'ContractBooked') continue;
      expect(e.data).toMatchObject({ legalEntity: 'DE01', currency: 'USD' });
    }
  });

  it('publishes a spot rate every weekday and an average and closing rate every month, in date order', () => {
    const rates = [...generateRates('2026-01-01', 2)];
    const spots = rates.filter((r) => r.data.rateType === 'spot');
    // 2025-12-25 (a week before) to 2026-02-28: 47 weekdays.
    expect(spots).toHaveLength(47);
    expect(spots.every((r) => ![0, 6].includes(new Date(`${r.data.rateDate}T00:00:00Z`).getUTCDay()))).toBe(true);
    const monthly = rates.filter((r) => r.data.rateType !== 'spot').map((r) => r.data.rateDate);
    expect(new Set(monthly)).toEqual(new Set(['2025-12-31', '2026-01-31', '2026-02-28']));
    const dates = rates.map((r) => r.data.rateDate);
    expect(dates).toEqual([...dates].sort());
  });

  it('posts DE01’s USD contracts in EUR with the rates it seeded: nothing blocked for a missing rate', async () => {
    const store = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    try {
      const erp = new SimulatedConnector();
      // Rates through the period posted (September 2026) and no further: a posting run needs none later.
      const now = () => new Date('2026-11-25T00:00:00Z');
      await seedDemo(store, { contracts: 40, seed: 3, crossBorder: 0.5, rateMonths: 9, now });
      const summary = await postingRun(store, { period: '2026-09', connector: erp, backoffMs: 1 });
      expect(summary.blocked.FX_RATE_MISSING ?? 0).toBe(0);
      const translated = erp
        .documents()
        .filter((d) => d.journal.legalEntity === 'DE01' && d.journal.lines.some((l) => l.fx?.currency === 'USD'));
      expect(translated.length).toBeGreaterThan(0);
      for (const d of translated) expect(d.journal.currency).toBe('EUR');
    } finally {
      await store.close();
    }
  });
});
