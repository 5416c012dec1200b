// Configuration from the environment, validated once at start-up: a bad value names the variable and the rule.
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../schemas/index.js';
import type { Limits } from '../schemas/index.js';
import { EXCEPTION_KINDS } from '../projections/index.js';
import type { ExceptionKind } from '../projections/index.js';
import { DEFAULT_CACHED_DOCUMENTS } from './runner/cache.js';
import { DEFAULT_COALESCE_MAX_MS } from './runner/runner.js';

/** Hours an exception of each kind may stay unresolved before it is overdue (REVTRAIL_EXCEPTION_SLA overrides). */
export const DEFAULT_EXCEPTION_SLA_HOURS: Readonly<Record<ExceptionKind, number>> = {
  refused_input: 24,
  held: 72,
  held_too_long: 24,
  schedule: 48,
  quarantined: 24,
  journal_blocked: 48,
  journal_rejected: 24,
  reconciliation_break: 24,
};

/** `kind=hours,...` over the defaults; an unknown kind or hours that are not a positive number are refused. */
export function parseExceptionSla(text: string | undefined): Record<ExceptionKind, number> {
  const sla = { ...DEFAULT_EXCEPTION_SLA_HOURS };
  for (const part of (text ?? '').split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const m = /^([a-z_]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || !(EXCEPTION_KINDS as readonly string[]).includes(m[1]!) || Number(m[2]) <= 0)
      throw new ConfigError(
        `invalid configuration: REVTRAIL_EXCEPTION_SLA: ${JSON.stringify(part)} must be kind=hours (hours > 0) ` +
          `with kind one of ${EXCEPTION_KINDS.join(', ')}`,
      );
    sla[m[1] as ExceptionKind] = Number(m[2]);
  }
  return sla;
}

/** A whole-number setting from `min` to `max`, `fallback` when unset. */
function wholeNumber(min: number, max: number, fallback: number) {
  return z.coerce.number().int().min(min).max(max).default(fallback);
}

