// Wires the service: configuration -> event store -> fastify app. Everything with I/O is created here.
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { redactStoreLocation } from './config.js';
import { healthRoutes } from './http/index.js';
import { openStore } from './store/index.js';
import type { EventStore } from './store/index.js';

export interface App {
  http: FastifyInstance;
  store: EventStore;
  close(): Promise<void>;
}

export async function buildApp(config: Config, deps: { store?: EventStore } = {}): Promise<App> {
  const store = deps.store ?? openStore(config.store, { synchronous: config.sqliteSync });
  const http = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
    disableRequestLogging: false,
  });
  await http.register(healthRoutes, { store, storeLocation: redactStoreLocation(config.store) });
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
