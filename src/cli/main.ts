#!/usr/bin/env node
// The `revtrail` command line: start the service, verify the store's hash chains.
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { projectionsNamed } from '../../projections/index.js';
import { generateCompany, seedDemo, writeJsonl } from '../demo/index.js';
import { openReadStore } from '../readmodel/index.js';
import { rebuild } from '../runner/index.js';
import { openStore, parseAnchor, verify } from '../store/index.js';
import type { z } from 'zod';
import { Id, Period } from '../../schemas/index.js';
import { SimulatedConnector } from '../posting/index.js';
import type { Connector } from '../posting/index.js';
import { erpFrom, routeOf, runConnectorName, runNameFor } from '../posting/erp.js';
import { reprepareJournals } from '../posting/reprepare.js';
import { acquirePostingLock } from '../posting/lock.js';
import { PostingRunStoppedError, postingRun } from '../posting/run.js';
import type { PostingRunSummary } from '../posting/run.js';
import { erpTieOut, recordTieOut } from '../posting/tie-out.js';
import { EVIDENCE_USAGE, evidenceCommand } from './evidence.js';
import { EXCEPTIONS_USAGE, exceptionsCommand } from './exceptions.js';
import { MAPPINGS_USAGE, mappingsCommand } from './mappings.js';
import { catchUpOnce, follow, parseProjectArgs } from './follow.js';
import { UsageError } from './usage.js';
import { importJsonl } from './import.js';
import { phasedProgress, progressBar } from './progress.js';

const USAGE = `usage: revtrail <command>
  start              start the HTTP service (REVTRAIL_STORE, REVTRAIL_HOST, REVTRAIL_PORT)
  verify [stream] [--anchor] [--against DIGEST]
                     check the store's hash chains and heads (one stream's, or the whole log's); prints every problem
                     at its stream, revision and position and exits 1 if there is one; --anchor prints only the digest
                     of the log's head, to keep elsewhere; --against DIGEST checks the log up to it is unchanged
  project [--follow] [--partition i/N]
                     bring every projection up to the log's end (REVTRAIL_READ_STORE), then exit; --follow keeps
                     following the log as a projection worker (GET /health on REVTRAIL_METRICS_PORT, a ready line on
                     stdout, SIGTERM stops it); --partition i/N: worker i (from 0) of N, owning the contracts whose id
                     hashes to i; exit 6 (PARTITION_LAYOUT_CHANGED on stderr) when the read models were built by
                     another number of workers
  rebuild [name...] [--dry-run] [--diff]
                     replay the log into fresh read-model tables while the current ones keep serving, then swap
                     them in; --dry-run compares and discards instead; --diff prints what changes per document
  post --period YYYY-MM [--legal-entity LE]
                     prepare every contract's journal for the period and post the unposted ones to the ERP
                     (REVTRAIL_CONNECTOR, or each entity's ERP once an entity register is published); prints the
                     summary, with each legal entity's outcome under \`entities\`; exit 3 when the run left something
                     unposted (a contract blocked, a journal refused or still retrying, an entity's ERP not
                     configured); exit 4 (POSTING_RUN_IN_PROGRESS on stderr) when
                     another posting run holds the store's lock; exit 5 (POSTING_RUN_LOCK_LOST on stderr, the summary
                     so far on stdout) when another run took the lock over part-way
  reconcile --period YYYY-MM [--legal-entity LE]
                     ERP tie-out: the ERP's balances per account (file connector: hledger on its journals; Tryton:
                     its posted move lines over JSON-RPC) against what Revtrail recorded as posted through the
                     period; prints each difference with its journals; exit 3 when they differ
  reprepare [JOURNAL_ID...] [--legal-entity LE] [--into YYYY-MM]
                     once the cause is fixed, re-prepare journals the ERP refused, any code (all of them without
                     ids): PERIOD_CLOSED re-dated into the first open period (or --into), UNKNOWN_ACCOUNT and
                     UNBALANCED prepared anew under today's mappings, connector failures reopened under their own
                     id; the next \`post\` submits them
  import FILE        append the inbound events of a JSONL file through the command path; prints a summary
  generate --contracts N --seed S [--out FILE] [--start YYYY-MM-DD] [--duplicates R] [--out-of-order R]
                     write a deterministic synthetic company's inbound events as JSONL (stdout without --out)
${EXCEPTIONS_USAGE}
${MAPPINGS_USAGE}
${EVIDENCE_USAGE}`;

