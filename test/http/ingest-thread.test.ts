// POST /v1/events off the API's event loop: the ingest worker thread answers every kind of body exactly as the
// API's own thread does, is the thread that does the work (at its lower priority), and a worker that dies fails only
// what it had in hand: the next request starts a new one.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { IngestThread } from '../../src/http/ingest-thread.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { PLATFORM_LINE, booking, invoice } from '../support/fixtures.js';

async function postRaw(t: TestApp, body: string): Promise<{ status: number; type: string | null; body: unknown }> {
  const res = await fetch(`${t.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEYS.writer}`, 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as unknown) : '' };
}

/** Every kind of body: appended, duplicate, out of order, rejected, and refused or malformed as a whole. */
const BODIES: [string, string][] = [
  ['a booking and its invoice', JSON.stringify({ events: [booking('C-T1'), invoice('C-T1', 'INV-T1')] })],
  ['the same again', JSON.stringify({ events: [booking('C-T1'), invoice('C-T1', 'INV-T1')] })],
  ['an invoice before its booking', JSON.stringify({ events: [invoice('C-T2', 'INV-T2')] })],
  [
    'a booking out of bounds',
    JSON.stringify({ events: [booking('C-T3', [{ ...PLATFORM_LINE, serviceEnd: '9999-12-31' }])] }),
  ],
  ['the booking the invoice waited for', JSON.stringify({ events: [booking('C-T2')] })],
  ['an empty body', ''],
  ['text that is not JSON', '{"events": ['],
  ['a prototype key', '{"events":[{"type":"ContractBooked","__proto__":{"admin":true}}]}'],
  ['a body nested too deep', `{"events":[${'['.repeat(500)}${']'.repeat(500)}]}`],
  ['no events', '{"events": []}'],
  ['not a batch', '[1, 2, 3]'],
];

/** The Linux threads of this process whose nice value is `nice`. */
function threadsAtNice(nice: number): number {
  let n = 0;
  for (const task of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[16]) === nice) n++;
  }
  return n;
}

describe('the ingest worker thread', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  it('answers every kind of body as the API thread does, and stores the same events', async () => {
    const threaded = await startTestApp({ REVTRAIL_PROJECTIONS: 'off', REVTRAIL_INGEST: 'thread' });
    const inline = await startTestApp({ REVTRAIL_PROJECTIONS: 'off', REVTRAIL_INGEST: 'inline' });
    apps.push(threaded, inline);
    for (const [name, body] of BODIES) {
      const [a, b] = [await postRaw(threaded, body), await postRaw(inline, body)];
      expect({ name, ...a }).toEqual({ name, ...b });
    }
    const statuses = (await postRaw(threaded, BODIES[0]![1])).body as { counts: Record<string, number> };
    expect(statuses.counts).toEqual({ appended: 0, duplicate: 2, held: 0, rejected: 0 });
    const stored = async (t: TestApp) => {
      const out: string[] = [];
      // A kept refusal's id is drawn at random; every other event's is derived from its input.
      for await (const e of t.app.store.readAll())
        out.push(`${e.streamId}:${e.type}:${e.type === 'InputRejected' ? '' : e.eventId}`);
      return out;
    };
    const events = await stored(threaded);
    expect(events.length).toBeGreaterThan(3);
    expect(events).toEqual(await stored(inline));
  });

  it.runIf(process.platform === 'linux')(
    'does the work in a thread of its own, at the configured nice value',
    async () => {
      const before = threadsAtNice(7);
      const t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off', REVTRAIL_WORKER_NICE: '7' });
      apps.push(t);
      expect(threadsAtNice(7)).toBe(before); // started by the first request, not before
      expect((await t.post([booking('C-N1')])).counts.appended).toBe(1);
      expect(threadsAtNice(7)).toBe(before + 1);
      const inline = await startTestApp({
        REVTRAIL_PROJECTIONS: 'off',
        REVTRAIL_INGEST: 'inline',
        REVTRAIL_WORKER_NICE: '7',
      });
      apps.push(inline);
      expect((await inline.post([booking('C-N1')])).counts.appended).toBe(1);
      expect(threadsAtNice(7)).toBe(before + 1);
    },
  );

  it('fails the requests of a worker that died, and the next request starts a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revtrail-ingest-thread-'));
    try {
      // The store's directory cannot be made while a file stands in its place: the worker fails as it starts.
      writeFileSync(join(dir, 'blocked'), '');
      const config = loadConfig({});
      const data = {
        store: join(dir, 'blocked', 'revtrail.db'),
        sqliteSync: 'normal' as const,
        limits: config.limits,
        nice: 0,
      };
      const thread = new IngestThread(data);
      const ctx = { actor: 'crm-sync', requestId: 'r-1' };
      const body = JSON.stringify({ events: [booking('C-D1')] });
      await expect(thread.answer(body, ctx)).rejects.toThrow(/ingest worker exited with 1 before answering/);
      rmSync(join(dir, 'blocked'));
      const answer = await thread.answer(body, ctx);
      expect(answer).toMatchObject({ kind: 'ingested', counts: { appended: 1 } });
      await thread.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
