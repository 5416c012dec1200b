// GET /metrics for fastify: the registry in Prometheus' text exposition format. Routes put their own guard in front
// (the API: the `metrics` scope; a projection worker: its own metrics port).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';

export function metricsHandler(registry: Registry) {
  return async (_req: FastifyRequest, reply: FastifyReply): Promise<string> => {
    const text = await registry.metrics();
    void reply.type(registry.contentType);
    return text;
  };
}
