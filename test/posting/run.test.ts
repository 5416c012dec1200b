// Posting runs over a real SQLite store with the simulated ERP: every journal posts once, balanced; a second run
// posts nothing new; outages are retried; a period closed in Revtrail sends the journal to the next open period.
import { beforeEach, describe, expect, it } from 'vitest';
import { decidePeriod, evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import { decideOnStream } from '../../src/handling/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { dec, sumMoney } from '../../src/revenue/index.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import { useSeededCompany } from '../support/stores.js';

describe('posting run', () => {
  let store: SqliteEventStore;
  const company = useSeededCompany('revtrail-post-', { contracts: 40, seed: 9 });
  beforeEach(() => {
    store = company.open().store;
  });

  const balanced = (erp: SimulatedConnector) =>
    erp
      .documents()
      .every((d) =>
        sumMoney(d.journal.lines.map((l) => dec(l.debit))).eq(sumMoney(d.journal.lines.map((l) => dec(l.credit)))),
      );

  it('posts each contract journal once, balanced; running again posts nothing new', async () => {
    const erp = new SimulatedConnector();
    const first = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(first.prepared).toBeGreaterThan(5);
    expect(first.posted).toBe(first.prepared);
    expect(erp.documents()).toHaveLength(first.posted);
    expect(balanced(erp)).toBe(true);
    const again = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(again).toMatchObject({ prepared: 0, posted: 0, retrying: 0 });
    expect(erp.documents()).toHaveLength(first.posted);
    // The next period journals only the difference.
    const april = await postingRun(store, { period: '2026-04', connector: erp, backoffMs: 1 });
    expect(april.posted).toBe(april.prepared);
    expect(erp.documents().filter((d) => d.journal.period === '2026-04')).toHaveLength(april.posted);
  });

  it('retries an unavailable ERP with backoff and never posts twice, even when an answer is lost', async () => {
    const erp = new SimulatedConnector();
    erp.failNext(3);
    erp.loseNextResponses(2);
    const run = await postingRun(store, { period: '2026-02', connector: erp, backoffMs: 1 });
    expect(run.posted).toBe(run.prepared);
    expect(run.retrying).toBe(0);
    const ids = erp.documents().map((d) => d.journal.journalId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a period closed in Revtrail takes no journal: it goes to the first open period', async () => {
    await decideOnStream(store, periodsStream('US01'), initialPeriodsState(), evolvePeriods, (s) =>
      decidePeriod(s, {
        action: 'close',
        legalEntity: 'US01',
        period: '2026-06',
        reason: 'month-end close',
        receivedAt: '2026-03-05T00:00:00Z',
        actor: 'controller',
      }),
    );
    const erp = new SimulatedConnector();
    await postingRun(store, { period: '2026-06', connector: erp, backoffMs: 1 });
    const us = erp.documents().filter((d) => d.journal.legalEntity === 'US01');
    expect(us.length).toBeGreaterThan(0);
    expect(us.every((d) => d.journal.period === '2026-07' && d.journal.date === '2026-07-31')).toBe(true);
    expect(erp.documents().some((d) => d.journal.legalEntity !== 'US01' && d.journal.period === '2026-06')).toBe(true);
  });
});
