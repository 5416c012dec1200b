// The console's server side: /console serves the Vite build (HTML, scripts, styles with their types), /graphiql leads
// to the bundled GraphiQL, GET /v1/whoami answers a key's name and scopes (never a secret), and the mapping versions
// the Mappings screen lists and compares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConsoleRoot } from '../../src/http/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { CATALOGUE, DEMO_ENTITIES, publishMapping } from '../../src/demo/index.js';
import { ProductMappingSet } from '../../schemas/index.js';

const ADMIN = 'console-admin-key-0123456789';

describe('the console over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['admin'], key: ADMIN }]),
    });
  });
  afterAll(async () => t.close());

  it('serves index.html at /console/ (and redirects /console there), never cached', async () => {
    const redirect = await fetch(`${t.url}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/console/');
    const res = await fetch(`${t.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toContain('<title>Revtrail console</title>');
    // The page's own script and stylesheet, with their types, from the same server.
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/console\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await fetch(`${t.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // Read every body to its end: a response left unread keeps its connection busy, and closing the server waits on it.
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(0);
    const css = await fetch(`${t.url}${style}`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await css.text()).length).toBeGreaterThan(0);
  });

  it('builds nothing that loads from another host: no http(s) URL of a CDN in any page or asset', () => {
    const root = defaultConsoleRoot();
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const text = readFileSync(join(f.parentPath, f.name), 'utf8');
      expect(text, f.name).not.toMatch(/https?:\/\/(unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.|fonts\.googleapis\.com)/);
    }
  });

  it('answers 404 for a file the build does not hold', async () => {
    expect((await fetch(`${t.url}/console/assets/nothing-here.js`)).status).toBe(404);
  });

  it('leads /graphiql to the bundled GraphiQL page', async () => {
    const res = await fetch(`${t.url}/graphiql`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/console/graphiql.html');
    const page = await fetch(`${t.url}/console/graphiql.html`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<div id="graphiql">/);
  });

  it('GET /v1/whoami needs a valid key and answers its name and scopes, admin expanded, no secret', async () => {
    const none = await t.call('GET', '/v1/whoami', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHENTICATED');
    expect((await t.call('GET', '/v1/whoami', undefined, 'not-a-key-at-all-0000')).status).toBe(401);
    const reader = await t.call('GET', '/v1/whoami', undefined, KEYS.reader);
    expect(reader.status).toBe(200);
    expect(reader.body).toEqual({ name: 'auditor', scopes: ['read'], effectiveScopes: ['read'] });
    const admin = await t.call('GET', '/v1/whoami', undefined, ADMIN);
    expect(admin.body.name).toBe('controller');
    expect(admin.body.scopes).toEqual(['admin']);
    expect(admin.body.effectiveScopes).toEqual(
      expect.arrayContaining(['read', 'post', 'periods:close', 'exceptions:write']),
    );
    expect(JSON.stringify(admin.body)).not.toContain(ADMIN);
    expect(Object.keys(admin.body).sort()).toEqual(['effectiveScopes', 'name', 'scopes']);
  });

  it('lists mapping versions newest first with who and why, pages by `before`, and serves one in full', async () => {
    const products = ProductMappingSet.parse({ products: CATALOGUE, reason: 'first catalogue' });
    await publishMapping(t.app.store, 'products', products, new Date('2026-01-01T00:00:00Z'), 'alice');
    const second = ProductMappingSet.parse({ products: CATALOGUE.slice(1), reason: 'drop the first SKU' });
    await publishMapping(t.app.store, 'products', second, new Date('2026-02-01T00:00:00Z'), 'bob');
    await publishMapping(t.app.store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date(), 'carol');

    const list = await t.call('GET', '/v1/mappings/products/versions', undefined, KEYS.reader);
    expect(list.status).toBe(200);
    expect(list.body.versions.map((v: any) => [v.version, v.publishedBy, v.reason, v.entries])).toEqual([
      [2, 'bob', 'drop the first SKU', CATALOGUE.length - 1],
      [1, 'alice', 'first catalogue', CATALOGUE.length],
    ]);
    expect(list.body.nextBefore).toBeNull();
    const first = await t.call('GET', '/v1/mappings/products/versions?limit=1', undefined, KEYS.reader);
    expect(first.body.versions.map((v: any) => v.version)).toEqual([2]);
    expect(first.body.nextBefore).toBe(2);
    const next = await t.call('GET', '/v1/mappings/products/versions?limit=1&before=2', undefined, KEYS.reader);
    expect(next.body.versions.map((v: any) => v.version)).toEqual([1]);
    expect(next.body.nextBefore).toBeNull();

    const full = await t.call('GET', '/v1/mappings/products/versions/1', undefined, KEYS.reader);
    expect(full.body.products).toHaveLength(CATALOGUE.length);
    expect(full.body.publishedBy).toBe('alice');
    const accounts = await t.call('GET', '/v1/mappings/accounts/versions', undefined, KEYS.reader);
    expect(accounts.body.versions).toHaveLength(1);

    const missing = await t.call('GET', '/v1/mappings/products/versions/9', undefined, KEYS.reader);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('UNKNOWN_MAPPING_VERSION');
    const bad = await t.call('GET', '/v1/mappings/products/versions?limit=1000', undefined, KEYS.reader);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('limit');
    expect((await t.call('GET', '/v1/mappings/products/versions', undefined, null)).status).toBe(401);
  });

  it('documents every route under a tag in the OpenAPI document (the new ones too), GraphiQL and console files hidden', async () => {
    const doc = (await t.call('GET', '/docs/json', undefined, null)).body;
    expect(doc.paths['/v1/whoami'].get.tags).toEqual(['console']);
    expect(doc.paths['/v1/mappings/{kind}/versions'].get.tags).toEqual(['mappings']);
    expect(doc.paths['/graphql'].post.tags).toEqual(['graphql']);
    expect(doc.paths['/health'].get.tags).toEqual(['operations']);
    const untagged = Object.entries(doc.paths).flatMap(([path, ops]: [string, any]) =>
      Object.entries(ops)
        .filter(([, op]: [string, any]) => !op.tags?.length)
        .map(([method]) => `${method} ${path}`),
    );
    expect(untagged).toEqual([]);
    const paths = Object.keys(doc.paths);
    expect(paths.filter((p) => p.startsWith('/console') || p.startsWith('/graphiql'))).toEqual([]);
  });
});
