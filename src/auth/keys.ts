// Bearer API keys with scopes, for every surface that takes them (HTTP routes, GraphQL over HTTP and websocket).
// Keys are held only as sha-256 hashes: the plaintext of a key given in the environment is hashed at start-up and
// dropped; a key file holds hashes only. Lookup is by hash, so no secret-dependent string comparison happens
// (nothing to time). KeyRing.authorize is the one statement of the rules; `require` answers a refusal over HTTP
// through the one problem+json writer (src/http/problem.ts, which imports nothing from here).
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import { sendProblem } from '../http/problem.js';

/**
 * What a key may do. The books-keeping duties are scopes of their own, held apart from `post`, so that the key a
 * posting job runs with cannot also close the period it posts into or approve the mapping it posts with:
 * - `periods:close`: close and reopen accounting periods;
 * - `mappings:approve`: publish (approve) a product or account mapping version;
 * - `exceptions:ignore`: mark an exception ignored (it stops asking for work without its cause being fixed);
 * - `exceptions:write`: assign, acknowledge, resolve and note exceptions, and replay refused inputs.
 * `metrics` reads GET /metrics and nothing else: the key a Prometheus server scrapes with can read no ledger data
 * (metric labels carry codes, entities and periods, never contract or journal ids).
 * `admin` holds every scope; give it to people, not to jobs.
 */
export const Scope = z.enum([
  'ingest',
  'read',
  'post',
  'periods:close',
  'mappings:approve',
  'exceptions:ignore',
  'metrics',
  'exceptions:write',
  'admin',
]);
export type Scope = z.infer<typeof Scope>;

/** Closing and reopening periods. */
export const PERIODS_CLOSE: Scope = 'periods:close';
/** Publishing (approving) a mapping version. */
export const MAPPINGS_APPROVE: Scope = 'mappings:approve';
/** Ignoring an exception: closing a work item while its cause stands. */
export const EXCEPTIONS_IGNORE: Scope = 'exceptions:ignore';
/** Scraping GET /metrics. */
export const METRICS: Scope = 'metrics';
/** Working exceptions (assign, acknowledge, resolve, note) and replaying refused inputs. */
export const EXCEPTIONS_WRITE: Scope = 'exceptions:write';

export interface ApiKey {
  name: string;
  scopes: Scope[];
  sha256: string;
}

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** REVTRAIL_API_KEYS: JSON array of {name, scopes, key}; the key is hashed here and not kept. */
const PlainKeys = z.array(
  z.strictObject({ name: z.string().min(1), scopes: z.array(Scope).min(1), key: z.string().min(16) }),
);
/** REVTRAIL_API_KEYS_FILE: JSON array of {name, scopes, sha256}. */
const HashedKeys = z.array(
  z.strictObject({
    name: z.string().min(1),
    scopes: z.array(Scope).min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
);

export function keysFromEnv(json: string | undefined): ApiKey[] {
  if (!json) return [];
  return PlainKeys.parse(JSON.parse(json)).map((k) => ({ name: k.name, scopes: k.scopes, sha256: hashKey(k.key) }));
}

export function keysFromFile(path: string | undefined): ApiKey[] {
  if (!path) return [];
  return HashedKeys.parse(JSON.parse(readFileSync(path, 'utf8')));
}

/**
 * A first run with no keys configured gets one local key with every scope, so the demo is usable: its plaintext is
 * written once to `plainPath` (mode 0600, never logged), its hash to `hashedPath`, which later runs read.
 */
export function ensureDemoKey(hashedPath: string, plainPath: string): ApiKey[] {
  if (existsSync(hashedPath)) return keysFromFile(hashedPath);
  mkdirSync(dirname(hashedPath), { recursive: true });
  const key = `rt_${randomBytes(24).toString('base64url')}`;
  const keys: ApiKey[] = [{ name: 'local-admin', scopes: ['ingest', 'read', 'post', 'admin'], sha256: hashKey(key) }];
  writeFileSync(plainPath, `${key}\n`, { mode: 0o600 });
  chmodSync(plainPath, 0o600);
  writeFileSync(hashedPath, `${JSON.stringify(keys, null, 2)}\n`);
  return keys;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
}

/** A key's answer for one scope: the key, or why it is refused (the key too when it only lacks the scope). */
export type Authorization =
  | { ok: true; apiKey: ApiKey }
  | { ok: false; code: 'UNAUTHENTICATED'; detail: string }
  | { ok: false; code: 'MISSING_SCOPE'; detail: string; apiKey: ApiKey };

export class KeyRing {
  private readonly byHash: Map<string, ApiKey>;
  constructor(keys: readonly ApiKey[]) {
    this.byHash = new Map(keys.map((k) => [k.sha256, k]));
  }

  /** An Authorization header value against a scope: a valid key, holding the scope or admin (which holds every scope). */
  authorize(authorization: string | undefined, scope: Scope): Authorization {
    const m = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
    const key = m ? this.byHash.get(hashKey(m[1]!)) : undefined;
    if (!key)
      return {
        ok: false,
        code: 'UNAUTHENTICATED',
        detail: authorization ? 'the API key is not valid' : 'send Authorization: Bearer <api key>',
      };
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin'))
      return { ok: false, code: 'MISSING_SCOPE', detail: `this key lacks the "${scope}" scope`, apiKey: key };
    return { ok: true, apiKey: key };
  }

  /** The key an Authorization header value names, whatever its scopes; null when it names none. */
  identify(authorization: string | undefined): ApiKey | null {
    const answer = this.authorize(authorization, 'admin');
    return answer.ok || answer.code === 'MISSING_SCOPE' ? answer.apiKey : null;
  }

  /** preHandler: 401 without a valid key, 403 without the scope. */
  require(scope: Scope): preHandlerAsyncHookHandler {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const answer = this.authorize(req.headers.authorization, scope);
      if (answer.ok) {
        req.apiKey = answer.apiKey;
        return;
      }
      if (answer.code === 'UNAUTHENTICATED') {
        await sendProblem(reply.header('www-authenticate', 'Bearer'), {
          title: 'Unauthorized',
          status: 401,
          code: answer.code,
          detail: answer.detail,
        });
        return;
      }
      req.apiKey = answer.apiKey;
      await sendProblem(reply, { title: 'Forbidden', status: 403, code: answer.code, detail: answer.detail });
    };
  }
}
