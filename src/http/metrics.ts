// GET /metrics (Prometheus text format) on the API port, behind a scope of its own (`metrics`): the scraping
// Prometheus holds a key that reads metrics and nothing else, and no second port has to be opened, firewalled and
// kept in step with the API's TLS and bind settings (docs/operations.md, "Metrics").
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { KeyRing } from '../auth/index.js';
import { METRICS } from '../auth/index.js';
import { metricsHandler } from '../metrics/index.js';

export interface MetricsRoutesOptions {
  keys: KeyRing;
  registry: Registry;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { keys, registry }) => {
  app.get(
    '/metrics',
    {
      preHandler: keys.require(METRICS),
      schema: { summary: 'Prometheus metrics (text exposition format); `metrics` scope', tags: ['operations'] },
    },
    metricsHandler(registry),
  );
};