const Env = z.object({
  REVTRAIL_STORE: z
    .string()
    .min(1)
    .default('./data/revtrail.db')
    .describe('esdb://host:port?tls=false for EventStoreDB, otherwise the embedded SQLite file'),
  REVTRAIL_SQLITE_SYNC: z.enum(['full', 'normal']).default('full'),
  REVTRAIL_HOST: z.string().min(1).default('127.0.0.1'),
  REVTRAIL_PORT: wholeNumber(0, 65535, 8080),
  REVTRAIL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REVTRAIL_API_KEYS: z.string().optional(),
  REVTRAIL_API_KEYS_FILE: z.string().optional(),
  REVTRAIL_DATA_DIR: z.string().min(1).default('./data'),
  REVTRAIL_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  REVTRAIL_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  REVTRAIL_DEMO_CONTRACTS: z.coerce.number().int().min(0).default(200),
  REVTRAIL_HELD_MAX_AGE_DAYS: z.coerce.number().min(0).default(7),
  REVTRAIL_EXPORT_MAX_ROWS: wholeNumber(1, 1_000_000, 100_000),
  REVTRAIL_EVIDENCE_MAX_JOURNALS: wholeNumber(1, 100_000, 5_000),
  REVTRAIL_METRICS: z.enum(['on', 'off']).default('on'),
  REVTRAIL_METRICS_REFRESH_MS: wholeNumber(100, 3_600_000, 15_000),
  REVTRAIL_CLOSE_DAYS: wholeNumber(0, 366, 10),
  REVTRAIL_EXCEPTION_SLA: z.string().optional().describe('kind=hours,... over the default SLA of each exception kind'),
  REVTRAIL_READ_STORE: z
    .string()
    .min(1)
    .optional()
    .describe('postgres://user:password@host:port/database for PostgreSQL, otherwise the SQLite file'),
  REVTRAIL_RUNNER_BATCH: wholeNumber(1, 100_000, 500),
  REVTRAIL_RUNNER_MAX_BATCH: wholeNumber(1, 100_000, 40_000),
  REVTRAIL_RUNNER_CACHE: wholeNumber(0, 1_000_000, DEFAULT_CACHED_DOCUMENTS),
  REVTRAIL_RUNNER_COALESCE_MS: wholeNumber(0, 60_000, DEFAULT_COALESCE_MAX_MS),
  REVTRAIL_REBUILD_BATCH: wholeNumber(1, 10_000_000, 1_000_000),
  REVTRAIL_DERIVE_BUDGET: z.coerce.number().int().min(1).default(1_000_000),
  REVTRAIL_PROJECTIONS: z.enum(['live', 'off']).default('live'),
  REVTRAIL_CATCH_UP_EVENTS: z.coerce.number().int().min(1).default(20_000),
  REVTRAIL_INGEST: z.enum(['thread', 'inline']).default('thread'),
  REVTRAIL_WORKER_NICE: wholeNumber(0, 19, 19),
  REVTRAIL_CONNECTOR: z.enum(['simulated', 'file', 'tryton']).default('simulated'),
  REVTRAIL_ERP_DIR: z.string().min(1).optional(),
  REVTRAIL_TRYTON_URL: z.url({ protocol: /^https?$/ }).optional(),
  REVTRAIL_TRYTON_DATABASE: z.string().min(1).optional(),
  REVTRAIL_TRYTON_USER: z.string().min(1).default('admin'),
  REVTRAIL_TRYTON_PASSWORD: z.string().min(1).optional(),
  REVTRAIL_TRYTON_JOURNAL: z.string().min(1).default('LSYNC'),
  REVTRAIL_POSTING_BATCH: wholeNumber(1, 1000, 50),
  REVTRAIL_POSTING_ATTEMPTS: wholeNumber(1, 20, 4),
  REVTRAIL_POSTING_BACKOFF_MS: wholeNumber(0, 60_000, 200),
  REVTRAIL_POSTING_TIMEOUT_MS: wholeNumber(1, 600_000, 30_000),
  REVTRAIL_POSTING_LEASE_MS: wholeNumber(300, 3_600_000, 60_000),
  // Bounds on the work one inbound event can cause (docs/http.md, "Bounds"); raising them raises the worst case too.
  REVTRAIL_MAX_SERVICE_TERM_YEARS: wholeNumber(1, 100, DEFAULT_LIMITS.maxServiceTermYears),
  REVTRAIL_MAX_USAGE_PERIOD_DAYS: wholeNumber(1, 3660, DEFAULT_LIMITS.maxUsagePeriodDays),
  REVTRAIL_MAX_CONTRACT_SPAN_YEARS: wholeNumber(1, 200, DEFAULT_LIMITS.maxContractSpanYears),
  REVTRAIL_MAX_CONTRACT_EVENTS: wholeNumber(1, 1_000_000, DEFAULT_LIMITS.maxContractEvents),
  REVTRAIL_MAX_CONTRACT_VERSIONS: wholeNumber(1, 100_000, DEFAULT_LIMITS.maxContractVersions),
  REVTRAIL_MAX_CONTRACT_LINES: wholeNumber(1, 100_000, DEFAULT_LIMITS.maxContractLines),
});

