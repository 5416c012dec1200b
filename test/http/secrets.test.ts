// No key reaches a log line: a real server logs at trace level into a captured destination while clients send keys
// everywhere a client might put one (query parameters of refused and accepted requests, the Authorization header,
// the graphql-ws connection_init payload and the websocket URL), and each key must be absent from all captured text.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createClient } from 'graphql-ws';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions, redactUrl } from '../../src/http/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

// `ws` ships no types here (no @types/ws); graphql-ws only needs a WebSocket constructor.
const WebSocketImpl = (createRequire(import.meta.url)('ws') as { WebSocket: unknown }).WebSocket;

/** A log destination that keeps every line, and waits (bounded) for a line to appear. */
class CapturedLog {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  get text(): string {
    return this.lines.join('');
  }
  async waitFor(fragment: string): Promise<void> {
    for (let i = 0; i < 500 && !this.text.includes(fragment); i++) await new Promise((r) => setTimeout(r, 10));
    expect(this.text).toContain(fragment);
  }
}

/** A key-shaped string for one case, so a leak names the case that leaked. */
const leak = (name: string): string => `rt_leak_${name}_${randomUUID().replaceAll('-', '')}`;

describe('redactUrl', () => {
  it('replaces the value of every parameter whose name holds key, token, secret, password or auth, in any case', () => {
    expect(
      redactUrl(
        '/v1/events?api_key=a1&KEY=a2&apiKey=a3&Access_Token=a4&token=a5&client_secret=a6&password=a7&auth=a8&x-api-key=a9',
      ),
    ).toBe(
      '/v1/events?api_key=[REDACTED]&KEY=[REDACTED]&apiKey=[REDACTED]&Access_Token=[REDACTED]&token=[REDACTED]' +
        '&client_secret=[REDACTED]&password=[REDACTED]&auth=[REDACTED]&x-api-key=[REDACTED]',
    );
  });

  it('judges a percent-encoded or plus-encoded name by what it decodes to', () => {
    expect(redactUrl('/x?api%5Fkey=s1&access%20token=s2&api+key=s3&bad%zzkey=s4')).toBe(
      '/x?api%5Fkey=[REDACTED]&access%20token=[REDACTED]&api+key=[REDACTED]&bad%zzkey=[REDACTED]',
    );
  });

  it('keeps everything else as written: path, other parameters, their order, a fragment', () => {
    expect(redactUrl('/v1/contracts/C-1/schedule?asOf=2026-01&token=s&page=2#top')).toBe(
      '/v1/contracts/C-1/schedule?asOf=2026-01&token=[REDACTED]&page=2#top',
    );
    for (const plain of ['/health', '/v1/events', '/x?', '/x?a=1&b', '/x?a=1&&b=2', '/graphql?query=%7B__typename%7D'])
      expect(redactUrl(plain)).toBe(plain);
  });

  it('replaces the userinfo of an absolute URL', () => {
    expect(redactUrl('https://admin:hunter2@erp.example:8000/db/?key=k')).toBe(
      'https://[REDACTED]@erp.example:8000/db/?key=[REDACTED]',
    );
  });
});

describe("the service's logger", () => {
  it('censors header-shaped fields, and URLs and Bearer credentials that reach free text', async () => {
    const log = new CapturedLog();
    const app = Fastify({ logger: loggerOptions('trace', log) });
    const secrets = Array.from({ length: 8 }, (_, i) => leak(`logger${i}`));
    app.log.info({ req: { method: 'GET', url: `/x?token=${secrets[0]}`, headers: {} } }, 'request');
    app.log.info({ headers: { authorization: `Bearer ${secrets[1]}`, 'x-api-key': secrets[2] } }, 'headers');
    app.log.info({ payload: { authorization: `Bearer ${secrets[3]}` } }, 'connection_init');
    app.log.info(`Route GET:/v1/x?api_key=${secrets[4]} not found`);
    app.log.error({ err: new Error(`Tryton at https://u:${secrets[5]}@erp/?token=${secrets[5]} failed`) }, 'failed');
    app.log.warn(`upstream sent Authorization: Bearer ${secrets[6]}`);
    const basic = Buffer.from(`ops:${secrets[7]}`).toString('base64');
    app.log.warn(`upstream sent Authorization: Basic ${basic}`);
    app.log.info('line L-2 is Basic support');
    await app.close();
    expect(log.lines.length).toBe(8);
    expect(log.text).toContain('[REDACTED]');
    expect(log.text).toContain('line L-2 is Basic support');
    for (const s of [...secrets, basic]) expect(log.text).not.toContain(s);
  });
});

