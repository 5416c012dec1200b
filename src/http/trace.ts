// GET /v1/trace/:correlationId (read scope, as the lineage reads): everything one correlation id reached — the events
// carrying it, their contracts, the journals built from them and their ERP documents (src/audit/correlation.ts).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Text } from '../../schemas/index.js';
import { traceCorrelation } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import { lookupRoute } from './lookup.js';

export interface TraceRoutesOptions {
  store: EventStore;
  read: ReadStore;
  keys: KeyRing;
}

const Params = z.object({ correlationId: Text(128) });

export const traceRoutes: FastifyPluginAsync<TraceRoutesOptions> = async (app, { store, read, keys }) => {
  lookupRoute(app, keys, {
    url: '/v1/trace/:correlationId',
    summary: 'Every event, contract, journal and ERP document one correlation id reached',
    tags: ['read'],
    params: Params,
    unknown: 'UNKNOWN_CORRELATION_ID',
    detail: 'no event carries this correlation id',
    find: async ({ correlationId }) => {
      const trace = await traceCorrelation({ store, read }, correlationId);
      return trace.events.length === 0 ? null : trace;
    },
  });
};
