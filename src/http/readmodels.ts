// Read-model routes: a contract's revenue schedule and versions as the projections hold them, and where each
// projection stands against the log (its lag). GraphQL (src/graphql) is the full audit surface; these are the
// plain-HTTP views operators and scripts use.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { Id } from '../../schemas/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { ProjectionStatus } from '../runner/index.js';
import type { KeyRing } from './auth.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface ReadModelOptions {
  read: ReadStore;
  keys: KeyRing;
  status: () => Promise<ProjectionStatus[]>;
}

const ContractParams = z.object({ contractId: Id });

export const readModelRoutes: FastifyPluginAsync<ReadModelOptions> = async (app, { read, keys, status }) => {
  app.get(
    '/v1/projections',
    {
      preHandler: keys.require('read'),
      schema: { summary: 'Each projection: generation, checkpoint, head, events behind (lag)', tags: ['read'] },
    },
    async () => ({ projections: await status() }),
  );

  const document = (projection: string, path: string, summary: string) =>
    app.get(
      `/v1/contracts/:contractId/${path}`,
      { preHandler: keys.require('read'), schema: { summary, tags: ['read'] } },
      async (req, reply) => {
        const params = parseOrReply(ContractParams, req.params, reply);
        if (!params) return reply;
        const doc = await read.get(projection, params.contractId);
        if (!doc) return sendProblem(reply, { title: 'Not Found', status: 404, code: 'UNKNOWN_CONTRACT' });
        return doc;
      },
    );
  document('revenue-schedule', 'schedule', 'Revenue schedule, obligations, balances and lineage (revenue-schedule)');
  document('contract-versions', 'versions', 'Versions in version order, held versions, lines (contract-versions)');
};
