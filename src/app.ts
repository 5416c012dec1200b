// Wires the service: configuration -> event store -> fastify app. Everything with I/O is created here.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { redactStoreLocation, runnerSettings } from './config.js';
import {
  adminRoutes,
  consoleRoutes,
  mappingPreviewRoutes,
  eventRoutes,
  exceptionRoutes,
  exportRoutes,
  healthRoutes,
  installCorrelation,
  installJsonBody,
  installProblemHandlers,
  loggerOptions,
  metricsRoutes,
  postingRoutes,
  readModelRoutes,
  traceRoutes,
} from './http/index.js';
import { KeyRing, ensureDemoKey, keysFromEnv, keysFromFile } from './auth/index.js';
import type { LogDestination } from './http/index.js';
import type { ApiKey } from './auth/index.js';
import { graphqlRoutes } from './graphql/index.js';
import { IngestThread } from './http/ingest-thread.js';
import { Ingestor } from './ingest/index.js';
import type { Erp } from './posting/erp.js';
import { erpFrom } from './posting/erp.js';
import { PROJECTIONS } from '../projections/index.js';
import { openReadStore } from './readmodel/index.js';
import type { ReadStore } from './readmodel/index.js';
import { LiveProjections, ProjectionRunner } from './runner/index.js';
import type { StoreFiles } from './runner/index.js';
import { openStore } from './store/index.js';
import { configureMetrics, recordProjectionBatch } from './metrics/index.js';
import { openExceptions } from './metrics/exceptions.js';
import type { ExceptionDeps } from './audit/exceptions.js';
import { ReadModelWatcher } from './metrics/watcher.js';
import type { EventStore } from './store/index.js';

export interface App {
  http: FastifyInstance;
  store: EventStore;
  read: ReadStore;
  /** The projections this node runs (live when configured; `status()` reports their lag either way). */
  projections: ProjectionRunner;
  /** The live projections, once the server listens (null with REVTRAIL_PROJECTIONS=off or before). */
  readonly live: LiveProjections | null;
  /** The ERP posting runs post to (REVTRAIL_CONNECTOR). */
  erp: Erp;
  close(): Promise<void>;
}

export interface AppDeps {
  store?: EventStore;
  /** API keys; default: from configuration (env, file, or the demo key on first run). */
  keys?: ApiKey[];
  now?: () => Date;
  /** The ERP; default: from configuration. */
  erp?: Erp;
  /** Where log lines go; default: stdout. Tests pass a destination to read what would be logged. */
  logDestination?: LogDestination;
}

function configuredKeys(config: Config): ApiKey[] {
  const keys = [...keysFromEnv(config.apiKeys), ...keysFromFile(config.apiKeysFile)];
  return keys.length > 0 ? keys : ensureDemoKey(config.demoKeyFile.hashed, config.demoKeyFile.plain);
}

/** The stores as files another thread can open: null for a store given as an object that is not a file. */
function storeFile(config: Config, given: EventStore | undefined): StoreFiles | null {
  const location = given === undefined ? config.store : (given as { path?: unknown }).path;
  if (typeof location !== 'string' || (given !== undefined && given.kind !== 'sqlite')) return null;
  return { store: location, readStore: config.readStore, sqliteSync: config.sqliteSync };
}

/**
 * Prometheus metrics (docs/operations.md, "Metrics"): labels this process as an API node, serves GET /metrics
 * behind the `metrics` scope, and refreshes the read-model gauges once the server listens. Off: nothing is served.
 */
async function serveMetrics(
  http: FastifyInstance,
  config: Config,
  deps: { keys: KeyRing; read: ReadStore; store: EventStore; now: () => Date; exceptions: ExceptionDeps },
): Promise<ReadModelWatcher | null> {
  const registry = configureMetrics({ role: 'api', partition: 'all', enabled: config.metrics.enabled });
  if (!config.metrics.enabled) return null;
  await http.register(metricsRoutes, { keys: deps.keys, registry });
  const watcher = new ReadModelWatcher({
    read: deps.read,
    store: deps.store,
    now: deps.now,
    exceptions: () => openExceptions(deps.exceptions),
    closeDays: config.metrics.closeDays,
    refreshMs: config.metrics.refreshMs,
    onError: (err) => http.log.warn({ err }, 'metrics: read-model gauges not refreshed'),
  });
  http.addHook('onListen', async () => watcher.start());
  return watcher;
}

/**
 * POST /v1/events's worker thread, over its own connection to the event store (src/http/ingest-thread.ts); null
 * (ingest on this thread) when configured so, when the store is an object that is not a file, when a clock is
 * injected (a thread cannot share it), or when the worker is not compiled.
 */
function ingestThread(config: Config, deps: AppDeps, store: EventStore): IngestThread | null {
  const files = storeFile(config, deps.store);
  if (!config.ingestThread || files === null || deps.now !== undefined || !IngestThread.available()) return null;
  const data = { store: files.store, sqliteSync: config.sqliteSync, limits: config.limits, nice: config.workerNice };
  return new IngestThread(data, () => store.appendedElsewhere?.());
}

