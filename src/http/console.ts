// The console (docs/console.md): the browser workbench built by Vite into dist/console, served as static files at
// /console/ by this same process, and GET /v1/whoami, which tells it what the caller's key may do so that it shows
// only the actions the key's scopes permit. GraphiQL is one of the console's pages (graphiql.html), built from the
// installed graphiql package: /graphiql redirects there, and nothing it loads comes from a CDN.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { KeyRing, Scope } from '../auth/index.js';
import { Scope as ScopeSchema } from '../auth/index.js';
import { sendProblem } from './problem.js';

export interface ConsoleRoutesOptions {
  keys: KeyRing;
  /** The built console; default: dist/console of the checkout this module runs from. */
  root?: string;
}

/**
 * dist/console of the checkout: this module runs from src/http (tests, through vitest) or from dist/src/http (the
 * built service), so the checkout is the first directory upwards that holds package.json.
 */
export function defaultConsoleRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

/** The scopes a key holds in effect: `admin` holds every scope. */
export function effectiveScopes(scopes: readonly Scope[]): Scope[] {
  return scopes.includes('admin') ? [...ScopeSchema.options] : [...scopes];
}

export const consoleRoutes: FastifyPluginAsync<ConsoleRoutesOptions> = async (app, options) => {
  const { keys } = options;
  const root = options.root ?? defaultConsoleRoot();

  app.get(
    '/v1/whoami',
    {
      schema: {
        summary: "The caller's key: its name and scopes (never the key or its hash)",
        tags: ['console'],
        response: {
          200: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              scopes: { type: 'array', items: { type: 'string' } },
              effectiveScopes: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const key = keys.identify(req.headers.authorization);
      if (!key)
        return sendProblem(reply.header('www-authenticate', 'Bearer'), {
          title: 'Unauthorized',
          status: 401,
          code: 'UNAUTHENTICATED',
          detail: req.headers.authorization ? 'the API key is not valid' : 'send Authorization: Bearer <api key>',
        });
      return { name: key.name, scopes: key.scopes, effectiveScopes: effectiveScopes(key.scopes) };
    },
  );

  app.get('/graphiql', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/graphiql.html'));

  if (!existsSync(join(root, 'index.html'))) {
    // A checkout built with `tsc` alone: the API works, and /console says how to get the console.
    app.get('/console*', { schema: { hide: true } }, async (_req, reply) =>
      sendProblem(reply, {
        title: 'Service Unavailable',
        status: 503,
        code: 'CONSOLE_NOT_BUILT',
        detail: 'the console is not built: run `npm run build`',
      }),
    );
    return;
  }
  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    // Hashed asset names change with their content: they may be cached for good; the HTML pages never are.
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
    schemaHide: true,
  });
};
