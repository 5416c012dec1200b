// `revtrail post`, `reconcile` and `reprepare`: posting runs to the ERP, the ERP tie-out, and re-preparing refused
// journals once their cause is fixed.
import { Id, Period } from '../../schemas/index.js';
import { loadConfig } from '../config.js';
import type { Connector } from '../posting/index.js';
import { erpFrom, routeOf, runConnectorName, runNameFor } from '../posting/erp.js';
import { acquirePostingLock } from '../posting/lock.js';
import { reprepareJournals } from '../posting/reprepare.js';
import { PostingRunStoppedError, postingRun } from '../posting/run.js';
import type { PostingRunSummary } from '../posting/run.js';
import { erpTieOut, recordTieOut } from '../posting/tie-out.js';
import { openStore } from '../store/index.js';
import { checked, flags } from './args.js';

/**
 * With REVTRAIL_TEST_DIE_AFTER_ERP_WRITE=1 (tests only), the process kills itself (SIGKILL) right after the
 * connector's first new ERP document, before Revtrail records the answer: the crash the next run must resolve by
 * asking the ERP, not by posting twice.
 */
function dieAfterErpWrite(connector: Connector): Connector {
  if (process.env.REVTRAIL_TEST_DIE_AFTER_ERP_WRITE !== '1') return connector;
  return {
    name: connector.name,
    submit: async (journal) => {
      const outcome = await connector.submit(journal);
      if (outcome.status === 'posted' && !outcome.alreadyPosted) process.kill(process.pid, 'SIGKILL');
      return outcome;
    },
    find: (journalId) => connector.find(journalId),
    close: () => connector.close(),
  };
}

/** Exit codes of `post` besides 0 (everything in scope posted) and 1 (a failure: nothing to conclude). */
const EXIT = {
  /** The run ran, but the ERP is not caught up: a contract blocked, a journal rejected, or one still retrying. */
  notAllPosted: 3,
  /** Another posting run holds the store's posting-run lock (POSTING_RUN_IN_PROGRESS): this one did nothing. */
  inProgress: 4,
  /** The run lost the posting-run lock part-way (POSTING_RUN_LOCK_LOST) and stopped; the next run continues. */
  lockLost: 5,
} as const;

function postExitCode(summary: PostingRunSummary): number {
  const total = (xs: Partial<Record<string, number>>): number =>
    Object.values(xs).reduce<number>((sum, n) => sum + (n ?? 0), 0);
  const unposted = total(summary.rejected) + total(summary.blocked) + summary.retrying;
  return unposted > 0 ? EXIT.notAllPosted : 0;
}

/** `--period YYYY-MM [--legal-entity LE]`, checked: the scope of a posting run and of a tie-out. */
function periodScope(args: string[]): { period: string; legalEntity: string | undefined } {
  const f = flags(args, ['period', 'legal-entity']);
  if (f.period === undefined) throw new Error('--period YYYY-MM is required');
  const period = checked('period', Period, f.period);
  const legalEntity = f['legal-entity'] === undefined ? undefined : checked('legal-entity', Id, f['legal-entity']);
  return { period, legalEntity };
}

export async function postCommand(args: string[]): Promise<number> {
  const { period, legalEntity } = periodScope(args);
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const erp = erpFrom(config.connector);
  const runName = runNameFor(period, legalEntity, new Date());
  const lock = await acquirePostingLock(store, `${runName}#${process.pid}`, { leaseMs: config.posting.leaseMs }).catch(
    async (err: unknown) => {
      await store.close();
      throw err;
    },
  );
  if ('code' in lock) {
    process.stderr.write(`${JSON.stringify({ code: lock.code, message: lock.message })}\n`);
    await store.close();
    return EXIT.inProgress;
  }
  const erps = routeOf(erp, runName, { wrap: dieAfterErpWrite });
  const answer = (summary: PostingRunSummary): string =>
    `${JSON.stringify({ runName, connector: runConnectorName(erp, summary.registerVersion), ...summary })}\n`;
  try {
    const summary = await postingRun(store, {
      lock,
      period,
      ...(legalEntity ? { legalEntity } : {}),
      erps,
      batchSize: config.posting.batchSize,
      maxAttempts: config.posting.maxAttempts,
      backoffMs: config.posting.backoffMs,
      timeoutMs: config.posting.timeoutMs,
      actor: 'cli',
    });
    process.stdout.write(answer(summary));
    return postExitCode(summary);
  } catch (err) {
    if (!(err instanceof PostingRunStoppedError)) throw err;
    process.stdout.write(answer(err.summary));
    process.stderr.write(`${JSON.stringify({ code: err.code, message: err.message })}\n`);
    return EXIT.lockLost;
  } finally {
    await lock.release();
    await erps.release();
    await erp.close();
    await store.close();
  }
}

export async function reconcileCommand(args: string[]): Promise<number> {
  const { period, legalEntity } = periodScope(args);
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    const tieOut = await erpTieOut(store, config.connector, period, legalEntity);
    await recordTieOut(store, tieOut, 'cli', new Date());
    process.stdout.write(`${JSON.stringify(tieOut)}\n`);
    return tieOut.differences.length > 0 ? 3 : 0;
  } finally {
    await store.close();
  }
}

export async function reprepareCommand(args: string[]): Promise<number> {
  const journalIds = args.filter((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--')));
  const f = flags(
    args.filter((a) => !journalIds.includes(a)),
    ['legal-entity', 'into'],
  );
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    const result = await reprepareJournals(store, {
      ...(journalIds.length > 0 ? { journalIds: journalIds.map((id) => checked('journal id', Id, id)) } : {}),
      ...(f['legal-entity'] ? { legalEntity: checked('legal-entity', Id, f['legal-entity']) } : {}),
      ...(f.into ? { into: checked('into', Period, f.into) } : {}),
      actor: 'cli',
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.refused.length > 0 ? 3 : 0;
  } finally {
    await store.close();
  }
}
