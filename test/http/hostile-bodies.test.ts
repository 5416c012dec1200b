// What a client can send cannot stop, bloat or half-commit the ledger: bounded events are refused at the edge with
// their field and code, bodies out of shape are refused as a whole with nothing stored, and kept refusals are small.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/index.js';
import { canonicalJson } from '../../schemas/index.js';
import type { AppendRequest } from '../../src/store/index.js';
import type { RecordedEvent } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { PLATFORM_LINE, booking, invoice } from '../support/fixtures.js';

const day = () => new Date().toISOString().slice(0, 10);

async function read(t: TestApp, streamId: string): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of t.app.store.readStream(streamId)) out.push(e);
  return out;
}

async function postRaw(t: TestApp, body: string, contentType = 'application/json') {
  const res = await fetch(`${t.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.writer}`, 'content-type': contentType },
    body,
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
}

/** JSON text of a value nested `depth` objects deep (written as text: serialising it would overflow the stack). */
function nestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;
}

describe('hostile bodies', () => {
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  it('refuses a service end of 9999-12-31 at its field, and stores nothing of it', async () => {
    t = await startTestApp();
    const res = await t.post([booking('C-9999', [{ ...PLATFORM_LINE, serviceEnd: '9999-12-31' }])]);
    expect(res.results[0]).toMatchObject({
      status: 'rejected',
      errors: [{ code: 'SERVICE_TERM_TOO_LONG', path: 'data.lines.0.serviceEnd' }],
    });
    expect(await read(t, 'contract-C-9999')).toEqual([]);
    expect(await t.call('GET', '/health')).toMatchObject({ status: 200 });
  });

  it('honours a longer configured service term', async () => {
    t = await startTestApp({ REVTRAIL_MAX_SERVICE_TERM_YEARS: '30' });
    const long = { ...PLATFORM_LINE, serviceEnd: '2045-12-31' };
    expect((await t.post([booking('C-LONG', [long])])).results[0]).toMatchObject({ status: 'appended' });
  });

  it('refuses a body nested 10,000 levels as a whole: 400, nothing of it stored', async () => {
    t = await startTestApp();
    const deep = JSON.stringify(booking('C-DEEP-2')).replace(/"data":\{.*\}\}$/, `"data":${nestedText(10_000)}}`);
    const r = await postRaw(t, `{"events":[${JSON.stringify(booking('C-DEEP'))},${deep}]}`);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/problem\+json/);
    expect(r.body).toMatchObject({
      code: 'BODY_TOO_DEEP',
      errors: [{ path: expect.stringMatching(/^events\.1\.data\./) }],
    });
    expect(await read(t, 'contract-C-DEEP')).toEqual([]);
    expect(await read(t, `rejections-${day()}`)).toEqual([]);
  });

  it.each([
    ['__proto__', '{"events":[{"type":"ContractBooked","__proto__":{"admin":true}}]}'],
    ['constructor.prototype', '{"events":[{"constructor":{"prototype":{"admin":true}}}]}'],
  ])('refuses a body with a %s key as a whole', async (_name, body) => {
    t = await startTestApp();
    const r = await postRaw(t, body);
    expect(r).toMatchObject({ status: 400, body: { code: 'FORBIDDEN_KEY' } });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(await read(t, `rejections-${day()}`)).toEqual([]);
  });

  it.each([
    'application/json;charset=utf-16',
    'application/json; charset="UTF-16LE"',
    'application/json; charset=latin1',
    'text/plain',
    'application/xml',
  ])('refuses content type %s with 415', async (contentType) => {
    t = await startTestApp();
    const r = await postRaw(t, JSON.stringify({ events: [booking('C-CT')] }), contentType);
    expect(r).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(r.type).toMatch(/problem\+json/);
    expect(await read(t, 'contract-C-CT')).toEqual([]);
  });

  it('accepts an explicit utf-8 charset', async () => {
    t = await startTestApp();
    const r = await postRaw(t, JSON.stringify({ events: [booking('C-U8')] }), 'application/json; charset=UTF-8');
    expect(r).toMatchObject({ status: 200, body: { counts: { appended: 1 } } });
  });
});

describe('kept refusals', () => {
  let t: TestApp | undefined;
  afterEach(() => t?.close());

  it('keep at most 64 KiB of an 8 MB input, with its full size and sha-256', async () => {
    t = await startTestApp();
    const input = { type: 'Nope', padding: 'é'.repeat(4 * 1024 * 1024) };
    const res = await t.post([input]);
    expect(res.results[0]).toMatchObject({ status: 'rejected' });
    const [kept] = await read(t, `rejections-${day()}`);
    const text = canonicalJson(input);
    expect(kept!.data).toMatchObject({
      inputCut: true,
      inputBytes: Buffer.byteLength(text),
      inputSha256: createHash('sha256').update(text).digest('hex'),
      errors: [{ code: 'UNKNOWN_TYPE' }],
    });
    const stored = kept!.data.input as string;
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength(stored)).toBeGreaterThan(64 * 1024 - 4);
    expect(text.startsWith(stored)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(kept!.data))).toBeLessThan(70 * 1024);
  });

  it('keep a small input whole', async () => {
    t = await startTestApp();
    await t.post([{ type: 'Nope', n: 1 }]);
    const [kept] = await read(t, `rejections-${day()}`);
    const text = canonicalJson({ type: 'Nope', n: 1 });
    expect(kept!.data).toMatchObject({
      input: { type: 'Nope', n: 1 },
      inputCut: false,
      inputBytes: text.length,
      inputSha256: createHash('sha256').update(text).digest('hex'),
    });
  });

  it('a failure to keep refusals after a commit does not turn the committed request into an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-keep-'));
    const store = new SqliteEventStore({ path: `${dir}/store.db` });
    const appendMany = store.appendMany.bind(store);
    store.appendMany = (requests: readonly AppendRequest[]) =>
      requests.every((r) => r.streamId.startsWith('rejections-'))
        ? Promise.reject(new Error('disk full'))
        : appendMany(requests);
    const append = store.append.bind(store);
    store.append = (streamId, events, options) =>
      streamId.startsWith('rejections-') ? Promise.reject(new Error('disk full')) : append(streamId, events, options);
    t = await startTestApp({}, { store });
    // The invoice's amount has more decimals than USD allows: found only when deciding with the booking of the same
    // request (its currency), so this refusal is final only once the booking's append succeeded.
    const res = await t.post([booking('C-KEEP'), invoice('C-KEEP', 'INV-1', 'L1', '100.001')]);
    expect(res.results.map((r) => r.status)).toEqual(['appended', 'rejected']);
    expect(await read(t, 'contract-C-KEEP')).toHaveLength(1);
    await t.close();
    t = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
});
