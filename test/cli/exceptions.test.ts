// `revtrail exceptions` as a separate process over a real store: list, show, the status machine with its exit codes,
// refused inputs and a corrected replay with its lineage.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingestor } from '../../src/ingest/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';

const booking = (currency: string) => ({
  type: 'ContractBooked',
  contractId: 'C-7',
  source: { system: 'crm', id: 'OPP-7', version: 1 },
  occurredAt: '2026-01-15T10:00:00Z',
  data: {
    version: 1,
    customerId: 'K-1',
    legalEntity: 'US01',
    currency,
    bookingDate: '2026-01-15',
    lines: [{ lineId: 'A', sku: 'PLAT', quantity: '1', amount: '700.00' }],
  },
});

describe('revtrail exceptions', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-exc-'));
    env = { REVTRAIL_STORE: join(dir, 'events.db'), REVTRAIL_READ_STORE: join(dir, 'read.db'), REVTRAIL_DATA_DIR: dir };
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE!, synchronous: 'normal' });
    const [r] = await new Ingestor(store).ingest([booking('ABC')], { actor: 'crm-sync' });
    expect(r!.status).toBe('rejected');
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const json = async (args: string[]) => {
    const r = await run(['exceptions', ...args], env);
    return { ...r, body: r.code === 0 ? JSON.parse(r.stdout) : null };
  };

  it('lists, acts through the status machine, and refuses what the status does not allow', async () => {
    const listed = await json(['list']);
    expect(listed.code).toBe(0);
    expect(listed.body.items.map((i: { kind: string; code: string }) => [i.kind, i.code])).toEqual([
      ['refused_input', 'INVALID_CURRENCY'],
    ]);
    const id = listed.body.items[0].id as string;
    const early = await run(['exceptions', 'resolve', id], env);
    expect(early.code).toBe(3);
    expect(JSON.parse(early.stderr)).toMatchObject({ code: 'EXCEPTION_TRANSITION_INVALID' });
    expect((await json(['assign', id, '--owner', 'bob', '--actor', 'ops'])).body).toMatchObject({ owner: 'bob' });
    expect((await json(['ack', id])).body).toMatchObject({ status: 'acknowledged' });
    const noReason = await run(['exceptions', 'ignore', id], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');
    const bad = await run(['exceptions', 'list', '--status', 'later'], env);
    expect(bad.code).toBe(2);
    expect((await json(['list', '--sort', 'age'])).body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    const badSort = await run(['exceptions', 'list', '--sort', 'newest'], env);
    expect(badSort.code).toBe(2);
    expect(badSort.stderr).toContain('--sort "newest": impact or age');
    const shown = await json(['show', id]);
    expect(shown.body).toMatchObject({ status: 'acknowledged', owner: 'bob' });
    expect(shown.body.history.map((h: { action: string; actor: string }) => [h.action, h.actor])).toEqual([
      ['assigned', 'ops'],
      ['acknowledged', 'cli'],
    ]);
  });

  it('lists refused inputs and replays one corrected, with lineage, which resolves its exception', async () => {
    const rejections = await json(['rejections', '--code', 'INVALID_CURRENCY']);
    expect(rejections.body).toMatchObject({ total: 1, replays: 0 });
    const rejection = rejections.body.items[0];
    const file = join(dir, 'corrected.json');
    writeFileSync(file, JSON.stringify(booking('USD')));
    const replay = await json(['replay', rejection.id, '--corrected', file]);
    expect(replay.body).toMatchObject({ ok: true, corrected: true, result: { status: 'appended' } });
    const store = new SqliteEventStore({ path: env.REVTRAIL_STORE!, synchronous: 'normal' });
    try {
      const metadata: unknown[] = [];
      for await (const e of store.readStream('contract-C-7')) metadata.push(e.metadata);
      expect(metadata).toEqual([expect.objectContaining({ correctedFrom: rejection.id })]);
    } finally {
      await store.close();
    }
    const shown = await json(['show', rejection.exceptionId]);
    expect(shown.body).toMatchObject({ status: 'resolved', resolvedBy: 'system', replays: 1 });
    expect((await json(['rejections'])).body.replays).toBe(1);
  });
});
