// No journal stays in doubt: a journal left `submitted` with no answer recorded (the ERP wrote it, then Revtrail's
// record of the answer was lost) is settled at the start of the next run by asking the ERP for the document under
// its journal id, before anything is sent again: found, it is posted with that document; absent, it is resubmitted.
import { beforeEach, describe, expect, it } from 'vitest';
import { SimulatedConnector, contractJournals, postingRun } from '../../src/posting/index.js';
import type { Connector } from '../../src/posting/index.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import type { EventStore } from '../../src/store/index.js';
import { useSeededCompany } from '../support/stores.js';

/** The store, except that recording an ERP answer fails: the process "dies" right after the ERP's write. */
function losingAnswers(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'appendMany')
        return async (writes: { events: { type: string }[] }[]) => {
          if (writes.some((w) => w.events.some((e) => e.type === 'JournalPosted')))
            throw new Error('killed before the answer was recorded');
          return target.appendMany(writes as never);
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Counts what the run asks of the ERP. */
function counting(erp: Connector): Connector & { submits: number; finds: number } {
  const c = {
    name: erp.name,
    submits: 0,
    finds: 0,
    submit: (j: Parameters<Connector['submit']>[0]) => (c.submits++, erp.submit(j)),
    find: (id: string) => (c.finds++, erp.find(id)),
    close: () => erp.close(),
  };
  return c;
}

describe('journals in doubt', () => {
  let store: SqliteEventStore;
  const company = useSeededCompany('revtrail-in-doubt-', { contracts: 20, seed: 7 });
  beforeEach(() => {
    store = company.open().store;
  });

  const statuses = async () =>
    [...(await contractJournals(store)).values()].flatMap((s) => [...s.journals.values()].map((j) => j.status));

  it('a journal the ERP holds is posted with its document, not sent again', async () => {
    const erp = new SimulatedConnector();
    await expect(
      postingRun(losingAnswers(store), { period: '2026-03', connector: erp, batchSize: 500, backoffMs: 1 }),
    ).rejects.toThrow('killed');
    const written = erp.documents();
    expect(written.length).toBeGreaterThan(0);
    expect(new Set(await statuses())).toEqual(new Set(['submitted']));

    const next = counting(erp);
    const run = await postingRun(store, { period: '2026-03', connector: next, backoffMs: 1 });
    expect(run).toMatchObject({ prepared: 0, posted: written.length, rejected: {}, retrying: 0 });
    expect(next.finds).toBe(written.length);
    expect(next.submits).toBe(0);
    expect(erp.documents()).toHaveLength(written.length);
    const byJournal = new Map(written.map((d) => [d.journal.journalId, d.erpDocumentId]));
    for (const s of (await contractJournals(store)).values())
      for (const j of s.journals.values()) expect(j.erpDocumentId).toBe(byJournal.get(j.journalId));
  });

  it('a journal the ERP does not hold is resubmitted after the ERP was asked', async () => {
    const lost = new SimulatedConnector();
    await expect(
      postingRun(losingAnswers(store), { period: '2026-03', connector: lost, batchSize: 500, backoffMs: 1 }),
    ).rejects.toThrow('killed');
    const count = lost.documents().length;

    const erp = counting(new SimulatedConnector()); // an ERP that never got them
    const run = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(run).toMatchObject({ prepared: 0, posted: count, rejected: {} });
    expect(erp.finds).toBe(count);
    expect(erp.submits).toBe(count);
    expect(new Set(await statuses())).toEqual(new Set(['posted']));
  });
});
