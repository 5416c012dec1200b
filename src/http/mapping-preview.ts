// The effect of a proposed product mapping before it is published (`POST /v1/mappings/products/dry-run`, scope
// `read`): validated as a publication would be, then answered per period and currency and per changed contract
// (src/audit/mapping-preview.ts), a page of contracts at a time. It appends nothing and writes no read model.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { DeriveBudget } from '../../projections/index.js';
import { Id, ProductMappingSet } from '../../schemas/index.js';
import { checkProposal, previewProductMapping } from '../audit/index.js';
import type { AuditDeps } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import type { Erp } from '../posting/erp.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface MappingPreviewOptions {
  deps: AuditDeps;
  keys: KeyRing;
  /** The ERP the mapping would be posted to: its account codes are checked as a publication checks them. */
  erp: Erp;
  /** The live projection's derivation budget: a schedule over it would be quarantined, and the preview says so. */
  budget: DeriveBudget;
}

/** The largest page of changed contracts one answer holds. */
export const MAX_PREVIEW_PAGE = 200;

const PreviewQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PREVIEW_PAGE).default(50),
  after: Id.optional(),
});

export const mappingPreviewRoutes: FastifyPluginAsync<MappingPreviewOptions> = async (
  app,
  { deps, keys, erp, budget },
) => {
  app.post(
    '/v1/mappings/products/dry-run',
    {
      preHandler: keys.require('read'),
      schema: {
        summary: 'The per-period revenue effect of a proposed product mapping, before it is published (writes nothing)',
        tags: ['mappings'],
      },
    },
    async (req, reply) => {
      const query = parseOrReply(PreviewQuery, req.query, reply);
      const set = query && parseOrReply(ProductMappingSet, req.body, reply);
      if (!query || !set) return reply;
      const checked = await checkProposal(deps, erp.kind, set);
      if (checked.refused !== null) {
        const invalid = checked.refused === 'invalid';
        return sendProblem(reply, {
          title: invalid ? 'Bad Request' : 'Conflict',
          status: invalid ? 400 : 409,
          code: checked.errors[0]!.code,
          errors: checked.errors,
        });
      }
      const preview = await previewProductMapping(
        deps,
        set,
        { limit: query.limit, after: query.after ?? null },
        budget,
      );
      return { kind: 'products', unchanged: checked.unchanged, ...preview };
    },
  );
};
