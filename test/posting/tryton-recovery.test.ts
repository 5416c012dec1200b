// Every refusal has a way forward, against a real Tryton: an account mapping naming an account Tryton's chart lacks
// gets the journals rejected UNKNOWN_ACCOUNT (by Tryton's own chart); the account is created in Tryton; `revtrail
// reprepare` and the next `revtrail post` post them; Tryton's trial balance then equals Revtrail's for the period, and
// `revtrail reconcile` (Tryton's posted move lines over JSON-RPC against what Revtrail recorded as posted) ties out.
// A move entered by hand in Tryton afterwards is a difference on its accounts, with the move named (exit 3).
import { expect, it } from 'vitest';
import { DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';
import { describeWithTryton, trialBalances, useTrytonCli } from '../support/tryton.js';

const LE = 'US01'; // the Tryton company books USD, as US01 does

describeWithTryton('posting recovery on a real Tryton', () => {
  const cli = useTrytonCli('revtrail-tryton-recovery-', { contracts: 40, seed: 5 }, async (env) => {
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE!, synchronous: 'normal' });
    // Deferred revenue on 2410, an account Tryton's chart does not have yet.
    const entities = DEMO_ENTITIES.map((e) => ({ ...e, accounts: { ...e.accounts, deferredRevenue: '2410' } }));
    await publishMapping(store, 'accounts', { entities, reason: 'deferred revenue on 2410' }, new Date());
    await store.close();
  });

  const post = async (period: string) => {
    const r = await run(['post', '--period', period, '--legal-entity', LE], cli.env);
    return { code: r.code, summary: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}'), stderr: r.stderr };
  };

  it(
    'account missing → rejected → account created in Tryton → reprepare → run → trial balances equal',
    { timeout: 240_000 },
    async () => {
      const first = await post('2026-02');
      expect(first.code).toBe(3);
      const refused = first.summary.rejected.UNKNOWN_ACCOUNT as number;
      expect(refused).toBeGreaterThan(0);

      await cli.admin.copyAccount('2400', '2410');
      const re = await run(['reprepare', '--legal-entity', LE], cli.env);
      expect(re.code, re.stderr).toBe(0);
      const result = JSON.parse(re.stdout) as { reprepared: { code: string; action: string }[] };
      expect(result.reprepared).toHaveLength(refused);
      expect(result.reprepared.every((r) => r.code === 'UNKNOWN_ACCOUNT' && r.action === 'replaced')).toBe(true);

      const again = await post('2026-02');
      expect(again.code, again.stderr).toBe(0);
      expect(again.summary).toMatchObject({ posted: refused, rejected: {}, retrying: 0 });

      const { tryton, revtrail } = await trialBalances(cli, '2026-02', LE);
      expect(tryton).toEqual(revtrail);
      expect(revtrail.has('2410')).toBe(true);

      const tie = await run(['reconcile', '--period', '2026-02', '--legal-entity', LE], cli.env);
      expect(tie.stderr).toBe('');
      expect(tie.code).toBe(0);
      const tieOut = JSON.parse(tie.stdout) as { compared: number; differences: unknown[] };
      expect(tieOut.differences).toEqual([]);
      expect(tieOut.compared).toBeGreaterThan(3);
    },
  );

  it('a move entered by hand in Tryton is a difference on its accounts, naming the move (exit 3)', async () => {
    expect((await run(['reconcile', '--period', '2026-02'], cli.env)).code).toBe(0);
    const id = await cli.admin.postMove({
      journalCode: 'REV',
      date: '2026-02-20',
      description: 'manual adjustment',
      lines: [
        { account: '1100', debit: '100.00', credit: '0' },
        { account: '4000', debit: '0', credit: '100.00' },
      ],
    });
    const off = await run(['reconcile', '--period', '2026-02', '--legal-entity', LE], cli.env);
    expect(off.stderr).toBe('');
    expect(off.code).toBe(3);
    const result = JSON.parse(off.stdout) as {
      differences: { legalEntity: string; account: string; currency: string; difference: string; journals: string[] }[];
    };
    expect(result.differences.map((d) => [d.legalEntity, d.account, d.currency, d.difference])).toEqual([
      [LE, '1100', 'USD', '100.00'],
      [LE, '4000', 'USD', '-100.00'],
    ]);
    for (const d of result.differences) expect(d.journals).toContain(`erp:2026-02-20 manual adjustment (move ${id})`);
    // Asked for no legal entity, the hand-made move is the company's, not any one legal entity's.
    const all = JSON.parse((await run(['reconcile', '--period', '2026-02'], cli.env)).stdout) as typeof result;
    expect(all.differences.map((d) => d.legalEntity)).toEqual(['tryton:company', 'tryton:company']);
    // Before the move's date, nothing differs.
    expect((await run(['reconcile', '--period', '2026-01', '--legal-entity', LE], cli.env)).code).toBe(0);
  });
});
