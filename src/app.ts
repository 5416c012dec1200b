// Wires the service: configuration -> event store -> fastify app. Everything with I/O is created here.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { redactStoreLocation } from './config.js';
import {
  KeyRing,
  adminRoutes,
  ensureDemoKey,
  keysFromEnv,
  keysFromFile,
  eventRoutes,
  healthRoutes,
  installProblemHandlers,
} from './http/index.js';
import type { ApiKey } from './http/index.js';
import { Ingestor } from './ingest/index.js';
import { openStore } from './store/index.js';
import type { EventStore } from './store/index.js';

export interface App {
  http: FastifyInstance;
  store: EventStore;
  close(): Promise<void>;
}

export interface AppDeps {
  store?: EventStore;
  /** API keys; default: from configuration (env, file, or the demo key on first run). */
  keys?: ApiKey[];
  now?: () => Date;
}

function configuredKeys(config: Config): ApiKey[] {
  const keys = [...keysFromEnv(config.apiKeys), ...keysFromFile(config.apiKeysFile)];
  return keys.length > 0 ? keys : ensureDemoKey(config.demoKeyFile.hashed, config.demoKeyFile.plain);
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const store = deps.store ?? openStore(config.store, { synchronous: config.sqliteSync });
  const keys = new KeyRing(deps.keys ?? configuredKeys(config));
  const now = deps.now ?? (() => new Date());
  const ingestor = new Ingestor(store, { now });
  const http = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
    bodyLimit: config.bodyLimitBytes,
    // Request ids: the caller's X-Request-Id when given (so logs join across systems), else generated.
    requestIdHeader: 'x-request-id',
  });
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
  });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  await http.register(healthRoutes, { store, storeLocation: redactStoreLocation(config.store) });
  await http.register(eventRoutes, { store, ingestor, keys });
  await http.register(adminRoutes, { store, keys, now });
  let closed = false;
  return {
    http,
    store,
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await store.close();
    },
  };
}
