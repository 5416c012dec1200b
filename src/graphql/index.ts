// GraphQL (mercurius) — the audit surface: the schema, thin resolvers over the read models with per-request
// batching, query limits (size, depth, fields, aliases, reports, cost), the `read` scope over HTTP and the websocket,
// and subscriptions over graphql-ws. A fastify plugin, encapsulated: mercurius's error handler
// stays on its own routes.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, specifiedRules, validate } from 'graphql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import mercurius from 'mercurius';
import type { IResolvers } from 'mercurius';
import type { HeldAge } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import type { ConnectorConfig } from '../config.js';
import type { DeriveBudget } from '../../projections/index.js';
import { DEFAULT_DERIVE_STEPS } from '../runner/index.js';
import { closeForbidden, payloadAuthorization } from './auth.js';
import { errorFormatter } from './errors.js';
import type { GraphqlCode } from './errors.js';
import { DEFAULT_LIMITS, documentRefusal, sourceRefusal } from './limits.js';
import type { QueryLimits } from './limits.js';
import { DocLoader } from './loader.js';
import { buildResolvers } from './resolvers.js';
import { typeDefs } from './schema.js';
import { auditResolvers, auditTypeDefs } from './audit.js';
import { mappingPreviewResolvers, mappingPreviewTypeDefs } from './mapping-preview.js';
import { changeResolvers, changeTypeDefs } from './changes.js';
import { exceptionResolvers, exceptionTypeDefs } from './exceptions.js';
import { registerResolvers, registerTypeDefs } from './register.js';
import type { ExceptionGraphqlDeps } from './exceptions.js';

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
  /** The ERP `erpTieOut` reads (the file connector's journals, Tryton); absent: none, TIE_OUT_UNAVAILABLE. */
  connector?: ConnectorConfig;
  /** The exceptions workbench: its readers' clock and SLA, and the ingestor replays go through. */
  exceptions: Omit<ExceptionGraphqlDeps, 'keys'>;
  /** The live projection's derivation budget, which `mappingDryRun` derives schedules within (default the runner's). */
  deriveBudget?: DeriveBudget;
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

/**
 * Parsed documents kept per cache (mercurius keeps one for valid documents, one for refused ones): a document of
 * `maxTokens` tokens holds ~0.75 MB parsed, so the caches stay under ~200 MB whatever a client sends.
 */
const CACHED_DOCUMENTS = 128;

export const graphqlRoutes: FastifyPluginAsync<GraphqlOptions> = async (app, options) => {
  const { read, store, keys, held } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const requireRead = keys.require('read');
  await app.register(mercurius, {
    schema: [typeDefs, auditTypeDefs, changeTypeDefs, exceptionTypeDefs, mappingPreviewTypeDefs, registerTypeDefs].join(
      '\n',
    ),
    resolvers: mergeResolvers(
      buildResolvers({ read, store, keys, ...(held ? { held } : {}) }),
      auditResolvers({
        read,
        store,
        keys,
        ...(held ? { held } : {}),
        ...(options.connector ? { connector: options.connector } : {}),
      }),
      changeResolvers({ read, store, keys }),
      exceptionResolvers({ ...options.exceptions, keys }),
      mappingPreviewResolvers({
        deps: { read, store },
        connector: options.connector?.kind ?? 'simulated',
        budget: options.deriveBudget ?? { maxSteps: DEFAULT_DERIVE_STEPS },
      }),
      registerResolvers({ store }),
    ),
    path: '/graphql',
    // GraphiQL is served by the console from the installed package (mercurius's own loads it from a CDN).
    graphiql: false,
    jit: 1,
    context: () => ({ docs: new DocLoader(read) }),
    cache: CACHED_DOCUMENTS,
    // Refused before this by the source limit (preParsing below); kept for any path that parses without it.
    graphql: { parseOptions: { maxTokens: limits.maxTokens } },
    errorFormatter,
    additionalRouteOptions: {
      bodyLimit: limits.maxBodyBytes,
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
      // closed, 4403); without one, the upgrade request's header must carry it (checked when a subscription starts).
      // mercurius calls this as a method of the connection, which is how the refusal reaches its socket.
      onConnect: async function (this: unknown, { payload }: { payload: unknown }) {
        const header = payloadAuthorization(payload);
        if (header === undefined) return true;
        const a = keys.authorize(header, 'read');
        if (a.ok) return { apiKey: a.apiKey };
        closeForbidden(this);
        return false;
      },
    },
  });

  // The limits, before anything is parsed or validated: the source on every request (cache hits included, which
  // costs a lexing of a few hundred tokens), the parsed document when it is not cached yet.
  const checkSource = async (_schema: GraphQLSchema, source: string): Promise<void> => {
    const refusal = sourceRefusal(source, limits);
    if (refusal) throw refusal;
  };
  const checkDocument = async (schema: GraphQLSchema, document: DocumentNode): Promise<void> => {
    const refusal = documentRefusal(schema, document, limits);
    if (refusal) throw refusal;
  };
  app.graphql.addHook('preParsing', checkSource);
  app.graphql.addHook('preValidation', checkDocument);
  // Over the websocket mercurius parses a subscription (a message is at most 1 MiB) and executes it without
  // validating it: the same limits, then graphql's own validation, before it starts.
  app.graphql.addHook('preSubscriptionParsing', checkSource);
  app.graphql.addHook('preSubscriptionExecution', async (schema, document) => {
    await checkDocument(schema, document);
    const [invalid] = validate(schema, document, specifiedRules);
    if (invalid)
      throw new GraphQLError(invalid.message, {
        nodes: invalid.nodes,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' satisfies GraphqlCode },
      });
  });
};