describe('no key reaches the log of a listening server', () => {
  let t: TestApp;
  let log: CapturedLog;
  const clients: Client[] = [];

  beforeAll(async () => {
    log = new CapturedLog();
    t = await startTestApp({ REVTRAIL_LOG_LEVEL: 'trace', REVTRAIL_PROJECTIONS: 'off' }, { logDestination: log });
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await t.close();
  });

  /** Sends a request with its own request id and waits until its completion is logged. */
  const send = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => {
    const requestId = randomUUID();
    const res = await fetch(`${t.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-request-id': requestId, ...init.headers },
      body: init.body,
    });
    const text = await res.text();
    await log.waitFor(`"reqId":"${requestId}","res":`);
    return { status: res.status, text, requestId };
  };

  const expectAbsent = (...secrets: string[]) => {
    for (const s of secrets) expect(log.text).not.toContain(s);
  };

  it('POST /v1/events?api_key=<key> is refused 401 and its URL is logged with the key redacted', async () => {
    const r = await send(`/v1/events?api_key=${KEYS.writer}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [] }),
    });
    expect(r.status).toBe(401);
    expect(log.text).toContain('"url":"/v1/events?api_key=[REDACTED]"');
    expectAbsent(KEYS.writer);
  });

  it('key-like query parameters of a GET are redacted whether the request is refused or served', async () => {
    const keys = [leak('token'), leak('access'), leak('apikey'), leak('secret')];
    const query = `token=${keys[0]}&Access_Token=${keys[1]}&apiKey=${keys[2]}&client_secret=${keys[3]}`;
    const refused = await send(`/v1/contracts/C-1/status?${query}`, {});
    expect(refused.status).toBe(401);
    const served = await send(`/v1/contracts/C-1/status?${query}`, {
      headers: { authorization: `Bearer ${KEYS.reader}` },
    });
    expect(served.status).toBe(404);
    const unrouted = await send(`/v1/no-such-route?token=${keys[0]}`, {});
    expect(unrouted.status).toBe(404);
    expect(unrouted.text).toContain('token=[REDACTED]');
    expect(log.text).toContain('"url":"/v1/contracts/C-1/status?token=[REDACTED]&Access_Token=[REDACTED]');
    expectAbsent(KEYS.reader, ...keys);
  });

  it('an Authorization header is never logged, with a valid key, an invalid one, or a key lacking the scope', async () => {
    const invalid = leak('bearer');
    const ok = await send('/v1/projections', { headers: { authorization: `Bearer ${KEYS.reader}` } });
    expect(ok.status).toBe(200);
    const bad = await send('/v1/projections', { headers: { authorization: `Bearer ${invalid}` } });
    expect(bad.status).toBe(401);
    const forbidden = await send('/v1/events', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.reader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [] }),
    });
    expect(forbidden.status).toBe(403);
    const graphql = await send('/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${invalid}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(graphql.status).toBe(401);
    expect(log.text).toContain(`"reqId":"${forbidden.requestId}"`);
    expectAbsent(KEYS.reader, invalid);
  });

  describe('graphql-ws', () => {
    const SUBSCRIBE = 'subscription { ledgerEvents { position type } }';

    const client = (connectionParams: Record<string, unknown>, query = ''): Client => {
      const c = createClient({
        url: `${t.url.replace(/^http/, 'ws')}/graphql${query}`,
        webSocketImpl: WebSocketImpl,
        connectionParams,
        retryAttempts: 0,
      });
      clients.push(c);
      return c;
    };

    const firstEvent = async (c: Client): Promise<unknown> => {
      for await (const r of c.iterate({ query: SUBSCRIBE })) {
        if (r.errors) throw new Error(JSON.stringify(r.errors));
        return r.data;
      }
      return undefined;
    };

    beforeAll(async () => {
      await t.app.store.append(
        'contract-C-WS-2',
        [
          {
            eventId: randomUUID(),
            type: 'UsageRecorded',
            data: { contractId: 'C-WS-2' },
            metadata: { schemaVersion: 1, receivedAt: '2026-01-01T00:00:00Z' },
          },
        ],
        { expectedRevision: 'any' },
      );
    });

    it('a bad key in the connection_init payload is refused and never logged', async () => {
      const bad = leak('wsbad');
      const before = log.lines.length;
      await expect(firstEvent(client({ authorization: `Bearer ${bad}` }))).rejects.toBeDefined();
      await expect(firstEvent(client({ headers: { Authorization: `Bearer ${bad}` } }))).rejects.toBeDefined();
      await log.waitFor('"url":"/graphql"');
      expect(log.lines.length).toBeGreaterThan(before);
      expectAbsent(bad);
    });

    it('a good key in the connection_init payload subscribes and is never logged', async () => {
      await expect(firstEvent(client({ authorization: `Bearer ${KEYS.reader}` }))).resolves.toMatchObject({
        ledgerEvents: { type: expect.any(String) },
      });
      expectAbsent(KEYS.reader);
    });

    it('a key in the websocket URL is redacted from the upgrade request it logs', async () => {
      const inUrl = leak('wsurl');
      await expect(
        firstEvent(client({ authorization: `Bearer ${KEYS.reader}` }, `?access_token=${inUrl}`)),
      ).resolves.toBeDefined();
      await log.waitFor('"url":"/graphql?access_token=[REDACTED]"');
      expectAbsent(inUrl, KEYS.reader);
    });
  });
});
