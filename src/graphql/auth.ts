// The `read` scope on GraphQL: over HTTP the KeyRing's own preHandler answers 401/403 as problem+json before GraphQL
// runs; over the websocket (where a browser cannot set headers) the key comes in the connection_init payload
// (`{"authorization": "Bearer <key>"}`), refused by closing the socket with 4403, or the upgrade request's header,
// refused with a coded GraphQL error when a subscription starts. Both apply the KeyRing's one set of rules.
import type { ApiKey, KeyRing } from '../auth/index.js';
import { codedError } from './errors.js';

/** The header a connection_init payload carries: `authorization`, `Authorization`, or under `headers`. */
export function payloadAuthorization(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  const inner = (p.headers ?? p) as Record<string, unknown>;
  const value = inner.authorization ?? inner.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** Throws the coded GraphQL error when the header does not carry a key with the `read` scope. */
export async function requireRead(keys: KeyRing, authorization: string | undefined): Promise<ApiKey> {
  const a = keys.authorize(authorization, 'read');
  if (!a.ok) throw codedError(a.code, a.detail);
  return a.apiKey;
}

/**
 * Closes a websocket whose connection_init carried a key that is refused, as the graphql-transport-ws protocol asks:
 * close code 4403 (Forbidden). mercurius would otherwise answer `connection_error`, a message of the older
 * subscriptions-transport-ws protocol (subprotocol `graphql-ws`) that graphql-transport-ws clients reject as invalid;
 * on that older protocol the message is kept. `connection` is mercurius's connection object, which holds the socket.
 */
export function closeForbidden(connection: unknown): void {
  const socket = (connection as { socket?: { protocol?: string; close(code: number, reason: string): void } } | null)
    ?.socket;
  if (socket && socket.protocol !== 'graphql-ws') socket.close(4403, 'Forbidden');
}
