// GET /v1/trace/:correlationId (read scope, as the lineage reads): everything one correlation id reached — the events
// carrying it, their contracts, the journals built from them and their ERP documents (src/audit/correlation.ts).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Text } from '../../schemas/index.js';
import { traceCorrelation } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface TraceRoutesOptions {
  store: EventStore;
  read: ReadStore;
  keys: KeyRing;
}

const Params = z.object({ correlationId: Text(128) });

export const traceRoutes: FastifyPluginAsync<TraceRoutesOptions> = async (app, { store, read, keys }) => {
  app.get(
    '/v1/trace/:correlationId',
    {
      preHandler: keys.require('read'),
      schema: {
        summary: 'Every event, contract, journal and ERP document one correlation id reached',
        tags: ['read'],
      },
    },
    async (req, reply) => {
      const params = parseOrReply(Params, req.params, reply);
      if (!params) return reply;
      const trace = await traceCorrelation({ store, read }, params.correlationId);
      if (trace.events.length === 0)
        return sendProblem(reply, {
          title: 'Not Found',
          status: 404,
          code: 'UNKNOWN_CORRELATION_ID',
          detail: 'no event carries this correlation id',
        });
      return trace;
    },
  );
};