/** Tags of the routes their plugins register without one, for the OpenAPI document. */
const UNTAGGED: Record<string, string> = { '/graphql': 'graphql', '/health': 'operations' };

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const store = deps.store ?? openStore(config.store, { synchronous: config.sqliteSync });
  const keys = new KeyRing(deps.keys ?? configuredKeys(config));
  const now = deps.now ?? (() => new Date());
  const ingestor = new Ingestor(store, { now, limits: config.limits });
  const http = Fastify({
    // Secrets (keys in headers, query parameters, connection payloads) are redacted from every line: see http/redact.ts.
    logger: loggerOptions(config.logLevel, deps.logDestination),
    bodyLimit: config.bodyLimitBytes,
    // Request ids: the caller's X-Request-Id when given (so logs join across systems), else generated.
    requestIdHeader: 'x-request-id',
    // Bodies with prototype keys are refused as a whole (fastify's default, stated so it cannot drift).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  // Correlation ids first: every later hook and route logs through the child logger it binds them into.
  installCorrelation(http);
  installJsonBody(http);
  // zod validates (per event, with domain codes); route JSON Schemas exist for the OpenAPI document only.
  http.setValidatorCompiler(() => () => true);
  installProblemHandlers(http);
  await http.register(rateLimit, { max: config.rateLimitPerMinute, timeWindow: '1 minute' });
  await http.register(swagger, {
    openapi: {
      info: { title: 'Revtrail API', version: '1', description: 'Event-sourced financial lineage ledger' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Routes registered without a tag (mercurius's /graphql, /health) are grouped under one too, so that the explorer
    // at /docs shows every operation under its tag rather than under "default".
    transform: ({ schema, url }) => ({
      schema: schema?.tags ? schema : { ...schema, tags: [UNTAGGED[url] ?? 'other'] },
      url,
    }),
  });
  // Operations grouped under their tags (ingest, read, posting, ...), tags and operations in a stable order.
  await http.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { tagsSorter: 'alpha', operationsSorter: 'alpha', docExpansion: 'list' },
  });
  const read = openReadStore(config.readStore, { synchronous: config.sqliteSync });
  const projections = new ProjectionRunner(store, read, PROJECTIONS, {
    batchSize: config.runnerBatch,
    deriveBudget: { maxSteps: config.deriveBudget },
  });
  const status = () => projections.status();
  await http.register(healthRoutes, { store, storeLocation: redactStoreLocation(config.store), projections: status });
  const thread = ingestThread(config, deps, store);
  await http.register(eventRoutes, { store, ingestor, thread, keys });
  const erp = deps.erp ?? erpFrom(config.connector);
  await http.register(adminRoutes, { store, keys, now, erp });
  await http.register(readModelRoutes, { read, keys, status });
  await http.register(postingRoutes, { store, keys, erp, posting: config.posting, now });
  await http.register(traceRoutes, { store, read, keys });
  const budget = { maxSteps: config.deriveBudget };
  await http.register(mappingPreviewRoutes, { deps: { store, read }, keys, erp, budget });
  const held = { now, maxAgeDays: config.heldMaxAgeDays };
  const exceptionDeps: ExceptionDeps = { store, read, held, now, sla: config.exceptionSla };
  const watcher = await serveMetrics(http, config, { keys, read, store, now, exceptions: exceptionDeps });
  await http.register(exceptionRoutes, { deps: exceptionDeps, ingestor, keys });
  await http.register(exportRoutes, { deps: exceptionDeps, keys, limits: config.exports, status });
  // The console at /console/ and GraphiQL (one of its pages, /graphiql redirects there): static files, no CDN.
  await http.register(consoleRoutes, { keys });
  // GraphQL at /graphql (GraphiQL from the console, subscriptions over graphql-ws on the same path), `read` scope.
  await http.register(graphqlRoutes, {
    read,
    store,
    keys,
    held,
    exceptions: { deps: exceptionDeps, ingestor },
    connector: config.connector,
    deriveBudget: budget,
  });
  // The live projections run in a worker thread with their own connections to the stores (src/runner/live.ts), so
  // their SQLite work and derivations never hold up this event loop; this process reads their lag and quarantine from
  // the read store's checkpoints and documents (`projections.status()`). They run on this thread only over a store
  // given as an object that is not a file. They start once the server listens, so that the listening socket is not
  // held up, and /health reports the lag meanwhile.
  let closed = false;
  let live: LiveProjections | null = null;
  if (config.liveProjections) {
    const files = storeFile(config, deps.store);
    http.addHook('onListen', async () => {
      live = LiveProjections.start(
        {
          ...runnerSettings(config),
          nice: config.workerNice,
          onPhase: (phase, eventsBehind) =>
            phase === 'catching-up'
              ? http.log.info({ eventsBehind }, 'projections far behind: catching up stream by stream')
              : http.log.debug('projections following the log'),
          onError: (err) => http.log.error({ err }, 'projection runner failed; restarting from the checkpoint'),
          ...(config.metrics.enabled ? { onProjectionBatch: (batch) => recordProjectionBatch(batch) } : {}),
        },
        files,
        { store, read, projections: PROJECTIONS },
      );
    });
  }
  return {
    http,
    store,
    read,
    projections,
    get live() {
      return live;
    },
    erp,
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await thread?.close();
      await watcher?.stop();
      await live?.stop();
      await erp.close();
      await read.close();
      await store.close();
    },
  };
}
