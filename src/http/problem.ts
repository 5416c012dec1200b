// One place maps failures to application/problem+json (RFC 9457): domain codes, validation, auth, limits.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { fromZodIssues } from '../../schemas/index.js';
import type { DomainError } from '../../schemas/index.js';
import { BodyError } from './body.js';
import { redactUrl } from './redact.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: DomainError[];
}

export function sendProblem(reply: FastifyReply, p: Omit<Problem, 'type'> & { type?: string }): FastifyReply {
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({ type: p.type ?? 'about:blank', ...p });
}

/**
 * Validates route input with zod; on failure answers 400 with every field's path and code and returns undefined
 * (the handler then returns `reply`).
 */
export function parseOrReply<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  void sendProblem(reply, {
    title: 'Bad Request',
    status: 400,
    code: 'VALIDATION_FAILED',
    errors: fromZodIssues(r.error.issues, value),
  });
  return undefined;
}

/** Installs the error handler and the 404 handler: nothing leaves as HTML or as a stack trace. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof BodyError) {
      const { statusCode: status, problemCode: code, message: detail, path } = err;
      const errors = path === undefined ? undefined : [{ code, message: detail, path } as unknown as DomainError];
      return sendProblem(reply, { title: titleFor(status), status, code, detail, ...(errors ? { errors } : {}) });
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return sendProblem(reply, { title: 'Internal Server Error', status, code: 'INTERNAL' });
    }
    const code =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'UNSUPPORTED_MEDIA_TYPE'
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'BODY_TOO_LARGE'
          : status === 429
            ? 'RATE_LIMITED'
            : 'MALFORMED_BODY';
    return sendProblem(reply, { title: titleFor(status), status, code, detail: err.message });
  });
  // The URL is echoed redacted: proxies and clients log problem bodies too.
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, {
      title: 'Not Found',
      status: 404,
      code: 'NOT_FOUND',
      detail: `${req.method} ${redactUrl(req.url)}`,
    }),
  );
}

function titleFor(status: number): string {
  return (
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      413: 'Payload Too Large',
      415: 'Unsupported Media Type',
      429: 'Too Many Requests',
    }[status] ?? 'Error'
  );
}
