// What never reaches a log line: secrets. The service reads keys only from the Authorization header, but a client may
// put one in a query parameter (`?api_key=…`) or a graphql-ws connection_init payload, and every request is logged
// with its URL whether or not it is then refused. So the logger redacts at three layers: the request serializer
// rewrites the URL, pino's `redact` censors header-shaped fields, and a last pass over each finished line rewrites
// any URL query or Bearer credential that reached free text (fastify itself writes raw URLs into some messages).
import type { FastifyServerOptions } from 'fastify';

export const REDACTED = '[REDACTED]';

/**
 * A query parameter carries a secret when its name (case-insensitive, after percent-decoding) contains one of these:
 * `api_key`, `apiKey`, `key`, `token`, `access_token`, `client_secret`, `password`, `auth`, `authorization`, ….
 * Over-redacting a harmless parameter (`author`) costs a log reader little; missing a secret cannot be undone.
 */
const SECRET_NAME = /key|token|secret|passw|auth|credential/i;

function isSecretName(rawName: string): boolean {
  let name = rawName.replace(/\+/g, ' ');
  try {
    name = decodeURIComponent(name);
  } catch {
    // A malformed escape: judge the raw name.
  }
  return SECRET_NAME.test(name);
}

/** Redacts the values of secret parameters in a query string (without its `?`); everything else is kept as written. */
function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const name = pair.slice(0, eq);
      return isSecretName(name) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
}

/** Replaces the userinfo matched after a `scheme://` group. */
const USERINFO = `$1${REDACTED}@`;

/**
 * A URL (a request target such as `/v1/events?api_key=…`, or an absolute URL) with the value of every secret query
 * parameter and any userinfo (`scheme://user:password@host`) replaced by `[REDACTED]`. Pure; an URL without
 * secrets comes back unchanged.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const beforeFragment = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  const q = beforeFragment.indexOf('?');
  const base = q < 0 ? beforeFragment : beforeFragment.slice(0, q);
  const query = q < 0 ? null : beforeFragment.slice(q + 1);
  const safeBase = base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/?#]*@/i, USERINFO);
  return `${safeBase}${query === null ? '' : `?${redactQuery(query)}`}${fragment}`;
}

/**
 * A finished log line with any URL userinfo, query string and credential of the `Bearer` or `Basic` scheme in it
 * redacted. A URL part ends at what cannot be part of one inside a JSON string: whitespace, a quote, a backslash (an
 * escape) or `#`. A `Basic` credential is one only when it decodes to `user:password`, so prose ("Basic support") stays.
 */
export function redactLogLine(line: string): string {
  return line
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^@/?#\s"'\\]*@/gi, USERINFO)
    .replace(/\?([^\s"'\\#<>]*)/g, (_match, query: string) => `?${redactQuery(query)}`)
    .replace(/\b(Bearer\s+)[^\s"'\\,;]+/gi, `$1${REDACTED}`)
    .replace(/\b(Basic\s+)([A-Za-z0-9+/]+=*)/gi, (match, scheme: string, credential: string) =>
      Buffer.from(credential, 'base64').toString('utf8').includes(':') ? `${scheme}${REDACTED}` : match,
    );
}

/** The request as a log line shows it: fastify's default fields, with the URL redacted. */
interface LoggedRequest {
  method?: string;
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
  host?: string;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number } | null;
}

function serializeRequest(req: LoggedRequest) {
  const version = req.headers?.['accept-version'];
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    version: typeof version === 'string' ? version : undefined,
    host: req.host ?? (typeof req.headers?.host === 'string' ? req.headers.host : undefined),
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

/** Header-shaped fields pino censors wherever a request, its headers or a connection payload is logged whole. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'authorization',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers["x-api-key"]',
  '*.headers.cookie',
];

export interface LogDestination {
  write(line: string): void;
}

/** The service's logger: pino at `level`, to stdout or `destination`, with every secret redacted as above. */
export function loggerOptions(level: string, destination?: LogDestination): FastifyServerOptions['logger'] {
  return {
    level,
    ...(destination ? { stream: destination } : {}),
    serializers: { req: serializeRequest },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: { streamWrite: redactLogLine },
  };
}
