// The projection worker's own small HTTP server (REVTRAIL_METRICS_PORT): GET /health with the worker's phase and each
// projection's lag, for orchestrators' health checks. It is a fastify instance like the API's, so other routes (e.g.
// /metrics) are plugins registered on it before it listens.
import Fastify from 'fastify';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { WorkerStatus } from './worker.js';

export interface WorkerServerOptions {
  /** The worker's status; a throw (e.g. the read store unreachable) answers 503. */
  status: () => Promise<WorkerStatus>;
  /** More routes, as fastify plugins (registered in order, before the server listens). */
  plugins?: readonly FastifyPluginAsync[];
}

/**
 * /health answers 200 while the worker runs (catching up or following: `caughtUp` tells the lag), and 503 while it
 * restarts after a failure, has stopped, or cannot read its checkpoints.
 */
export async function buildWorkerServer(options: WorkerServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/health', async (_req, reply) => {
    try {
      const status = await options.status();
      const ok = status.phase !== 'restarting' && status.phase !== 'stopped';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', ...status });
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', error: err instanceof Error ? err.message : String(err) });
    }
  });
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}

/** Listens on `host`:`port` (0: a free port); resolves to the port it got. */
export async function listenWorkerServer(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('worker server: no TCP address');
  return address.port;
}
