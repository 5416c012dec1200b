// Read-model routes: a contract's revenue schedule, versions and posting status as the projections hold them, a
// posting batch's journals, and where each projection stands against the log (its lag). GraphQL (src/graphql) is the full audit surface; these are the
// plain-HTTP views operators and scripts use.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { batchStatus, contractPostingStatus } from '../audit/index.js';
import { Id, Period } from '../../schemas/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { ProjectionStatus } from '../runner/index.js';
import type { KeyRing } from '../auth/index.js';
import { lookupRoute } from './lookup.js';

export interface ReadModelOptions {
  read: ReadStore;
  keys: KeyRing;
  status: () => Promise<ProjectionStatus[]>;
}

const ContractParams = z.object({ contractId: Id });
const ThroughQuery = z.object({ through: Period.optional() });
const BatchParams = z.object({ batchId: Id });
/** The most journals of a batch one answer lists (a run posts one per contract: thousands). */
const MAX_BATCH_PAGE = 500;
const BatchQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_BATCH_PAGE).default(MAX_BATCH_PAGE),
  offset: z.coerce.number().int().min(0).default(0),
});

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
    lookupRoute(app, keys, {
      url: `/v1/contracts/:contractId/${path}`,
      summary,
      tags: ['read'],
      params: ContractParams,
      unknown: 'UNKNOWN_CONTRACT',
      find: ({ contractId }) => read.get(projection, contractId),
    });
  document('revenue-schedule', 'schedule', 'Revenue schedule, obligations, balances and lineage (revenue-schedule)');
  document('contract-versions', 'versions', 'Versions in version order, held versions, lines (contract-versions)');

  lookupRoute(app, keys, {
    url: '/v1/contracts/:contractId/posting-status',
    summary: 'Billed, recognised, journaled and posted revenue through a period; every journal and its ERP status',
    tags: ['read'],
    querystring: { type: 'object', properties: { through: { type: 'string', pattern: '^\\d{4}-\\d{2}$' } } },
    params: ContractParams,
    query: ThroughQuery,
    unknown: 'UNKNOWN_CONTRACT',
    find: ({ contractId }, query) => contractPostingStatus(read, contractId, query),
  });

  lookupRoute(app, keys, {
    url: '/v1/posting-batches/:batchId',
    summary: 'The journals a posting batch submitted (paged: limit, offset), their attempts and ERP outcomes',
    tags: ['read'],
    params: BatchParams,
    query: BatchQuery,
    unknown: 'UNKNOWN_BATCH',
    find: async ({ batchId }, { limit, offset }) => {
      const batch = await batchStatus(read, batchId);
      if (!batch) return null;
      // The counts are the whole batch's; the journals a page of them (`journalCount` in all).
      const { journals, ...whole } = batch;
      return {
        ...whole,
        journalCount: journals.length,
        limit,
        offset,
        journals: journals.slice(offset, offset + limit),
      };
    },
  });
};
