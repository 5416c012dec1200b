// The read route most resources have: GET by the ids in its path, for any key holding `read`; the path's params are
// validated, the resource is looked up, and a miss is a 404 problem carrying the resource's own code.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { KeyRing } from '../auth/index.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface LookupRoute<Params, Query> {
  url: string;
  /** The OpenAPI summary and tags, and the query string's JSON Schema where it has one. */
  summary: string;
  tags: string[];
  querystring?: object;
  params: z.ZodType<Params>;
  /** The query string's validator; without one the query string is not read. */
  query?: z.ZodType<Query>;
  /** The problem code a miss answers with (UNKNOWN_CONTRACT, UNKNOWN_EXCEPTION, ...), and its detail if any. */
  unknown: string;
  detail?: string;
  /** The resource as answered, or null when there is none. */
  find: (params: Params, query: Query) => Promise<object | null>;
}

export function lookupRoute<Params, Query = undefined>(
  app: FastifyInstance,
  keys: KeyRing,
  route: LookupRoute<Params, Query>,
): void {
  const { url, summary, tags, querystring, unknown, detail, find } = route;
  const schema = { summary, tags, ...(querystring ? { querystring } : {}) };
  app.get(url, { preHandler: keys.require('read'), schema }, async (req, reply) => {
    const params = parseOrReply(route.params, req.params, reply);
    const query = params && route.query && parseOrReply(route.query, req.query, reply);
    if (!params || (route.query && !query)) return reply;
    const found = await find(params, query as Query);
    if (!found)
      return sendProblem(reply, { title: 'Not Found', status: 404, code: unknown, ...(detail ? { detail } : {}) });
    return found;
  });
}
