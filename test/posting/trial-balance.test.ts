// Over a real SQLite store: the trial balance of all posted journals equals Revtrail's
// balances per account and legal entity, the ERP's own documents add up to the same, and a journal the ERP did not
// take shows as a break of exactly its lines until a later run posts it.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ENTITIES } from '../../src/demo/index.js';
import type { TrialBalance } from '../../src/posting/index.js';
import {
  SimulatedConnector,
  compareTrialBalances,
  contractJournals,
  postedBalances,
  postingRun,
  revtrailBalances,
  trialBalanceOf,
} from '../../src/posting/index.js';
import { dec, sumMoney } from '../../src/revenue/index.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import { useSeededCompany } from '../support/stores.js';

const MONTHS = ['2026-01', '2026-02', '2026-03'];

/** Per legal entity and currency, debits minus credits over all accounts: zero for books that balance. */
const totals = (tb: TrialBalance): Map<string, string> => {
  const out = new Map<string, string>();
  for (const le of new Set(tb.map((r) => `${r.legalEntity} ${r.currency}`))) {
    out.set(
      le,
      sumMoney(tb.filter((r) => `${r.legalEntity} ${r.currency}` === le).map((r) => dec(r.balance))).toFixed(),
    );
  }
  return out;
};

describe('trial balance', () => {
  let store: SqliteEventStore;
  const company = useSeededCompany('revtrail-tb-', { contracts: 60, seed: 9 });
  beforeEach(() => {
    store = company.open().store;
  });

  it('once every journal is posted, the posted trial balance equals Revtrail’s per account and legal entity, and so do the ERP’s documents', async () => {
    const erp = new SimulatedConnector();
    for (const period of MONTHS) {
      const run = await postingRun(store, { period, connector: erp, backoffMs: 1 });
      expect(run.posted).toBe(run.prepared);
    }
    const revtrail = await revtrailBalances(store, { through: '2026-03' });
    const posted = await postedBalances(store);

    // Not a vacuous match: several legal entities, receivables, deferred and recognised revenue, books that balance.
    expect(new Set(revtrail.map((r) => r.legalEntity)).size).toBeGreaterThan(1);
    const accounts = new Set(revtrail.map((r) => r.account));
    for (const account of ['1100', '2400', '4000', '4100']) expect(accounts).toContain(account);
    for (const total of totals(revtrail).values()) expect(total).toBe('0');

    expect(posted).toEqual(revtrail);
    expect(compareTrialBalances(revtrail, posted)).toEqual([]);
    expect(trialBalanceOf(erp.documents().map((d) => d.journal))).toEqual(revtrail);

    for (const { legalEntity } of DEMO_ENTITIES) {
      const mine = revtrail.filter((r) => r.legalEntity === legalEntity);
      expect(await revtrailBalances(store, { through: '2026-03', legalEntity })).toEqual(mine);
      expect(await postedBalances(store, { legalEntity })).toEqual(mine);
    }
    // Through an earlier period Revtrail's balances differ: the posted ones are March's, not January's.
    expect(compareTrialBalances(await revtrailBalances(store, { through: '2026-01' }), posted)).not.toEqual([]);
  });

  it('a journal the ERP did not take is a break of exactly its lines, until a later run posts it', async () => {
    const erp = new SimulatedConnector();
    for (const period of MONTHS.slice(0, 2)) await postingRun(store, { period, connector: erp, backoffMs: 1 });
    erp.failNext(2);
    const march = await postingRun(store, { period: '2026-03', connector: erp, maxAttempts: 1, backoffMs: 1 });
    expect(march.retrying).toBe(2);
    expect(march.posted).toBe(march.prepared - 2);

    const unposted = [...(await contractJournals(store)).values()]
      .flatMap((s) => [...s.journals.values()])
      .filter((j) => j.status !== 'posted');
    expect(unposted.map((j) => j.status)).toEqual(['rejected', 'rejected']);

    const revtrail = await revtrailBalances(store, { through: '2026-03' });
    const breaks = compareTrialBalances(revtrail, await postedBalances(store));
    expect(breaks.length).toBeGreaterThan(0);
    expect(
      breaks.map(({ legalEntity, account, currency, difference }) => ({ legalEntity, account, currency, difference })),
    ).toEqual(trialBalanceOf(unposted).map(({ balance, ...row }) => ({ ...row, difference: balance })));
    for (const b of breaks) expect(dec(b.expected).minus(b.actual).eq(dec(b.difference))).toBe(true);
    // And the ERP holds just as little: its documents miss the same lines.
    expect(compareTrialBalances(revtrail, trialBalanceOf(erp.documents().map((d) => d.journal)))).toEqual(breaks);

    const retry = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(retry).toMatchObject({ prepared: 0, posted: 2, retrying: 0 });
    expect(compareTrialBalances(revtrail, await postedBalances(store))).toEqual([]);
  });

  it('an account on one side only is a break of its whole balance; equal rows are none', () => {
    const a: TrialBalance = [
      { legalEntity: 'US01', account: '1100', currency: 'USD', balance: '100.00' },
      { legalEntity: 'US01', account: '2400', currency: 'USD', balance: '-100.00' },
    ];
    const b: TrialBalance = [
      { legalEntity: 'US01', account: '1100', currency: 'USD', balance: '100.00' },
      { legalEntity: 'US01', account: '2400', currency: 'USD', balance: '-60.00' },
      { legalEntity: 'US01', account: '4000', currency: 'USD', balance: '-40.00' },
    ];
    expect(compareTrialBalances(a, b)).toEqual([
      {
        legalEntity: 'US01',
        account: '2400',
        currency: 'USD',
        expected: '-100.00',
        actual: '-60.00',
        difference: '-40.00',
      },
      {
        legalEntity: 'US01',
        account: '4000',
        currency: 'USD',
        expected: '0.00',
        actual: '-40.00',
        difference: '40.00',
      },
    ]);
    // The same account in two currencies is two rows, never a sum.
    const jpy = [{ legalEntity: 'US01', account: '1100', currency: 'JPY', balance: '100' }];
    expect(compareTrialBalances(a.slice(0, 1), jpy)).toHaveLength(2);
  });
});
