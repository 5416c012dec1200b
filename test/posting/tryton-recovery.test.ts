// Every refusal has a way forward, against a real Tryton: an account mapping naming an account Tryton's chart lacks
// gets the journals rejected UNKNOWN_ACCOUNT (by Tryton's own chart); the account is created in Tryton; `revtrail
// reprepare` and the next `revtrail post` post them; Tryton's trial balance then equals Revtrail's for the period, and
// `revtrail reconcile` (Tryton's posted move lines over JSON-RPC against what Revtrail recorded as posted) ties out.
// A move entered by hand in Tryton afterwards is a difference on its accounts, with the move named (exit 3).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import { TrytonAdmin } from '../../src/posting/connectors/index.js';
import { revtrailBalances } from '../../src/posting/trial-balance.js';
import { dec } from '../../src/revenue/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { run, seededCliStore } from '../support/cli.js';
import { describeWithTryton, startTryton, trytonConnectorEnv } from '../support/tryton.js';
import type { TrytonTestServer } from '../support/tryton.js';

const LE = 'US01'; // the Tryton company books USD, as US01 does

describeWithTryton('posting recovery on a real Tryton', () => {
  let server: TrytonTestServer;
  let admin: TrytonAdmin;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTryton();
    admin = new TrytonAdmin(server.connection());
    ({ dir, env } = await seededCliStore('revtrail-tryton-recovery-', () => trytonConnectorEnv(server), {
      contracts: 40,
      seed: 5,
    }));
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE!, synchronous: 'normal' });
    // Deferred revenue on 2410, an account Tryton's chart does not have yet.
    const entities = DEMO_ENTITIES.map((e) => ({ ...e, accounts: { ...e.accounts, deferredRevenue: '2410' } }));
    await publishMapping(store, 'accounts', { entities, reason: 'deferred revenue on 2410' }, new Date());
    await store.close();
  }, 180_000);
  afterAll(async () => {
    await admin?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (period: string) => {
    const r = await run(['post', '--period', period, '--legal-entity', LE], env);
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

      await admin.copyAccount('2400', '2410');
      const re = await run(['reprepare', '--legal-entity', LE], env);
      expect(re.code, re.stderr).toBe(0);
      const result = JSON.parse(re.stdout) as { reprepared: { code: string; action: string }[] };
      expect(result.reprepared).toHaveLength(refused);
      expect(result.reprepared.every((r) => r.code === 'UNKNOWN_ACCOUNT' && r.action === 'replaced')).toBe(true);

      const again = await post('2026-02');
      expect(again.code, again.stderr).toBe(0);
      expect(again.summary).toMatchObject({ posted: refused, rejected: {}, retrying: 0 });

      const store = new SqliteEventStore({ path: env.REVTRAIL_STORE! });
      try {
        const ours = await revtrailBalances(store, { through: '2026-02', legalEntity: LE });
        const theirs = [...(await admin.trialBalance())].filter(([, b]) => !dec(b).isZero());
        expect(new Map(theirs.map(([account, b]) => [account, dec(b).toFixed(2)]))).toEqual(
          new Map(ours.map((r) => [r.account, dec(r.balance).toFixed(2)])),
        );
        expect(ours.some((r) => r.account === '2410')).toBe(true);
      } finally {
        await store.close();
      }

      const tie = await run(['reconcile', '--period', '2026-02', '--legal-entity', LE], env);
      expect(tie.stderr).toBe('');
      expect(tie.code).toBe(0);
      const tieOut = JSON.parse(tie.stdout) as { compared: number; differences: unknown[] };
      expect(tieOut.differences).toEqual([]);
      expect(tieOut.compared).toBeGreaterThan(3);
    },
  );

  it('a move entered by hand in Tryton is a difference on its accounts, naming the move (exit 3)', async () => {
    expect((await run(['reconcile', '--period', '2026-02'], env)).code).toBe(0);
    const id = await admin.postMove({
      journalCode: 'REV',
      date: '2026-02-20',
      description: 'manual adjustment',
      lines: [
        { account: '1100', debit: '100.00', credit: '0' },
        { account: '4000', debit: '0', credit: '100.00' },
      ],
    });
    const off = await run(['reconcile', '--period', '2026-02', '--legal-entity', LE], env);
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
    const all = JSON.parse((await run(['reconcile', '--period', '2026-02'], env)).stdout) as typeof result;
    expect(all.differences.map((d) => d.legalEntity)).toEqual(['tryton:company', 'tryton:company']);
    // Before the move's date, nothing differs.
    expect((await run(['reconcile', '--period', '2026-01', '--legal-entity', LE], env)).code).toBe(0);
  });
});
