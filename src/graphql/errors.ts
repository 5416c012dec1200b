// One place maps GraphQL failures to `extensions.code`: what resolvers refuse (a bad cursor, a missing scope), what the
// limits refuse (too large, too deep, too many fields, aliases or reports, too costly), what the GraphQL validation
// refuses, and bugs (INTERNAL, message withheld).
import type { FastifyReply } from 'fastify';
import { GraphQLError } from 'graphql';
import type { ExecutionResult } from 'graphql';
import mercurius from 'mercurius';
import type { MercuriusContext } from 'mercurius';
import type { DomainError } from '../../schemas/index.js';

export const GraphqlCodes = [
  'UNAUTHENTICATED',
  'MISSING_SCOPE',
  'QUERY_TOO_LARGE',
  'QUERY_TOO_DEEP',
  'TOO_MANY_FIELDS',
  'TOO_MANY_ALIASES',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_REPORTS',
  'TIE_OUT_UNAVAILABLE',
  'INVALID_CURSOR',
  'INVALID_ARGUMENT',
  'GRAPHQL_VALIDATION_FAILED',
  'INTERNAL',
] as const;
export type GraphqlCode = (typeof GraphqlCodes)[number];

/** An expected refusal, as a GraphQL error with its code (and the HTTP status it answers with when it is alone). */
export function codedError(code: GraphqlCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** A domain refusal (schemas/errors.ts), with its code and the field it names. */
export function domainRefusal(err: DomainError): GraphQLError {
  return new GraphQLError(err.message, { extensions: { code: err.code, ...(err.path ? { field: err.path } : {}) } });
}

type Formatted = ReturnType<typeof mercurius.defaultErrorFormatter>;
interface JsonError {
  message: string;
  path?: unknown;
  extensions?: { code?: string; [k: string]: unknown };
}

/**
 * mercurius's formatter, then a code on every error: validation errors (no path: the document was refused before
 * execution) are GRAPHQL_VALIDATION_FAILED unless a rule gave its own code; an uncoded execution error is a bug, logged
 * and answered as INTERNAL without its message. A body over the route's limit (refused by fastify before it is read)
 * is QUERY_TOO_LARGE, with its 413.
 */
export function errorFormatter(
  execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>,
  context: MercuriusContext,
): Formatted {
  const tooLarge = execution.errors.find(
    (e) => (e.originalError as { code?: unknown } | undefined)?.code === 'FST_ERR_CTP_BODY_TOO_LARGE',
  );
  if (tooLarge) {
    const code: GraphqlCode = 'QUERY_TOO_LARGE';
    return { statusCode: 413, response: { data: null, errors: [{ message: tooLarge.message, extensions: { code } }] } };
  }
  const formatted = mercurius.defaultErrorFormatter(execution, context);
  const response = formatted.response as { data?: unknown; errors?: JsonError[] };
  const errors = (response.errors ?? []).map((e): JsonError => {
    if (typeof e.extensions?.code === 'string') return e;
    if (e.path === undefined) return { ...e, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } };
    // A websocket's context has no reply.
    const log = (context.reply as FastifyReply | undefined)?.log ?? context.app.log;
    log.error({ err: e }, 'GraphQL resolver failed');
    return { message: 'internal error', path: e.path, extensions: { code: 'INTERNAL' } };
  });
  // A document refused before execution (no data, no error with a path) is a 400 however many rules refused it
  // (mercurius alone answers 400 for one refusal and 200 for several).
  const refused = !response.data && errors.length > 0 && errors.every((e) => e.path === undefined);
  return {
    statusCode: refused ? 400 : formatted.statusCode,
    response: { ...response, errors },
  } as Formatted;
}
