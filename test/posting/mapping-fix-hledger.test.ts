// The engineer's loop end to end, down to the ledger files: a generated company is posted for January to March
// through the file connector, the three periods are closed in Revtrail, then premium support (SUP-PREM) turns out to
// be mapped wrong and a corrected product mapping is published. Running March again posts, for exactly the contracts
// using the SKU, the difference between the new and the old targets, dated in April (the first open period) with
// lineage to the new mapping version; the closed months keep what they had. Real hledger then reads the connector's
// files and its balances per legal entity and account equal Revtrail's.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decidePeriod, evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import { CATALOGUE, DEMO_ENTITIES, publishMapping, seedDemo } from '../../src/demo/index.js';
import { decideOnStream } from '../../src/handling/index.js';
import type { ContractTarget, JournalLineage, TrialBalance } from '../../src/posting/index.js';
import {
  compareTrialBalances,
  contractJournals,
  contractTargets,
  journaledBalances,
  openFileConnector,
  postedBalances,
  postingRun,
  revtrailBalances,
  trialBalanceOf,
} from '../../src/posting/index.js';
import { dec, formatMoney, minus } from '../../src/revenue/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { INSTALL_HINT, describeWith } from '../support/tryton.js';

const HLEDGER = '/usr/bin/hledger';
const FIXED_SKU = 'SUP-PREM';
const CLOSED = ['2026-01', '2026-02', '2026-03'];
const run = promisify(execFile);

/** A contract's balances as `key -> amount` (account and dimensions as prepare.ts keys them), zeros left out. */
function amounts(balances: ContractTarget['balances'], currency: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, b] of balances) {
    const a = formatMoney(b.amount, currency);
    if (!dec(a).isZero()) out.set(key, a);
  }
  return out;
}

function difference(after: Map<string, string>, before: Map<string, string>, currency: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of new Set([...after.keys(), ...before.keys()])) {
    const d = formatMoney(minus(dec(after.get(key) ?? '0'), dec(before.get(key) ?? '0')), currency);
    if (!dec(d).isZero()) out.set(key, d);
  }
  return out;
}

async function targets(store: SqliteEventStore): Promise<Map<string, ContractTarget>> {
  const out = new Map<string, ContractTarget>();
  for await (const t of contractTargets(store, { through: '2026-03' })) out.set(t.contractId, t);
  return out;
}

/**
 * hledger's balance per account of one legal entity (by the transactions' `legalEntity` tag), as decimal strings, in
 * account order (hledger lists declared accounts in declaration order).
 */
async function hledgerBalances(files: string[], legalEntity: string, currency: string, ...query: string[]) {
  const args = [...files.flatMap((f) => ['-f', f]), 'bal', `tag:legalEntity=^${legalEntity}$`, ...query];
  const { stdout } = await run(HLEDGER, [...args, '--no-total', '-O', 'csv']);
  const rows = stdout
    .trim()
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.split(',').map((f) => f.replace(/^"|"$/gu, '')));
  return rows
    .map(([account, balance]) => {
      const m = new RegExp(`^(-?[\\d.]+) ${currency}$`, 'u').exec(balance!);
      expect(m, `${account}: ${balance}`).not.toBeNull();
      return { legalEntity, account: account!, currency, balance: formatMoney(dec(m![1]!), currency) };
    })
    .sort((a, b) => a.account.localeCompare(b.account));
}

