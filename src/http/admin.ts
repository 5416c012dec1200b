// Mapping publication (`mappings:approve` scope) and period close/reopen (`periods:close` scope), plus reading both.
// Neither is `post`: the key that posts journals is not the key that approves their mappings or closes the books.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { MAPPING_EVENT, mappingStream } from '../../commands/mapping.js';
import { decidePeriod, evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import { Id, MAPPING_SETS, MappingKind, Period, PeriodChange } from '../../schemas/index.js';
import type { MappingSet } from '../../schemas/index.js';
import { decideOnStream } from '../handling/index.js';
import type { EventStore } from '../store/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import type { Erp } from '../posting/erp.js';
import { chartWarnings, unpostableAccounts } from '../posting/mapping-check.js';
import { publishMappingSet } from '../posting/register.js';
import { MAPPINGS_APPROVE, PERIODS_CLOSE } from '../auth/index.js';
import type { KeyRing } from '../auth/index.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface AdminRoutesOptions {
  store: EventStore;
  keys: KeyRing;
  now: () => Date;
  /** The ERP mappings are posted to: account codes are checked against it before they are published. */
  erp: Erp;
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { store, keys, now, erp }) => {
  const KindParams = z.object({ kind: MappingKind });

  app.post(
    '/v1/mappings/:kind',
    {
      preHandler: keys.require(MAPPINGS_APPROVE),
      schema: {
        summary: 'Publish a new version of the product mapping, the account mapping or the entity register',
        tags: ['mappings'],
        params: { type: 'object', properties: { kind: { enum: MappingKind.options } } },
      },
    },
    async (req, reply) => {
      const params = parseOrReply(KindParams, req.params, reply);
      if (!params) return reply;
      const kind = params.kind;
      const body = parseOrReply<MappingSet>(MAPPING_SETS[kind], req.body, reply);
      if (!body) return reply;
      const unpostable = unpostableAccounts(erp.kind, kind, body);
      if (unpostable.length > 0)
        return sendProblem(reply, {
          title: 'Bad Request',
          status: 400,
          code: 'ACCOUNT_NOT_POSTABLE',
          errors: unpostable,
        });
      const ctx = { receivedAt: now().toISOString(), actor: req.apiKey!.name, correlationId: req.correlationId };
      const decision = await publishMappingSet(store, kind, body, ctx);
      if (decision.outcome === 'rejected') {
        return sendProblem(reply, {
          title: 'Conflict',
          status: 409,
          code: decision.errors[0]!.code,
          errors: decision.errors,
        });
      }
      req.log.info({ kind, version: decision.version, outcome: decision.outcome }, 'mapping publication');
      const warnings = await chartWarnings(erp, kind, body);
      return reply
        .code(decision.outcome === 'published' ? 201 : 200)
        .send({ kind, version: decision.version, status: decision.outcome, ...(warnings.length ? { warnings } : {}) });
    },
  );

  app.get(
    '/v1/mappings/:kind',
    { preHandler: keys.require('read'), schema: { summary: 'The current mapping version', tags: ['mappings'] } },
    async (req, reply) => {
      const params = parseOrReply(KindParams, req.params, reply);
      if (!params) return reply;
      let latest: RecordedEvent | null = null;
      for await (const e of store.readStream(mappingStream(params.kind), { direction: 'backwards', maxCount: 1 }))
        latest = e;
      if (!latest || latest.type !== MAPPING_EVENT[params.kind])
        return sendProblem(reply, { title: 'Not Found', status: 404, code: 'NO_MAPPING' });
      return {
        kind: params.kind,
        ...latest.data,
        publishedAt: latest.metadata.receivedAt,
        publishedBy: latest.metadata.actor,
      };
    },
  );

  const VersionsQuery = z.object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    before: z.coerce.number().int().min(1).optional(),
  });

  app.get(
    '/v1/mappings/:kind/versions',
    {
      preHandler: keys.require('read'),
      schema: {
        summary: 'Published versions of a mapping, newest first: who published each, when and why (paged by `before`)',
        tags: ['mappings'],
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100 }, before: { type: 'integer' } },
        },
      },
    },
    async (req, reply) => {
      const params = parseOrReply(KindParams, req.params, reply);
      if (!params) return reply;
      const query = parseOrReply(VersionsQuery, req.query, reply);
      if (!query) return reply;
      const versions = [];
      let more = false;
      // Backwards from the newest: a page reads its own versions and one more (to know whether another page follows).
      for await (const e of store.readStream(mappingStream(params.kind), { direction: 'backwards' })) {
        if (e.type !== MAPPING_EVENT[params.kind]) continue;
        const version = (e.data as { version: number }).version;
        if (query.before !== undefined && version >= query.before) continue;
        if (versions.length === query.limit) {
          more = true;
          break;
        }
        versions.push(versionSummary(params.kind, e));
      }
      return { kind: params.kind, versions, nextBefore: more ? (versions.at(-1)?.version ?? null) : null };
    },
  );

  app.get(
    '/v1/mappings/:kind/versions/:version',
    {
      preHandler: keys.require('read'),
      schema: { summary: 'One published version of a mapping, in full', tags: ['mappings'] },
    },
    async (req, reply) => {
      const params = parseOrReply(KindParams.extend({ version: z.coerce.number().int().min(1) }), req.params, reply);
      if (!params) return reply;
      for await (const e of store.readStream(mappingStream(params.kind))) {
        if (e.type !== MAPPING_EVENT[params.kind] || (e.data as { version: number }).version !== params.version)
          continue;
        return { ...versionSummary(params.kind, e), ...e.data };
      }
      return sendProblem(reply, {
        title: 'Not Found',
        status: 404,
        code: 'UNKNOWN_MAPPING_VERSION',
        detail: `no ${params.kind} mapping version ${params.version}`,
      });
    },
  );

  const PeriodParams = z.object({ legalEntity: Id, period: Period, action: z.enum(['close', 'reopen']) });

  app.post(
    '/v1/periods/:legalEntity/:period/:action',
    {
      preHandler: keys.require(PERIODS_CLOSE),
      schema: { summary: 'Close or reopen an accounting period (YYYY-MM) of a legal entity', tags: ['periods'] },
    },
    async (req, reply) => {
      const params = parseOrReply(PeriodParams, req.params, reply);
      if (!params) return reply;
      const body = parseOrReply(PeriodChange, req.body ?? {}, reply);
      if (!body) return reply;
      const { legalEntity, period, action } = params;
      const { decision } = await decideOnStream(
        store,
        periodsStream(legalEntity),
        initialPeriodsState(),
        evolvePeriods,
        (s) =>
          decidePeriod(s, {
            action,
            legalEntity,
            period,
            reason: body.reason,
            receivedAt: now().toISOString(),
            actor: req.apiKey!.name,
            correlationId: req.correlationId,
          }),
      );
      if (decision.outcome === 'rejected')
        return sendProblem(reply, {
          title: 'Conflict',
          status: 409,
          code: decision.errors[0]!.code,
          errors: decision.errors,
        });
      return {
        legalEntity,
        period,
        status: action === 'close' ? 'closed' : 'open',
        changed: decision.outcome === 'changed',
      };
    },
  );

  app.get(
    '/v1/periods/:legalEntity',
    { preHandler: keys.require('read'), schema: { summary: 'Closed periods of a legal entity', tags: ['periods'] } },
    async (req, reply) => {
      const params = parseOrReply(z.object({ legalEntity: Id }), req.params, reply);
      if (!params) return reply;
      let state = initialPeriodsState();
      for await (const e of store.readStream(periodsStream(params.legalEntity))) state = evolvePeriods(state, e);
      return { legalEntity: params.legalEntity, closed: [...state.closed].sort() };
    },
  );
};

/** A published mapping version without its content: which it is, who published it, when and why, and its size. */
function versionSummary(kind: MappingKind, e: RecordedEvent) {
  const data = e.data as { version: number; reason?: string; products?: unknown[]; entities?: unknown[] };
  return {
    kind,
    version: data.version,
    eventId: e.eventId,
    publishedAt: e.metadata.receivedAt,
    publishedBy: e.metadata.actor,
    reason: data.reason ?? null,
    entries: (kind === 'products' ? data.products : data.entities)?.length ?? 0,
  };
}
