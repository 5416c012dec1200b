// The exceptions workbench over HTTP (docs/http.md, "Exceptions"): list (filtered, sorted by amount at stake or by age, paged),
// read one, act on one (`exceptions:write`; ignoring takes `exceptions:ignore`), and the refused inputs with their
// replay. Reading takes `read`.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ExceptionAction } from '../../commands/exception.js';
import { EXCEPTION_KINDS } from '../../projections/index.js';
import { CalendarDate, NonNegativeDecimal, Text } from '../../schemas/index.js';
import type { JsonObject } from '../../schemas/index.js';
import { EXCEPTIONS_IGNORE, EXCEPTIONS_WRITE } from '../auth/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ExceptionDeps } from '../audit/exceptions.js';
import {
  EXCEPTION_SORTS,
  MAX_EXCEPTIONS_PAGE,
  exceptionById,
  listExceptions,
  listRejections,
  rejectionById,
} from '../audit/exceptions.js';
import { actOnException, replayRejection } from '../exceptions/index.js';
import type { ActOutcome, ReplayOutcome } from '../exceptions/index.js';
import type { Ingestor } from '../ingest/index.js';
import { lookupRoute } from './lookup.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface ExceptionRoutesOptions {
  deps: ExceptionDeps;
  ingestor: Ingestor;
  keys: KeyRing;
}

const Page = {
  limit: z.coerce.number().int().min(1).max(MAX_EXCEPTIONS_PAGE).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

const ListQuery = z.strictObject({
  kind: z.string().min(1).max(64).optional(),
  entity: z.string().min(1).max(128).optional(),
  status: z.enum(['open', 'acknowledged', 'resolved', 'ignored', 'active', 'all']).optional(),
  owner: z.string().min(1).max(128).optional(),
  contractId: z.string().min(1).max(128).optional(),
  minAgeHours: z.coerce.number().min(0).optional(),
  minAmount: NonNegativeDecimal.optional(),
  sort: z.enum(EXCEPTION_SORTS).default('impact'),
  ...Page,
});

const RejectionQuery = z.strictObject({
  day: CalendarDate.optional(),
  system: z.string().min(1).max(64).optional(),
  code: z.string().min(1).max(64).optional(),
  ...Page,
});

const IdParams = z.object({ id: z.string().min(1).max(200) });

/** The body of each action; `ignore` needs its reason. */
const ACTIONS = {
  assign: z.strictObject({ owner: Text(128) }),
  acknowledge: z.strictObject({}),
  resolve: z.strictObject({ reason: Text(1000).optional() }),
  ignore: z.strictObject({ reason: Text(1000) }),
  note: z.strictObject({ text: Text(4000) }),
} as const;
type ActionName = keyof typeof ACTIONS;

function actionOf(name: ActionName, body: Record<string, unknown>): ExceptionAction {
  switch (name) {
    case 'assign':
      return { action: 'assign', owner: body.owner as string };
    case 'acknowledge':
      return { action: 'acknowledge' };
    case 'resolve':
      return { action: 'resolve', reason: (body.reason as string | undefined) ?? null };
    case 'ignore':
      return { action: 'ignore', reason: body.reason as string };
    case 'note':
      return { action: 'note', text: body.text as string };
  }
}

/** An action's or a replay's outcome: itself when done, else its refusal (404 for an unknown id, 409 otherwise). */
async function answer(reply: FastifyReply, outcome: ActOutcome | ReplayOutcome) {
  if (outcome.ok) return outcome;
  return sendProblem(reply, {
    title: outcome.notFound ? 'Not Found' : 'Conflict',
    status: outcome.notFound ? 404 : 409,
    code: outcome.error.code,
    detail: outcome.error.message,
    errors: [outcome.error],
  });
}

const ReplayBody = z.union([z.strictObject({ event: z.record(z.string(), z.unknown()) }), z.strictObject({})]);

export const exceptionRoutes: FastifyPluginAsync<ExceptionRoutesOptions> = async (app, { deps, ingestor, keys }) => {
  const tags = ['exceptions'];
  app.get(
    '/v1/exceptions',
    {
      preHandler: keys.require('read'),
      schema: { summary: 'Exceptions, by amount at stake (sort=impact) or oldest first (sort=age)', tags },
    },
    async (req, reply) => {
      const q = parseOrReply(ListQuery, req.query, reply);
      if (!q) return reply;
      const { limit, offset, sort, entity, ...filter } = q;
      const { items, total } = await listExceptions(
        deps,
        { ...filter, legalEntity: entity ?? null },
        { limit, offset, sort },
      );
      return { items, total, limit, offset, sort, kinds: EXCEPTION_KINDS };
    },
  );

  lookupRoute(app, keys, {
    url: '/v1/exceptions/:id',
    summary: 'One exception, with its history',
    tags,
    params: IdParams,
    unknown: 'UNKNOWN_EXCEPTION',
    find: ({ id }) => exceptionById(deps, id),
  });

  for (const name of Object.keys(ACTIONS) as ActionName[]) {
    app.post(
      `/v1/exceptions/:id/${name}`,
      {
        preHandler: keys.require(name === 'ignore' ? EXCEPTIONS_IGNORE : EXCEPTIONS_WRITE),
        schema: { summary: `${name} an exception`, tags },
      },
      async (req, reply) => {
        const params = parseOrReply(IdParams, req.params, reply);
        const body = params && parseOrReply<Record<string, unknown>>(ACTIONS[name], req.body ?? {}, reply);
        if (!params || !body) return reply;
        const ctx = { actor: req.apiKey!.name, correlationId: req.correlationId, requestId: req.id };
        const outcome = await actOnException(deps, params.id, actionOf(name, body), ctx);
        req.log.info({ exceptionId: params.id, action: name, ok: outcome.ok }, 'exception action');
        return answer(reply, outcome);
      },
    );
  }

  app.get(
    '/v1/rejections',
    { preHandler: keys.require('read'), schema: { summary: 'Refused inputs, by day, system and code', tags } },
    async (req, reply) => {
      const q = parseOrReply(RejectionQuery, req.query, reply);
      if (!q) return reply;
      const { limit, offset, ...filter } = q;
      return { ...(await listRejections(deps, filter, { limit, offset })), limit, offset };
    },
  );

  lookupRoute(app, keys, {
    url: '/v1/rejections/:id',
    summary: 'One refused input: what was sent and why',
    tags,
    params: IdParams,
    unknown: 'UNKNOWN_EXCEPTION',
    find: ({ id }) => rejectionById(deps, id),
  });

  app.post(
    '/v1/rejections/:id/replay',
    {
      preHandler: keys.require(EXCEPTIONS_WRITE),
      schema: { summary: 'Resubmit a refused input, as it was or corrected ({"event": ...})', tags },
    },
    async (req, reply) => {
      const params = parseOrReply(IdParams, req.params, reply);
      const body = params && parseOrReply(ReplayBody, req.body ?? {}, reply);
      if (!params || !body) return reply;
      const corrected = 'event' in body ? (body.event as JsonObject) : null;
      const ctx = { actor: req.apiKey!.name, correlationId: req.correlationId, requestId: req.id };
      const outcome = await replayRejection({ ...deps, ingestor }, params.id, corrected, ctx);
      if (outcome.ok) req.log.info({ rejectionId: params.id, status: outcome.result.status }, 'refused input replayed');
      return answer(reply, outcome);
    },
  );
};
