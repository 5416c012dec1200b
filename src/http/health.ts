// GET /health: liveness plus the store's kind and head, so operators see which log the node is bound to.
import type { FastifyPluginAsync } from 'fastify';
import type { EventStore } from '../store/index.js';
import { formatPosition } from '../store/index.js';

export interface HealthOptions {
  store: EventStore;
  storeLocation: string;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { store, storeLocation }) => {
  app.get('/health', async (_req, reply) => {
    try {
      const head = await store.headPosition();
      return { status: 'ok', store: { kind: store.kind, location: storeLocation, head: head && formatPosition(head) } };
    } catch (err) {
      app.log.error({ err }, 'health check: event store unreachable');
      return reply
        .code(503)
        .send({ status: 'unavailable', store: { kind: store.kind, location: storeLocation, error: 'unreachable' } });
    }
  });
};
