// The read route most resources have: GET by the ids in its path, for any key holding `read`; the path's params are
// validated, the resource is looked up, and a miss is a 404 problem carrying the resource's own code.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { KeyRing } from '../auth/index.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface LookupRoute<Params> {
  url: string;
  /** The OpenAPI summary and tags. */
  summary: string;
  tags: string[];
  params: z.ZodType<Params>;
  /** The problem code a miss answers with (UNKNOWN_CONTRACT, UNKNOWN_EXCEPTION, ...). */
  unknown: string;
  /** The resource as answered, or null when there is none. */
  find: (params: Params) => Promise<object | null>;
}

export function lookupRoute<Params>(app: FastifyInstance, keys: KeyRing, route: LookupRoute<Params>): void {
  const { url, summary, tags, params: schema, unknown, find } = route;
  app.get(url, { preHandler: keys.require('read'), schema: { summary, tags } }, async (req, reply) => {
    const params = parseOrReply(schema, req.params, reply);
    if (!params) return reply;
    const found = await find(params);
    if (!found) return sendProblem(reply, { title: 'Not Found', status: 404, code: unknown });
    return found;
  });
}
