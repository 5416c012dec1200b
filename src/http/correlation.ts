// Correlation ids at the edge (docs/operations.md, "Correlation"): every request has one — the caller's
// X-Correlation-Id when it sends a valid one, else a generated uuid — bound into the request's child logger (so every
// line the request logs carries it, fastify's own included), echoed in the response's X-Correlation-Id, and handed to
// what the request appends (`req.correlationId`). An inbound event that carries its own `correlationId` keeps it; the
// request's applies to the events that carry none.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.js';

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * What a caller may send: 1 to 128 characters that survive every place the id travels unchanged — a log field, an
 * hledger tag (which a comma or newline would end), a Tryton line description, a URL path segment.
 */
const VALID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's correlation id (the caller's X-Correlation-Id, else generated). */
    correlationId: string;
  }
}

/** The id fixed for a raw request the first time it is asked for (the logger is made before any hook runs). */
const ids = new WeakMap<IncomingMessage, string>();

function sent(raw: IncomingMessage): string | undefined {
  const value = raw.headers[CORRELATION_HEADER];
  return typeof value === 'string' ? value : undefined;
}

function correlationIdOf(raw: IncomingMessage): string {
  let id = ids.get(raw);
  if (id === undefined) {
    const given = sent(raw);
    id = given !== undefined && VALID.test(given) ? given : randomUUID();
    ids.set(raw, id);
  }
  return id;
}

/**
 * Binds each request's correlation id into its child logger, sets `req.correlationId`, echoes it, and refuses a
 * malformed X-Correlation-Id (400 INVALID_CORRELATION_ID: it would not survive the journey unchanged). Installed
 * before any route, so that every route's logger is made here.
 */
export function installCorrelation(app: FastifyInstance): void {
  // The correlation id goes before fastify's own bindings: a line reads `"correlationId":…,"reqId":…,` as before.
  app.setChildLoggerFactory((logger, bindings, options, raw) =>
    logger.child({ correlationId: correlationIdOf(raw), ...bindings }, options),
  );
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (req, reply) => {
    req.correlationId = correlationIdOf(req.raw);
    reply.header(CORRELATION_HEADER, req.correlationId);
    const given = sent(req.raw);
    if (given !== undefined && given !== req.correlationId)
      return sendProblem(reply, {
        title: 'Bad Request',
        status: 400,
        code: 'INVALID_CORRELATION_ID',
        errors: [
          {
            path: `headers.${CORRELATION_HEADER}`,
            code: 'INVALID_FORMAT',
            message: 'must be 1 to 128 letters, digits or . _ : @ + = -',
          },
        ],
      });
  });
}
