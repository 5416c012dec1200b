// GraphQL (mercurius) — the audit surface: the schema, thin resolvers over the read models with per-request
// batching, depth and cost limits, the `read` scope over HTTP and the websocket, GraphiQL at /graphiql, and
// subscriptions over graphql-ws. A fastify plugin, encapsulated: mercurius's error handler stays on its own routes.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import type { IResolvers } from 'mercurius';
import type { HeldAge } from '../audit/index.js';
import type { KeyRing } from '../http/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import { authorize, payloadAuthorization } from './auth.js';
import { errorFormatter } from './errors.js';
import { DEFAULT_LIMITS, limitRules } from './limits.js';
import type { QueryLimits } from './limits.js';
import { DocLoader } from './loader.js';
import { buildResolvers } from './resolvers.js';
import { typeDefs } from './schema.js';
import { auditResolvers, auditTypeDefs } from './audit.js';
import { changeResolvers, changeTypeDefs } from './changes.js';

export type { GraphqlContext } from './loader.js';
export { DocLoader } from './loader.js';
export { typeDefs } from './schema.js';
export { codedError } from './errors.js';
export type { GraphqlCode } from './errors.js';
export { DEFAULT_LIMITS, MAX_PAGE } from './limits.js';
export type { QueryLimits } from './limits.js';
export { ledgerEvent } from './events.js';

export interface GraphqlOptions {
  read: ReadStore;
  store: EventStore;
  keys: KeyRing;
  limits?: QueryLimits;
  /** The clock and the age past which a held event is listed as HELD_TOO_LONG. */
  held?: HeldAge;
}

/**
 * Resolver maps side by side: the fields of one type (Query, Subscription, ...) from several modules. A type only one
 * module defines (a scalar, say) is taken as it is.
 */
function mergeResolvers(...maps: IResolvers[]): IResolvers {
  const out: IResolvers = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      const before = out[type];
      out[type] = before === undefined ? fields : ({ ...(before as object), ...(fields as object) } as typeof fields);
    }
  }
  return out;
}

export const graphqlRoutes: FastifyPluginAsync<GraphqlOptions> = async (app, { read, store, keys, limits, held }) => {
  const requireRead = keys.require('read');
  await app.register(mercurius, {
    schema: [typeDefs, auditTypeDefs, changeTypeDefs].join('\n'),
    resolvers: mergeResolvers(
      buildResolvers({ read, store, keys, ...(held ? { held } : {}) }),
      auditResolvers({ read, store, keys, ...(held ? { held } : {}) }),
      changeResolvers({ read, store, keys }),
    ),
    path: '/graphql',
    graphiql: true,
    jit: 1,
    context: () => ({ docs: new DocLoader(read) }),
    validationRules: limitRules(limits ?? DEFAULT_LIMITS),
    errorFormatter,
    additionalRouteOptions: {
      // Over HTTP: 401/403 problem+json like every route. A websocket upgrade is let through: browsers cannot set its
      // headers, so its key is checked at connection_init and again when a subscription starts.
      preHandler: async function (this: unknown, req: FastifyRequest, reply: FastifyReply) {
        if ((req as { ws?: boolean }).ws) return;
        await requireRead.call(app, req, reply);
      },
    },
    subscription: {
      context: () => ({ docs: new DocLoader(read) }),
      // A key in the connection_init payload must be a valid one with the `read` scope (else the connection is
      // refused); without one, the upgrade request's header must carry it (checked when a subscription starts).
      onConnect: async ({ payload }: { payload: unknown }) => {
        const header = payloadAuthorization(payload);
        if (header === undefined) return true;
        const a = await authorize(keys, header);
        return a.ok ? { apiKey: a.apiKey } : false;
      },
    },
  });
};