export interface Config {
  store: string;
  sqliteSync: 'full' | 'normal';
  host: string;
  port: number;
  logLevel: z.infer<typeof Env>['REVTRAIL_LOG_LEVEL'];
  /** JSON [{name, scopes, key}]: hashed at start-up, plaintext not kept. */
  apiKeys: string | undefined;
  /** JSON file [{name, scopes, sha256}]. */
  apiKeysFile: string | undefined;
  /** Where a first run without configured keys keeps its demo key (plaintext 0600 + hash). */
  demoKeyFile: { hashed: string; plain: string };
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** Contracts of demo data generated into an empty store on start (0: none). */
  demoContracts: number;
  /** Days (of receivedAt) a held event may wait before it is an exception, HELD_TOO_LONG. */
  heldMaxAgeDays: number;
  /**
   * Bounds of the exports (docs/http.md, "Exports"): rows one CSV/XLSX export holds, journals (each with its
   * lineage) one evidence pack holds; larger is refused with 413, never truncated.
   */
  exports: { maxRows: number; evidenceMaxJournals: number };
  /**
   * Prometheus metrics (docs/operations.md, "Metrics"): served at GET /metrics (`metrics` scope) when on; the
   * read-model gauges refreshed every `refreshMs`; a period with journals still open `closeDays` days after its end
   * counts in the close backlog.
   */
  metrics: { enabled: boolean; refreshMs: number; closeDays: number };
  /** Hours an exception of each kind may stay unresolved (its SLA). */
  exceptionSla: Record<ExceptionKind, number>;
  /** The read-model SQLite file, or a postgres:// URL for PostgreSQL (disposable: rebuilt from the log). */
  readStore: string;
  runnerBatch: number;
  /** The most events a live batch grows to while the follower is behind (at least runnerBatch). */
  runnerMaxBatch: number;
  /** Committed documents the live runner keeps in memory between batches (0: none). */
  runnerCache: number;
  /** The longest a live batch waits for more events after a slow commit (0: never). */
  runnerCoalesceMs: number;
  /** Events per committed batch of a rebuild (documents are derived once at the end, so larger is cheaper). */
  rebuildBatch: number;
  /**
   * The most revenue-engine steps one document's derivation may take (one per obligation per month, times its phases
   * and usage records); a document over it is quarantined (PROJECTION_FAILED) instead of holding up the runner.
   */
  deriveBudget: number;
  /** Run the projections live beside the service (`start`): in a worker thread of its own. */
  liveProjections: boolean;
  /**
   * Events behind the log's head (and at least a quarter of the log) from which the live runner catches up stream by
   * stream, as a rebuild does, instead of following the log (src/runner/live.ts).
   */
  catchUpEvents: number;
  /**
   * POST /v1/events in a worker thread of its own (`thread`, when the store is a file or an EventStoreDB it can open)
   * or on the API's event loop (`inline`): src/http/ingest-thread.ts.
   */
  ingestThread: boolean;
  /** The nice value of the API's worker threads (ingest, live projections), so reads come first: Linux only. */
  workerNice: number;
  /** The ERP posting runs post to. */
  connector: ConnectorConfig;
  posting: { batchSize: number; maxAttempts: number; backoffMs: number; timeoutMs: number; leaseMs: number };
  /** Bounds on inbound events and on each contract (schemas/bounds.ts). */
  limits: Limits;
}

export type ConnectorConfig =
  | { kind: 'simulated' }
  | { kind: 'file'; dir: string }
  | { kind: 'tryton'; url: string; database: string; username: string; password: string; journalCode: string };

