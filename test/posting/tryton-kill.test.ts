// kill -9 between Tryton's write and Revtrail's record: `revtrail post` dies right after Tryton posted its first
// move. The next run asks Tryton for the move by its reference (the journal id) before sending anything, records the
// journal posted with that move, and Tryton holds exactly one move per journal.
import { expect, it } from 'vitest';
import { contractJournals } from '../../src/posting/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { SHORT_POSTING_LEASE_MS, run, untilPostingLockFree } from '../support/cli.js';
import { describeWithTryton, useTrytonCli } from '../support/tryton.js';

const LE = 'US01'; // the Tryton company books USD, as US01 does

describeWithTryton('a posting process killed after Tryton wrote', () => {
  const cli = useTrytonCli('revtrail-tryton-kill-', { contracts: 15, seed: 6 });

  const journals = async () => {
    const store = new SqliteEventStore({ path: cli.env.REVTRAIL_STORE! });
    try {
      return [...(await contractJournals(store)).values()]
        .flatMap((s) => [...s.journals.values()])
        .filter((j) => j.legalEntity === LE);
    } finally {
      await store.close();
    }
  };

  it(
    'the next run finds the move by reference and records it posted; one move per journal',
    { timeout: 240_000 },
    async () => {
      const args = ['post', '--period', '2026-02', '--legal-entity', LE];
      const killed = await run(args, {
        ...cli.env,
        REVTRAIL_TEST_DIE_AFTER_ERP_WRITE: '1',
        REVTRAIL_POSTING_BATCH: '1',
        REVTRAIL_POSTING_LEASE_MS: SHORT_POSTING_LEASE_MS, // the killed run holds the store's posting lock until it expires
      });
      expect(killed.code).toBeNull();
      const before = await journals();
      const inDoubt = before.filter((j) => j.status === 'submitted');
      expect(inDoubt).toHaveLength(1);
      expect(await cli.admin.countMoves(inDoubt[0]!.journalId)).toBe(1);

      await untilPostingLockFree(cli.env);
      const next = await run(args, cli.env);
      expect(next.code, next.stderr).toBe(0);
      expect(JSON.parse(next.stdout)).toMatchObject({ prepared: 0, posted: before.length, rejected: {} });
      const after = await journals();
      expect(after.every((j) => j.status === 'posted' && j.erpDocumentId !== null)).toBe(true);
      for (const j of after) expect(await cli.admin.countMoves(j.journalId)).toBe(1);
    },
  );
});
