// A posting run that loses the store's posting-run lock part-way (its lease expired and another run took the lock
// over) stops before its next micro-batch and answers 409 POSTING_RUN_LOCK_LOST with what it did until then, never
// a 5xx; nothing it did is lost or sent twice: once the other run is done, the next run posts the rest, one ERP
// document per journal.
import { afterEach, describe, expect, it } from 'vitest';
import type { PostingLockState } from '../../commands/posting-lock.js';
import {
  POSTING_LOCK_STREAM,
  decideAcquire,
  decideRelease,
  evolvePostingLock,
  initialPostingLockState,
} from '../../commands/posting-lock.js';
import { seedDemo } from '../../src/demo/index.js';
import type { Connector, JournalSubmission } from '../../src/posting/index.js';
import { SimulatedConnector, contractJournals } from '../../src/posting/index.js';
import type { Erp } from '../../src/posting/erp.js';
import type { EventStore } from '../../src/store/index.js';
import { startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const CONTROLLER = 'test-controller-key-0123456789';
const INTRUDER = 'another-run#0';

async function lockState(store: EventStore): Promise<PostingLockState> {
  let state = initialPostingLockState;
  for await (const e of store.readStream(POSTING_LOCK_STREAM)) state = evolvePostingLock(state, e);
  return state;
}

/** Another run takes the lock over, as it may once the holder's lease has expired (here: an hour from now). */
async function takeOver(store: EventStore): Promise<void> {
  const state = await lockState(store);
  const later = new Date(Date.now() + 3_600_000);
  const event = decideAcquire(state, INTRUDER, 60_000, later);
  if (!('eventId' in event)) throw new Error(event.message);
  await store.append(POSTING_LOCK_STREAM, [event], { expectedRevision: state.revision ?? 'no_stream' });
}

describe('a posting run that loses its lock', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('answers 409 POSTING_RUN_LOCK_LOST after the batch in flight; the next run posts the rest, once each', async () => {
    const erp = new SimulatedConnector();
    let store: EventStore | null = null;
    let submitted = 0;
    // The ERP call of the first micro-batch is where the run stalls past its lease and the other run takes over.
    const stalling: Connector = {
      name: erp.name,
      submit: async (journal: JournalSubmission) => {
        if (submitted++ === 0) await takeOver(store!);
        return erp.submit(journal);
      },
      find: (journalId: string) => erp.find(journalId),
      close: async () => undefined,
    };
    const deps: { erp: Erp } = {
      erp: { kind: 'simulated', open: () => stalling, release: async () => undefined, close: () => erp.close() },
    };
    t = await startTestApp(
      {
        REVTRAIL_API_KEYS: JSON.stringify([{ name: 'controller', scopes: ['post', 'read'], key: CONTROLLER }]),
        REVTRAIL_PROJECTIONS: 'off',
        REVTRAIL_POSTING_BATCH: '2',
      },
      deps,
    );
    store = t.app.store;
    await seedDemo(store, { contracts: 20, seed: 3 });

    const stopped = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(stopped.status).toBe(409);
    expect(stopped.body).toMatchObject({ code: 'POSTING_RUN_LOCK_LOST', summary: { posted: 2 } });
    expect(stopped.body.detail).toContain(INTRUDER);
    expect(stopped.body.summary.prepared).toBeGreaterThan(2);
    // Only the micro-batch in flight reached the ERP.
    expect(erp.documents()).toHaveLength(2);
    // While the other run holds the lock, no run starts.
    const refused = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('POSTING_RUN_IN_PROGRESS');

    const state = await lockState(store);
    await store.append(POSTING_LOCK_STREAM, [decideRelease(state, INTRUDER, new Date())!], {
      expectedRevision: state.revision!,
    });
    const next = await t.call('POST', '/v1/posting-runs', { period: '2026-03' }, CONTROLLER);
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({ prepared: 0, posted: stopped.body.summary.prepared - 2, rejected: {} });

    const journals = [...(await contractJournals(store)).values()].flatMap((c) => [...c.journals.values()]);
    expect(journals.every((j) => j.status === 'posted')).toBe(true);
    const documents = erp.documents().map((d) => d.journal.journalId);
    expect(new Set(documents).size).toBe(documents.length);
    expect(documents.sort()).toEqual(journals.map((j) => j.journalId).sort());
  });
});