async function start(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  if (config.demoContracts > 0) {
    // The simulated ERP is the demo's: its past is posted there (on another ERP the demo stays unposted).
    const erp = app.erp.kind === 'simulated' ? app.erp.open('demo') : null;
    const demo = await seedDemo(app.store, {
      contracts: config.demoContracts,
      seed: 1,
      ...(erp instanceof SimulatedConnector ? { erp } : {}),
    });
    if (erp) await app.erp.release(erp);
    if (demo) app.http.log.info(demo, 'empty store: demo company generated and imported');
  }
  if (!config.apiKeys && !config.apiKeysFile) {
    app.http.log.info(
      { keyFile: config.demoKeyFile.plain },
      'no API keys configured: the local admin key is in keyFile',
    );
  }
  const shutdown = (signal: string): void => {
    app.http.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.http.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.http.listen({ host: config.host, port: config.port });
}

function anchorFlag(text: string): ReturnType<typeof parseAnchor> {
  try {
    return parseAnchor(text);
  } catch (err) {
    throw new Error(`--against: ${(err as Error).message}`, { cause: err });
  }
}

async function verifyCommand(args: string[]): Promise<number> {
  const anchorOnly = args.includes('--anchor');
  const rest = args.filter((a) => a !== '--anchor');
  const againstAt = rest.indexOf('--against');
  const against = againstAt < 0 ? undefined : rest.splice(againstAt, 2)[1];
  if (againstAt >= 0 && against === undefined) throw new Error('--against needs the digest printed by verify --anchor');
  const unknown = rest.find((a) => a.startsWith('--'));
  if (unknown) throw new Error(`unexpected flag ${unknown}; flags: --anchor --against DIGEST`);
  if (rest.length > 1) throw new Error(`unexpected argument ${JSON.stringify(rest[1])}; usage: verify [stream]`);
  const stream = rest[0];
  if (stream !== undefined && (anchorOnly || against !== undefined)) {
    throw new Error('--anchor and --against cover the whole log: give no stream');
  }
  const anchor = against === undefined ? undefined : anchorFlag(against);
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    const report = await verify(store, {
      ...(stream === undefined ? {} : { streamId: stream }),
      ...(anchor ? { against: anchor } : {}),
    });
    // An anchor is only given for a log that verified clean: the digest of a tampered log would vouch for it.
    if (anchorOnly && report.anchor) process.stdout.write(`${report.anchor}\n`);
    else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

async function importCommand(file: string | undefined): Promise<number> {
  if (!file) throw new Error('usage: revtrail import FILE');
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  try {
    let bar: ReturnType<typeof progressBar> | null = null;
    const counts = (c: Record<string, number>): string =>
      `${c.appended} appended, ${c.duplicate} duplicate, ${c.held} held, ${c.rejected} rejected`;
    const summary = await importJsonl(store, file, {
      limits: config.limits,
      onProgress: (bytes, total, s) => {
        bar ??= progressBar('import', total, 'events');
        bar.update(bytes, s.lines, counts(s.counts));
      },
    });
    const { appended, duplicate, held, rejected } = summary.counts;
    (bar as ReturnType<typeof progressBar> | null)?.finish(summary.lines, counts(summary.counts));
    process.stdout.write(
      `${JSON.stringify({ file, lines: summary.lines, appended, duplicate, held, rejected, firstRejections: summary.firstRejections }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `--name value` flags; every flag takes a value. */
function flags(args: string[], allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, '');
    if (!args[i]!.startsWith('--') || !allowed.includes(name) || args[i + 1] === undefined) {
      throw new Error(
        `unexpected argument ${JSON.stringify(args[i])}; flags: ${allowed.map((a) => `--${a}`).join(' ')}`,
      );
    }
    out[name] = args[i + 1]!;
  }
  return out;
}

function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function rate(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const r = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || r > 1)
    throw new Error(`--${name} must be a probability from 0 to 1, got ${JSON.stringify(value)}`);
  return r;
}

async function generateCommand(args: string[]): Promise<number> {
  const f = flags(args, ['contracts', 'seed', 'out', 'start', 'duplicates', 'out-of-order']);
  const rates: Record<string, number> = {};
  const dup = rate('duplicates', f.duplicates);
  const ooo = rate('out-of-order', f['out-of-order']);
  if (dup !== undefined) rates.duplicateDelivery = dup;
  if (ooo !== undefined) rates.outOfOrderAmendment = ooo;
  const events = generateCompany({
    contracts: wholeNumber('contracts', f.contracts, 100),
    seed: wholeNumber('seed', f.seed, 1),
    ...(f.start ? { startDate: f.start } : {}),
    rates,
  });
  if (f.out) {
    const { lines } = await writeJsonl(f.out, events);
    process.stderr.write(`wrote ${lines} events to ${f.out}\n`);
  } else {
    // A reader that stops early (`| head`) closes the pipe: that ends the output, it is not a failure.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
    for (const e of events) {
      if (!process.stdout.write(`${JSON.stringify(e)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
    }
  }
  return 0;
}

async function projectCommand(args: string[]): Promise<number> {
  const { follow: following, partition } = parseProjectArgs(args);
  const config = loadConfig();
  return following ? follow(config, partition) : catchUpOnce(config, partition);
}

async function rebuildCommand(args: string[]): Promise<number> {
  const dryRun = args.includes('--dry-run');
  const diff = args.includes('--diff');
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--dry-run' && a !== '--diff');
  if (unknown.length > 0) throw new Error(`unexpected flag ${unknown[0]}; flags: --dry-run --diff`);
  const projections = projectionsNamed(args.filter((a) => !a.startsWith('--')));
  const config = loadConfig();
  const store = openStore(config.store, { synchronous: config.sqliteSync });
  const read = openReadStore(config.readStore, { synchronous: config.sqliteSync });
  const progress = phasedProgress();
  try {
    const report = await rebuild(store, read, projections, {
      dryRun,
      batchSize: config.rebuildBatch,
      deriveBudget: { maxSteps: config.deriveBudget },
      onProgress: (p) =>
        progress.update(
          `${p.phase === 'replay' ? 'rebuild' : 'derive'} ${p.projection}`,
          p.phase === 'replay' ? 'events' : 'documents',
          p,
        ),
      ...(diff
        ? {
            onDiff: (d) =>
              process.stdout.write(`${d.projection} ${d.key}\n${d.changes.map((c) => `  ${c}\n`).join('')}`),
          }
        : {}),
    });
    progress.finish();
    process.stdout.write(`${JSON.stringify({ dryRun, ...report })}\n`);
    return 0;
  } finally {
    await read.close();
    await store.close();
  }
}

/** A flag value checked by its schema: the error names the flag and the rule. */
function checked<T>(name: string, schema: z.ZodType<T>, value: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`--${name} ${JSON.stringify(value)}: ${r.error.issues[0]!.message}`);
  return r.data;
}

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

async function postCommand(args: string[]): Promise<number> {
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

async function reconcileCommand(args: string[]): Promise<number> {
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

async function reprepareCommand(args: string[]): Promise<number> {
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

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      await start();
      return -1; // keeps running
    case 'verify':
      return verifyCommand(args);
    case 'import':
      return importCommand(args[0]);
    case 'project':
      return projectCommand(args);
    case 'rebuild':
      return rebuildCommand(args);
    case 'generate':
      return generateCommand(args);
    case 'post':
      return postCommand(args);
    case 'reprepare':
      return reprepareCommand(args);
    case 'reconcile':
      return reconcileCommand(args);
    case 'evidence':
      return evidenceCommand(loadConfig(), args);
    case 'mappings':
      return mappingsCommand(loadConfig(), args);
    case 'exceptions':
      return exceptionsCommand(loadConfig(), args).catch((err: unknown) => {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`revtrail: ${err.message}\n`);
        return 2;
      });
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`revtrail: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
