// A connector that fails on some journals — throws, never answers, answers garbage — costs those journals only: each
// gets a coded CONNECTOR_ERROR outcome, retried with backoff up to the run's attempts and then rejected, while every
// other journal of the run is posted and recorded as posted.
import { beforeEach, describe, expect, it } from 'vitest';
import { contractStream } from '../../commands/contract.js';
import { evolveJournals, initialJournalState } from '../../commands/journal.js';
import type { Connector, JournalSubmission, SubmitOutcome } from '../../src/posting/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import { useSeededCompany } from '../support/stores.js';

type Misbehaviour = 'throw' | 'hang' | 'garbage' | 'throw-once';

/**
 * The simulated ERP behind a connector that misbehaves on the journals of the first contracts it is sent, one way per
 * contract in the order of `ways`, and behaves on every other.
 */
class Misbehaving implements Connector {
  readonly name = 'simulated';
  readonly calls = new Map<string, number>();
  readonly by = new Map<string, Misbehaviour>();
  constructor(
    readonly erp: SimulatedConnector,
    readonly ways: Misbehaviour[],
  ) {}
  async submit(j: JournalSubmission): Promise<SubmitOutcome> {
    const n = (this.calls.get(j.journalId) ?? 0) + 1;
    this.calls.set(j.journalId, n);
    const contractId = j.description.split(' ')[0]!;
    if (!this.by.has(contractId) && this.by.size < this.ways.length) this.by.set(contractId, this.ways[this.by.size]!);
    const how = this.by.get(contractId);
    if (how === 'throw') throw new TypeError('cannot read properties of undefined');
    if (how === 'throw-once' && n === 1) throw new Error('socket hang up');
    if (how === 'hang') return new Promise<SubmitOutcome>(() => undefined);
    if (how === 'garbage') return { status: 'maybe', id: 42 } as unknown as SubmitOutcome;
    return this.erp.submit(j);
  }
  find(journalId: string): Promise<string | null> {
    return this.erp.find(journalId);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('connector failures are coded outcomes per journal', () => {
  let store: SqliteEventStore;
  const company = useSeededCompany('revtrail-fail-', { contracts: 60, seed: 5 });
  beforeEach(() => {
    store = company.open().store;
  });

  const journalsOf = async (contractId: string) => {
    let s = initialJournalState(contractId);
    for await (const e of store.readStream(contractStream(contractId))) s = evolveJournals(s, e);
    return [...s.journals.values()];
  };

  it('a throw, a hang and a garbage answer each reject one journal CONNECTOR_ERROR; the others post', async () => {
    const erp = new SimulatedConnector();
    const connector = new Misbehaving(erp, ['throw', 'hang', 'garbage', 'throw-once']);
    const run = await postingRun(store, {
      period: '2026-03',
      connector,
      batchSize: 4,
      backoffMs: 1,
      maxAttempts: 3,
      timeoutMs: 50,
    });
    const contracts = [...connector.by.keys()];
    expect(contracts).toHaveLength(4);
    const [thrower, hanger, garbler, flaky] = await Promise.all(
      contracts.map(async (c) => (await journalsOf(c)).find((j) => j.through === '2026-03')!),
    );
    for (const j of [thrower!, hanger!, garbler!]) {
      expect(j.status).toBe('rejected');
      expect(j.rejection).toMatchObject({ code: 'CONNECTOR_ERROR', retryable: false });
      expect(connector.calls.get(j.journalId)).toBe(3);
    }
    expect(thrower!.rejection!.message).toContain('cannot read properties of undefined');
    expect(hanger!.rejection!.message).toContain('no answer in 50 ms');
    expect(garbler!.rejection!.message).toContain('malformed answer');
    expect(flaky!).toMatchObject({ status: 'posted', attempts: 2 });
    expect(run.rejected).toEqual({ CONNECTOR_ERROR: 3 });
    expect(run.prepared).toBeGreaterThan(8);
    expect(run.posted).toBe(run.prepared - 3);
    expect(run.retrying).toBe(0);
    // Every other journal of the run is posted and recorded as posted, once.
    expect(erp.documents()).toHaveLength(run.posted);
    for (const d of erp.documents()) {
      const c = d.journal.description.split(' ')[0]!;
      const j = (await journalsOf(c)).find((x) => x.journalId === d.journal.journalId);
      expect(j).toMatchObject({ status: 'posted', erpDocumentId: d.erpDocumentId });
    }
  });
});
