// GET /health: liveness plus the store's kind and head, so operators see which log the node is bound to, and each
// projection's lag when the node runs them.
import type { FastifyPluginAsync } from 'fastify';
import type { EventStore } from '../store/index.js';
import { formatPosition } from '../../schemas/index.js';

export interface HealthOptions {
  store: EventStore;
  /** What may be shown of the store's location (see redactStoreLocation); nothing when undefined. */
  storeLocation?: string;
  /** Lag of each projection, when the node runs them. */
  projections?: () => Promise<{ projection: string; caughtUp: boolean; eventsBehind: number | null }[]>;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { store, storeLocation, projections }) => {
  const location = storeLocation === undefined ? {} : { location: storeLocation };
  app.get('/health', async (_req, reply) => {
    try {
      const head = await store.headPosition();
      const lag = projections
        ? (await projections()).map(({ projection, caughtUp, eventsBehind }) => ({
            projection,
            caughtUp,
            eventsBehind,
          }))
        : undefined;
      return {
        status: 'ok',
        store: { kind: store.kind, ...location, head: head && formatPosition(head) },
        ...(lag ? { projections: lag } : {}),
      };
    } catch (err) {
      app.log.error({ err }, 'health check: event store unreachable');
      return reply
        .code(503)
        .send({ status: 'unavailable', store: { kind: store.kind, ...location, error: 'unreachable' } });
    }
  });
};