describeWith(HLEDGER, INSTALL_HINT, 'a mapping fix after the books are closed, posted to hledger files', () => {
  let dir: string;
  let erpDir: string;
  let store: SqliteEventStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-fix-hledger-'));
    erpDir = join(dir, 'erp');
    store = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    await seedDemo(store, { contracts: 300, seed: 21 });
  }, 60_000);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (period: string, runId: string) => {
    const connector = openFileConnector({ dir: erpDir, runId });
    try {
      const summary = await postingRun(store, { period, connector, backoffMs: 1 });
      expect(summary.posted).toBe(summary.prepared);
      return summary;
    } finally {
      await connector.close();
    }
  };

  it(
    'only contracts using the SKU get adjusting journals, in the first open period, equal to the new minus the old targets; hledger agrees with Revtrail',
    { timeout: 180_000 },
    async () => {
      for (const period of CLOSED) await post(period, `post-${period}`);
      const oldBalances = await revtrailBalances(store, { through: '2026-03' });
      expect(await postedBalances(store)).toEqual(oldBalances);
      for (const { legalEntity } of DEMO_ENTITIES) {
        for (const period of CLOSED) {
          await decideOnStream(store, periodsStream(legalEntity), initialPeriodsState(), evolvePeriods, (s) =>
            decidePeriod(s, {
              action: 'close',
              legalEntity,
              period,
              reason: 'month-end close',
              receivedAt: '2026-04-05T00:00:00Z',
              actor: 'controller',
            }),
          );
        }
      }

      const users = new Set<string>();
      for await (const e of store.readAll({
        filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['ContractBooked', 'ContractAmended'] },
      })) {
        if ((e.data.lines as { sku: string }[]).some((l) => l.sku === FIXED_SKU))
          users.add(e.data.contractId as string);
      }
      const before = await targets(store);
      const journalsBefore = new Set(
        [...(await contractJournals(store)).values()].flatMap((s) => [...s.journals.keys()]),
      );

      // The fix: premium support is recognised by calendar month, not by day.
      const products = CATALOGUE.map((c) => (c.sku === FIXED_SKU ? { ...c, convention: 'monthly' as const } : c));
      await publishMapping(
        store,
        'products',
        { products, reason: `${FIXED_SKU} is recognised monthly` },
        new Date(),
        'eng',
      );
      const after = await targets(store);
      const newBalances = await revtrailBalances(store, { through: '2026-03' });
      expect(compareTrialBalances(newBalances, oldBalances)).not.toEqual([]);

      const expected = new Map<string, Map<string, string>>();
      for (const [contractId, t] of after) {
        const diff = difference(
          amounts(t.balances, t.currency),
          amounts(before.get(contractId)!.balances, t.currency),
          t.currency,
        );
        if (diff.size > 0) expected.set(contractId, diff);
      }
      // Contracts without the SKU: nothing moved. With it: enough to make the scenario worth its name.
      for (const contractId of expected.keys()) expect(users).toContain(contractId);
      expect(expected.size).toBeGreaterThan(3);
      expect(after.size).toBeGreaterThan(expected.size);

      const fix = await post('2026-03', 'post-2026-03-fix');
      expect(fix.prepared).toBe(expected.size);

      const prepared = new Map<string, { contractId: string; lineage: JournalLineage }>();
      for await (const e of store.readAll({
        filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['JournalPrepared'] },
      })) {
        if (!journalsBefore.has(e.data.journalId as string))
          prepared.set(e.data.journalId as string, {
            contractId: e.data.contractId as string,
            lineage: e.data.lineage as unknown as JournalLineage,
          });
      }
      for (const p of prepared.values()) expect(users).toContain(p.contractId);
      expect(new Set([...prepared.values()].map((p) => p.contractId))).toEqual(new Set(expected.keys()));
      expect(prepared.size).toBe(expected.size); // one adjusting journal per contract

      const journals = await contractJournals(store);
      const adjustments = [];
      for (const [journalId, { contractId, lineage }] of prepared) {
        const j = journals.get(contractId)!.journals.get(journalId)!;
        adjustments.push(j);
        expect(j).toMatchObject({ status: 'posted', through: '2026-03', period: '2026-04', date: '2026-04-30' });
        expect(
          new Map([...journaledBalances(j.lines)].map(([k, b]) => [k, formatMoney(b.amount, j.currency)])),
        ).toEqual(expected.get(contractId));
        // Lineage: the moved revenue is the SKU's, scheduled under mapping version 2.
        const revenueSkus = new Set(j.lines.map((l) => l.dimensions.sku).filter((s) => s !== undefined));
        expect(revenueSkus).toEqual(new Set([FIXED_SKU]));
        expect(lineage.productMappingVersion).toBe(2);
        expect(lineage.scheduleLines.length).toBeGreaterThan(0);
        for (const s of lineage.scheduleLines)
          expect(s).toMatchObject({ sku: FIXED_SKU, mappingVersion: 2, through: '2026-03' });
      }
      expect(await postedBalances(store)).toEqual(newBalances);

      // The connector's files as hledger reads them: they pass its strict checks; per legal entity, every account's
      // balance is Revtrail's; the months before April still hold the old balances, April only the adjustments.
      const files = readdirSync(erpDir)
        .filter((f) => f.endsWith('.journal'))
        .sort()
        .map((f) => join(erpDir, f));
      expect(files.map((f) => f.slice(erpDir.length + 1))).toEqual([
        'post-2026-01.journal',
        'post-2026-02.journal',
        'post-2026-03-fix.journal',
        'post-2026-03.journal',
      ]);
      await run(HLEDGER, [...files.flatMap((f) => ['-f', f]), 'check', '--strict']);
      const byEntity = (tb: TrialBalance, le: string) => tb.filter((r) => r.legalEntity === le);
      const entities = new Set(newBalances.map((r) => r.legalEntity));
      expect(entities.size).toBeGreaterThan(1);
      for (const { legalEntity, currency } of DEMO_ENTITIES) {
        expect(await hledgerBalances(files, legalEntity, currency)).toEqual(byEntity(newBalances, legalEntity));
        expect(await hledgerBalances(files, legalEntity, currency, 'date:-2026-04')).toEqual(
          byEntity(oldBalances, legalEntity),
        );
        expect(await hledgerBalances(files, legalEntity, currency, 'date:2026-04')).toEqual(
          byEntity(trialBalanceOf(adjustments), legalEntity),
        );
      }
    },
  );
});
