// End to end against a real Tryton: the `revtrail post` command posts a generated company's US01 journals
// month by month; a period closed in Tryton refuses the next submission dated in it (PERIOD_CLOSED, from Tryton
// itself), `revtrail reprepare` re-dates it into the open period and the next run posts it there; a run killed with
// SIGKILL mid-way and run again leaves exactly one Tryton move per journal, counted by reference in Tryton.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { JournalEntry } from '../../commands/journal.js';
import { evolveJournals, initialJournalState } from '../../commands/journal.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { CLI, SHORT_POSTING_LEASE_MS, run, untilPostingLockFree } from '../support/cli.js';
import { describeWithTryton, trialBalances, useTrytonCli } from '../support/tryton.js';

const LE = 'US01'; // the Tryton company books USD, as US01 does

describeWithTryton('posting to a real Tryton', () => {
  const cli = useTrytonCli('revtrail-tryton-e2e-', { contracts: 60, seed: 5 });

  /** Every US01 journal, as the contract streams record them. */
  const journals = async (): Promise<JournalEntry[]> => {
    const store = new SqliteEventStore({ path: cli.env.REVTRAIL_STORE! });
    try {
      const byContract = new Map<string, ReturnType<typeof initialJournalState>>();
      for await (const e of store.readAll({
        filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['Journal'] },
      })) {
        const id = e.data.contractId as string;
        byContract.set(id, evolveJournals(byContract.get(id) ?? initialJournalState(id), e));
      }
      return [...byContract.values()].flatMap((s) => [...s.journals.values()]).filter((j) => j.legalEntity === LE);
    } finally {
      await store.close();
    }
  };

  const post = async (period: string, extra: Record<string, string> = {}) => {
    const r = await run(['post', '--period', period, '--legal-entity', LE], { ...cli.env, ...extra });
    return {
      code: r.code,
      summary: JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>,
      stderr: r.stderr,
    };
  };

  /** Tryton's trial balance of posted moves equals Revtrail's balances of US01 through the period, per account. */
  const expectLedgersAgree = async (through: string) => {
    const { tryton, revtrail } = await trialBalances(cli, through, LE);
    expect(tryton).toEqual(revtrail);
    expect(revtrail.size).toBeGreaterThan(3);
  };

  const movesPerJournal = async (js: readonly JournalEntry[]): Promise<number[]> =>
    Promise.all(js.map((j) => cli.admin.countMoves(j.journalId)));

  it(
    'posts the first three months: one posted Tryton move per journal, dated in its period',
    { timeout: 240_000 },
    async () => {
      for (const period of ['2026-01', '2026-02', '2026-03']) {
        const r = await post(period);
        expect(r.code, r.stderr).toBe(0);
        expect(r.summary).toMatchObject({ connector: 'tryton', rejected: {}, retrying: 0 });
        expect(r.summary.posted).toBe(r.summary.prepared);
      }
      const posted = await journals();
      expect(posted.length).toBeGreaterThan(12);
      expect(new Set(posted.map((j) => j.period))).toEqual(new Set(['2026-01', '2026-02', '2026-03']));
      expect(posted.every((j) => j.status === 'posted')).toBe(true);
      expect(await movesPerJournal(posted)).toEqual(posted.map(() => 1));
      for (const j of posted.slice(0, 5)) {
        const [move] = await cli.admin.moves(j.journalId);
        expect(move).toMatchObject({ state: 'posted', date: j.date });
        expect(String(move!.id)).toBe(j.erpDocumentId);
      }
      await expectLedgersAgree('2026-03');
      // A second run for a posted month prepares and posts nothing.
      const again = await post('2026-03');
      expect(again.summary).toMatchObject({ prepared: 0, posted: 0 });
    },
  );

  it(
    'a period closed in Tryton refuses its journals; re-preparing posts them in the open period',
    { timeout: 240_000 },
    async () => {
      await cli.admin.closePeriod('2026-04');
      const april = await post('2026-04');
      expect(april.code).toBe(3);
      const refused = (await journals()).filter((j) => j.period === '2026-04');
      expect(refused.length).toBeGreaterThan(5);
      expect(april.summary).toMatchObject({ posted: 0, rejected: { PERIOD_CLOSED: refused.length } });
      expect(refused.every((j) => j.status === 'rejected' && j.rejection?.code === 'PERIOD_CLOSED')).toBe(true);
      expect(refused.every((j) => !j.rejection!.retryable)).toBe(true);
      expect(await movesPerJournal(refused)).toEqual(refused.map(() => 0));
      // Running April again does not resubmit what Tryton refused.
      expect((await post('2026-04')).summary).toMatchObject({ prepared: 0, posted: 0 });

      const re = await run(['reprepare', '--legal-entity', LE], cli.env);
      expect(re.code, re.stderr).toBe(0);
      const result = JSON.parse(re.stdout) as {
        reprepared: { supersedes: string; journalId: string; period: string }[];
      };
      expect(result.reprepared.map((r) => r.supersedes).sort()).toEqual(refused.map((j) => j.journalId).sort());
      expect(result.reprepared.every((r) => r.period === '2026-05')).toBe(true);
      // Asking again changes nothing.
      expect(JSON.parse((await run(['reprepare', '--legal-entity', LE], cli.env)).stdout)).toEqual({
        reprepared: [],
        refused: [],
      });

      const may = await post('2026-05');
      expect(may.code, may.stderr).toBe(0);
      const after = await journals();
      const moved = after.filter((j) => result.reprepared.some((r) => r.journalId === j.journalId));
      expect(moved).toHaveLength(refused.length);
      expect(moved.every((j) => j.status === 'posted' && j.date === '2026-05-31')).toBe(true);
      expect(await movesPerJournal(moved)).toEqual(moved.map(() => 1));
      for (const old of refused) {
        expect(after.find((j) => j.journalId === old.journalId)!.status).toBe('superseded');
        // Same lines, new date.
        const next = moved.find(
          (j) => j.journalId === result.reprepared.find((r) => r.supersedes === old.journalId)!.journalId,
        )!;
        expect(next.lines).toEqual(old.lines);
      }
      // And May's own journals, through May, are posted beside them: everything through May is in Tryton once.
      expect(after.filter((j) => j.status !== 'superseded').every((j) => j.status === 'posted')).toBe(true);
    },
  );

  it('a posting run killed mid-way and run again creates no duplicate Tryton move', { timeout: 240_000 }, async () => {
    const child = spawn(process.execPath, [CLI, 'post', '--period', '2026-06', '--legal-entity', LE], {
      // A short posting-run lease: the killed run holds the store's lock until it expires.
      env: {
        ...process.env,
        ...cli.env,
        REVTRAIL_POSTING_BATCH: '1',
        REVTRAIL_POSTING_LEASE_MS: SHORT_POSTING_LEASE_MS,
      },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.once('exit', r));
    // Kill it once some of June is posted and some is not.
    let postedAtKill: number;
    for (;;) {
      const june = (await journals()).filter((j) => j.period === '2026-06');
      postedAtKill = june.filter((j) => j.status === 'posted').length;
      if (postedAtKill >= 2 || child.exitCode !== null) break;
      await sleep(20);
    }
    child.kill('SIGKILL');
    await exited;
    const atKill = (await journals()).filter((j) => j.period === '2026-06');
    expect(postedAtKill).toBeGreaterThan(0);
    expect(atKill.filter((j) => j.status !== 'posted').length).toBeGreaterThan(0);

    await untilPostingLockFree(cli.env); // the killed run's lease runs out
    const r = await post('2026-06');
    expect(r.code, r.stderr).toBe(0);
    const june = (await journals()).filter((j) => j.period === '2026-06');
    expect(june.length).toBeGreaterThanOrEqual(atKill.length);
    expect(june.every((j) => j.status === 'posted')).toBe(true);
    const all = (await journals()).filter((j) => j.status === 'posted');
    expect(await movesPerJournal(all)).toEqual(all.map(() => 1));
    await expectLedgersAgree('2026-06');
  });
});
