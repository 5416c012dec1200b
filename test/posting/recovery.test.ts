// Every refusal has a way forward: a journal the ERP refused is not counted as journaled, and once the cause is fixed
// (the ERP's chart, the account mapping, the connector) a re-preparation — whatever the code — gives the next run
// something to post, after which the ERP's trial balance equals Revtrail's.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import {
  SimulatedConnector,
  compareTrialBalances,
  contractJournals,
  postedBalances,
  postingRun,
  revtrailBalances,
  trialBalanceOf,
} from '../../src/posting/index.js';
import { reprepareJournals } from '../../src/posting/reprepare.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import { useSeededCompany } from '../support/stores.js';

const CHART = ['1100', '1300', '2200', '2400', '4100', '4200', '4300', '4400', '4500'];

describe('posting recovery', () => {
  let store: SqliteEventStore;
  const company = useSeededCompany('revtrail-recovery-', { contracts: 40, seed: 11 });
  beforeEach(() => {
    store = company.open().store;
  });

  const journals = async () => [...(await contractJournals(store)).values()].flatMap((s) => [...s.journals.values()]);

  it('UNKNOWN_ACCOUNT → account created in the ERP → reprepare → the run posts; the ERP ties out', async () => {
    const erp = new SimulatedConnector({ accounts: CHART });
    const march = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    const refused = march.rejected.UNKNOWN_ACCOUNT!;
    expect(refused).toBeGreaterThan(0);
    // Nothing is prepared again by itself: the refused journals wait for an accountant's re-preparation.
    erp.addAccount('4000');
    expect(await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 })).toMatchObject({
      prepared: 0,
      posted: 0,
    });
    const re = await reprepareJournals(store, {});
    expect(re.refused).toEqual([]);
    expect(re.reprepared).toHaveLength(refused);
    expect(re.reprepared.every((r) => r.code === 'UNKNOWN_ACCOUNT' && r.action === 'replaced')).toBe(true);
    expect(re.reprepared.every((r) => r.period === '2026-03')).toBe(true);
    expect((await reprepareJournals(store, {})).reprepared).toEqual([]); // asked again: nothing left to do

    const after = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(after).toMatchObject({ prepared: 0, posted: refused, rejected: {} });
    expect((await journals()).filter((j) => j.status !== 'posted' && j.status !== 'superseded')).toEqual([]);
    const revtrail = await revtrailBalances(store, { through: '2026-03' });
    expect(compareTrialBalances(revtrail, await postedBalances(store))).toEqual([]);
    expect(trialBalanceOf(erp.documents().map((d) => d.journal))).toEqual(revtrail);
  });

  it('a corrected account mapping: the replacement journal is prepared under the mapping in force', async () => {
    // The ERP books tax payable on 2210; the mapping says 2200.
    const erp = new SimulatedConnector({ accounts: [...CHART.filter((a) => a !== '2200'), '4000', '2210'] });
    const first = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(first.rejected.UNKNOWN_ACCOUNT).toBeGreaterThan(0);
    const entities = DEMO_ENTITIES.map((e) => ({ ...e, accounts: { ...e.accounts, taxPayable: '2210' } }));
    await publishMapping(store, 'accounts', { entities, reason: 'tax payable is 2210' }, new Date());
    const re = await reprepareJournals(store, {});
    expect(re.reprepared.length).toBeGreaterThan(0);
    const run = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(run.rejected).toEqual({});
    const accounts = new Set(erp.documents().flatMap((d) => d.journal.lines.map((l) => l.account)));
    expect(accounts.has('2200')).toBe(false);
    expect(accounts.has('2210')).toBe(true);
    expect(trialBalanceOf(erp.documents().map((d) => d.journal))).toEqual(
      await revtrailBalances(store, { through: '2026-03' }),
    );
  });

  it('a journal refused for a connector failure is reopened under its own id: a document the ERP wrote is found', async () => {
    const erp = new SimulatedConnector();
    // Every answer is lost after the ERP posted, and the run gives up after one attempt: CONNECTOR_UNAVAILABLE.
    erp.loseNextResponses(1_000);
    const first = await postingRun(store, { period: '2026-03', connector: erp, maxAttempts: 1, backoffMs: 1 });
    expect(first.retrying).toBe(first.prepared);
    const written = erp.documents().length;
    const re = await reprepareJournals(store, {});
    expect(re.reprepared.every((r) => r.action === 'reopened' && r.journalId === r.supersedes)).toBe(true);
    const run = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(run.posted).toBe(first.prepared);
    expect(erp.documents()).toHaveLength(written); // found, not posted twice
  });
});
