// One run, many ERPs, for real: the entity register sends US01 to a real Tryton (its connection read from the
// environment variables the register names) and DE01 to the file connector (an hledger journal), while JP01 and BH01,
// not in the register, are blocked UNMAPPED_ENTITY. One `revtrail post` posts both ERPs; Tryton holds US01's moves
// and none of DE01's, hledger's balances are DE01's and nobody else's, each agreeing with Revtrail's (and
// `revtrail reconcile` ties each entity out against its own ERP); once the register names the blocked entities, the
// next run posts them.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { JournalEntry } from '../../commands/journal.js';
import { evolveJournals, initialJournalState } from '../../commands/journal.js';
import { publishMapping } from '../../src/demo/index.js';
import { revtrailBalances } from '../../src/posting/trial-balance.js';
import { dec } from '../../src/revenue/index.js';
import type { EntityRegisterSet } from '../../schemas/index.js';
import { run, withCliStore } from '../support/cli.js';
import { describeWithTryton, trialBalances, useTrytonCli } from '../support/tryton.js';

const HLEDGER = '/usr/bin/hledger';
const PERIOD = '2026-03';
const AT = new Date('2026-04-02T08:00:00Z');

describeWithTryton('one posting run to a real Tryton and a real hledger', () => {
  const cli = useTrytonCli('revtrail-multi-erp-', { contracts: 60, seed: 5 });

  const US01 = {
    legalEntity: 'US01',
    functionalCurrency: 'USD',
    erp: {
      connector: 'tryton' as const,
      urlEnv: 'GROUP_US01_TRYTON_URL',
      databaseEnv: 'GROUP_US01_TRYTON_DB',
      userEnv: 'GROUP_US01_TRYTON_USER',
      passwordEnv: 'GROUP_US01_TRYTON_PASSWORD',
    },
  };
  const fileEntity = (legalEntity: string, functionalCurrency: string) => ({
    legalEntity,
    functionalCurrency,
    erp: { connector: 'file' as const, dir: join(cli.dir, 'hledger') },
  });
  const publish = (set: EntityRegisterSet) =>
    withCliStore(cli.env, (store) => publishMapping(store, 'entities', set, AT, 'controller'));

  /**
   * The CLI's environment: the store, the Tryton connection only under the names the register gives, and a
   * configured connector (simulated) that no entity may reach once the register routes them all.
   */
  const env = (): Record<string, string> => {
    const c = cli.server.connection();
    return {
      REVTRAIL_STORE: cli.env.REVTRAIL_STORE!,
      REVTRAIL_DATA_DIR: cli.env.REVTRAIL_DATA_DIR!,
      REVTRAIL_CONNECTOR: 'simulated',
      REVTRAIL_POSTING_BACKOFF_MS: '10',
      REVTRAIL_LOG_LEVEL: 'silent',
      GROUP_US01_TRYTON_URL: c.url,
      GROUP_US01_TRYTON_DB: c.database,
      GROUP_US01_TRYTON_USER: c.username,
      GROUP_US01_TRYTON_PASSWORD: c.password,
    };
  };

  const post = async () => {
    const r = await run(['post', '--period', PERIOD], env());
    return { ...r, summary: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, any> };
  };

  const journalsOf = async (legalEntity: string): Promise<JournalEntry[]> =>
    withCliStore(cli.env, async (store) => {
      const byContract = new Map<string, ReturnType<typeof initialJournalState>>();
      for await (const e of store.readAll({
        filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['Journal'] },
      })) {
        const id = e.data.contractId as string;
        byContract.set(id, evolveJournals(byContract.get(id) ?? initialJournalState(id), e));
      }
      return [...byContract.values()]
        .flatMap((s) => [...s.journals.values()])
        .filter((j) => j.legalEntity === legalEntity);
    });

  /** `hledger -f … bal` over the file connector's journals: each account's balance and commodity. */
  const hledgerBalances = async (): Promise<Map<string, string>> => {
    const dir = join(cli.dir, 'hledger');
    const files = readdirSync(dir).filter((f) => f.endsWith('.journal'));
    const args = [...files.flatMap((f) => ['-f', join(dir, f)]), 'bal', '--no-total', '--flat', '-O', 'csv'];
    const child = spawn(HLEDGER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const rows = out
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('","').map((cell) => cell.replace(/"/g, '')));
    return new Map(rows.filter(([, b]) => b !== '0').map(([account, b]) => [account!, b!]));
  };

  it(
    'posts US01 to Tryton and DE01 to hledger in one run, blocks the unregistered entities, posts them once registered',
    { timeout: 240_000 },
    async () => {
      await publish({
        entities: [US01, fileEntity('DE01', 'EUR')],
        reportingCurrency: 'USD',
        reason: 'US01 books in Tryton, DE01 in hledger',
      });
      const first = await post();
      expect(first.stderr).toBe('');
      // Something is left unposted (the blocked entities): exit 3.
      expect(first.code).toBe(3);
      expect(first.summary).toMatchObject({ connector: 'per-entity', registerVersion: 1, rejected: {}, retrying: 0 });
      const { US01: us, DE01: de, JP01: jp, BH01: bh } = first.summary.entities;
      expect(us).toMatchObject({ connector: 'tryton', rejected: {}, retrying: 0, blocked: {} });
      expect(us.posted).toBe(us.prepared);
      expect(us.posted).toBeGreaterThan(5);
      expect(de).toMatchObject({ connector: 'file', rejected: {}, retrying: 0 });
      expect(de.posted).toBe(de.prepared);
      expect(de.posted).toBeGreaterThan(0);
      for (const blocked of [jp, bh].filter(Boolean)) expect(blocked.blocked.UNMAPPED_ENTITY).toBeGreaterThan(0);
      expect(first.summary.blocked.UNMAPPED_ENTITY).toBe(
        (jp?.blocked.UNMAPPED_ENTITY ?? 0) + (bh?.blocked.UNMAPPED_ENTITY ?? 0),
      );

      // Tryton: one posted move per US01 journal, none for DE01's, and its trial balance is Revtrail's US01's.
      const usJournals = await journalsOf('US01');
      expect(usJournals.every((j) => j.status === 'posted')).toBe(true);
      for (const j of usJournals) expect(await cli.admin.countMoves(j.journalId)).toBe(1);
      const deJournals = await journalsOf('DE01');
      expect(deJournals.every((j) => j.status === 'posted')).toBe(true);
      for (const j of deJournals) expect(await cli.admin.countMoves(j.journalId)).toBe(0);
      const { tryton, revtrail } = await trialBalances(cli, PERIOD, 'US01');
      expect(tryton).toEqual(revtrail);

      // hledger: DE01's balances in EUR, account by account as Revtrail has them, and no other currency.
      const ledger = await hledgerBalances();
      expect([...ledger.values()].every((b) => b.endsWith(' EUR') || b.startsWith('EUR'))).toBe(true);
      const ours = await withCliStore(cli.env, (store) =>
        revtrailBalances(store, { through: PERIOD, legalEntity: 'DE01' }),
      );
      const expected = new Map(
        ours.filter((r) => !dec(r.balance).isZero()).map((r) => [r.account, dec(r.balance).toFixed(2)]),
      );
      const amounts = new Map([...ledger].map(([a, b]) => [a, dec(b.replace(/[^\d.-]/g, '')).toFixed(2)]));
      expect(amounts).toEqual(expected);
      expect(amounts.size).toBeGreaterThan(2);

      // The ERP tie-out reads each entity's own ERP: Tryton for US01, hledger for DE01; a group-wide one is refused.
      for (const le of ['US01', 'DE01']) {
        const tie = await run(['reconcile', '--period', PERIOD, '--legal-entity', le], env());
        expect(tie.code, tie.stderr).toBe(0);
        const result = JSON.parse(tie.stdout) as { legalEntity: string; compared: number; differences: unknown[] };
        expect(result).toMatchObject({ legalEntity: le, differences: [] });
        expect(result.compared).toBeGreaterThan(2);
      }
      const group = await run(['reconcile', '--period', PERIOD], env());
      expect(group.code).toBe(1);
      expect(group.stderr).toMatch(/one legal entity at a time/);

      // The register now names JP01 and BH01 (hledger too): the next run posts them, and nothing twice.
      await publish({
        entities: [US01, fileEntity('DE01', 'EUR'), fileEntity('JP01', 'JPY'), fileEntity('BH01', 'BHD')],
        reportingCurrency: 'USD',
        reason: 'JP01 and BH01 join the group ledger',
        basedOnVersion: 1,
      });
      const second = await post();
      expect(second.stderr).toBe('');
      expect(second.summary.registerVersion).toBe(2);
      expect(second.summary.blocked.UNMAPPED_ENTITY).toBeUndefined();
      expect(second.summary.entities.US01).toMatchObject({ prepared: 0, posted: 0 });
      expect(second.summary.entities.DE01).toMatchObject({ prepared: 0, posted: 0 });
      const newcomers = ['JP01', 'BH01'].filter((le) => first.summary.entities[le]);
      expect(newcomers.length).toBeGreaterThan(0);
      for (const le of newcomers) {
        const o = second.summary.entities[le];
        expect(o).toMatchObject({ connector: 'file', rejected: {}, retrying: 0 });
        expect(o.posted).toBe(o.prepared);
      }
      for (const j of await journalsOf('US01')) expect(await cli.admin.countMoves(j.journalId)).toBe(1);
    },
  );
});