/** How a projection runner batches and catches up, from configuration (the API's live runner and `project --follow`). */
export function runnerSettings(config: Config) {
  return {
    batchSize: config.runnerBatch,
    maxBatchSize: config.runnerMaxBatch,
    cachedDocuments: config.runnerCache,
    coalesceMaxMs: config.runnerCoalesceMs,
    deriveBudget: { maxSteps: config.deriveBudget },
    catchUpEvents: config.catchUpEvents,
    rebuildBatch: config.rebuildBatch,
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    connector: connectorConfig(e),
    posting: {
      batchSize: e.REVTRAIL_POSTING_BATCH,
      maxAttempts: e.REVTRAIL_POSTING_ATTEMPTS,
      backoffMs: e.REVTRAIL_POSTING_BACKOFF_MS,
      timeoutMs: e.REVTRAIL_POSTING_TIMEOUT_MS,
      leaseMs: e.REVTRAIL_POSTING_LEASE_MS,
    },
    store: e.REVTRAIL_STORE,
    sqliteSync: e.REVTRAIL_SQLITE_SYNC,
    host: e.REVTRAIL_HOST,
    port: e.REVTRAIL_PORT,
    logLevel: e.REVTRAIL_LOG_LEVEL,
    apiKeys: e.REVTRAIL_API_KEYS,
    apiKeysFile: e.REVTRAIL_API_KEYS_FILE,
    demoKeyFile: {
      hashed: join(e.REVTRAIL_DATA_DIR, 'api-keys.json'),
      plain: join(e.REVTRAIL_DATA_DIR, 'demo-api-key.txt'),
    },
    bodyLimitBytes: e.REVTRAIL_BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.REVTRAIL_RATE_LIMIT_PER_MINUTE,
    demoContracts: e.REVTRAIL_DEMO_CONTRACTS,
    heldMaxAgeDays: e.REVTRAIL_HELD_MAX_AGE_DAYS,
    exports: { maxRows: e.REVTRAIL_EXPORT_MAX_ROWS, evidenceMaxJournals: e.REVTRAIL_EVIDENCE_MAX_JOURNALS },
    metrics: {
      enabled: e.REVTRAIL_METRICS === 'on',
      refreshMs: e.REVTRAIL_METRICS_REFRESH_MS,
      closeDays: e.REVTRAIL_CLOSE_DAYS,
    },
    exceptionSla: parseExceptionSla(e.REVTRAIL_EXCEPTION_SLA),
    readStore: e.REVTRAIL_READ_STORE ?? join(e.REVTRAIL_DATA_DIR, 'readmodel.db'),
    runnerBatch: e.REVTRAIL_RUNNER_BATCH,
    runnerMaxBatch: Math.max(e.REVTRAIL_RUNNER_BATCH, e.REVTRAIL_RUNNER_MAX_BATCH),
    runnerCache: e.REVTRAIL_RUNNER_CACHE,
    runnerCoalesceMs: e.REVTRAIL_RUNNER_COALESCE_MS,
    rebuildBatch: e.REVTRAIL_REBUILD_BATCH,
    deriveBudget: e.REVTRAIL_DERIVE_BUDGET,
    liveProjections: e.REVTRAIL_PROJECTIONS === 'live',
    catchUpEvents: e.REVTRAIL_CATCH_UP_EVENTS,
    ingestThread: e.REVTRAIL_INGEST === 'thread',
    workerNice: e.REVTRAIL_WORKER_NICE,
    limits: {
      maxServiceTermYears: e.REVTRAIL_MAX_SERVICE_TERM_YEARS,
      maxUsagePeriodDays: e.REVTRAIL_MAX_USAGE_PERIOD_DAYS,
      maxContractSpanYears: e.REVTRAIL_MAX_CONTRACT_SPAN_YEARS,
      maxContractEvents: e.REVTRAIL_MAX_CONTRACT_EVENTS,
      maxContractVersions: e.REVTRAIL_MAX_CONTRACT_VERSIONS,
      maxContractLines: e.REVTRAIL_MAX_CONTRACT_LINES,
    },
  };
}

function connectorConfig(e: z.infer<typeof Env>): ConnectorConfig {
  if (e.REVTRAIL_CONNECTOR === 'simulated') return { kind: 'simulated' };
  if (e.REVTRAIL_CONNECTOR === 'file')
    return { kind: 'file', dir: e.REVTRAIL_ERP_DIR ?? join(e.REVTRAIL_DATA_DIR, 'erp') };
  const missing = (['REVTRAIL_TRYTON_URL', 'REVTRAIL_TRYTON_DATABASE', 'REVTRAIL_TRYTON_PASSWORD'] as const).filter(
    (name) => e[name] === undefined,
  );
  if (missing.length > 0)
    throw new ConfigError(`invalid configuration: ${missing.join(', ')}: required when REVTRAIL_CONNECTOR=tryton`);
  return {
    kind: 'tryton',
    url: e.REVTRAIL_TRYTON_URL!,
    database: e.REVTRAIL_TRYTON_DATABASE!,
    username: e.REVTRAIL_TRYTON_USER,
    password: e.REVTRAIL_TRYTON_PASSWORD!,
    journalCode: e.REVTRAIL_TRYTON_JOURNAL,
  };
}

/**
 * What an unauthenticated caller may learn of where the log lives: for EventStoreDB its scheme and host:port list,
 * without credentials or options; for the embedded SQLite file nothing, since a path tells how the host is laid out.
 */
export function redactStoreLocation(location: string): string | undefined {
  const esdb = /^(esdb(?:\+discover)?:\/\/)(?:[^@/?#]*@)?([^/?#]*)/i.exec(location);
  return esdb ? `${esdb[1]!.toLowerCase()}${esdb[2]!}` : undefined;
}
