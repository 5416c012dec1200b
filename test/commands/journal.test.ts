// given / when / then over the journal commands: ids that make retries harmless, outcomes recorded once, and the
// explicit re-preparation of a journal refused for a closed period.
import { describe, expect, it } from 'vitest';
import {
  decideOutcome,
  decidePrepare,
  decideReprepare,
  decideSubmitted,
  evolveJournals,
  initialJournalState,
  journal,
  journaledLines,
} from '../../commands/journal.js';
import type { JournalState } from '../../commands/journal.js';
import type { DomainError, ProposedEvent } from '../../schemas/index.js';
import type { PreparedJournal } from '../../src/posting/index.js';

const ctx = { receivedAt: '2026-02-01T00:00:00Z', actor: 'posting-run' };
const prepared = (through: string, amount = '100.00'): PreparedJournal => ({
  contractId: 'C-1',
  legalEntity: 'US01',
  currency: 'USD',
  through,
  period: through,
  date: `${through}-28`,
  lines: [
    { account: '2400', debit: amount, credit: '0.00', description: 'd', dimensions: { contractId: 'C-1' } },
    { account: '4000', debit: '0.00', credit: amount, description: 'd', dimensions: { contractId: 'C-1' } },
  ],
  lineage: { sourceEventIds: [], scheduleLines: [], productMappingVersion: 1, accountMappingVersion: 1 },
});

const given = (...events: (ProposedEvent | null)[]): JournalState =>
  events.reduce<JournalState>((s, e) => (e ? evolveJournals(s, e) : s), initialJournalState('C-1'));
const ok = (x: ProposedEvent | DomainError): ProposedEvent => {
  if (!('eventId' in x)) throw new Error(`unexpected ${x.code}`);
  return x;
};

describe('journal commands', () => {
  it('nothing to journal prepares nothing', () => {
    expect(decidePrepare(given(), null, ctx)).toBeNull();
  });

  it('a retried preparation maps to the same journal id and event id', () => {
    const a = decidePrepare(given(), prepared('2026-01'), ctx)!;
    const b = decidePrepare(given(), prepared('2026-01'), ctx)!;
    expect(a.eventId).toBe(b.eventId);
    expect(a.data.journalId).toBe(b.data.journalId);
    const next = decidePrepare(given(a), prepared('2026-02'), ctx)!;
    expect(next.data.journalId).not.toBe(a.data.journalId);
  });

  it('each submission attempt is its own event; a posted journal takes no second answer', () => {
    const p = decidePrepare(given(), prepared('2026-01'), ctx)!;
    const id = p.data.journalId as string;
    const s1 = ok(decideSubmitted(given(p), id, { batchId: 'B1', connector: 'simulated' }, ctx));
    const unavailable = decideOutcome(
      given(p, s1),
      id,
      { status: 'rejected', code: 'CONNECTOR_UNAVAILABLE', retryable: true, message: 'down' },
      'simulated',
      ctx,
    )!;
    const s2 = ok(decideSubmitted(given(p, s1, unavailable), id, { batchId: 'B2', connector: 'simulated' }, ctx));
    expect(s2.eventId).not.toBe(s1.eventId);
    expect(s2.data).toMatchObject({ attempt: 2, idempotencyKey: id });
    const posted = decideOutcome(
      given(p, s1, unavailable, s2),
      id,
      { status: 'posted', erpDocumentId: 'M-7', alreadyPosted: false },
      'simulated',
      ctx,
    )!;
    const state = given(p, s1, unavailable, s2, posted);
    expect(state.journals.get(id)).toMatchObject({ status: 'posted', erpDocumentId: 'M-7', attempts: 2 });
    expect(
      decideOutcome(state, id, { status: 'posted', erpDocumentId: 'M-7', alreadyPosted: true }, 'simulated', ctx),
    ).toBeNull();
    expect(decideSubmitted(state, id, { batchId: 'B3', connector: 'simulated' }, ctx)).toMatchObject({
      code: 'JOURNAL_NOT_SUBMITTABLE',
    });
  });

  it('a journal refused for a closed period is re-prepared into the open period and stops counting', () => {
    const p = decidePrepare(given(), prepared('2026-01'), ctx)!;
    const id = p.data.journalId as string;
    const s = ok(decideSubmitted(given(p), id, { batchId: 'B1', connector: 'tryton' }, ctx));
    const refused = decideOutcome(
      given(p, s),
      id,
      { status: 'rejected', code: 'PERIOD_CLOSED', retryable: false, message: 'closed' },
      'tryton',
      ctx,
    )!;
    const state = given(p, s, refused);
    expect(journaledLines(state)).toHaveLength(2); // refused, but still what was journaled until re-prepared
    const again = ok(decideReprepare(state, id, '2026-02', '2026-02-28', ctx, prepared('2026-01')));
    expect(again.data).toMatchObject({ period: '2026-02', date: '2026-02-28', through: '2026-01', supersedes: id });
    const after = given(p, s, refused, again);
    expect(after.journals.get(id)!.status).toBe('superseded');
    expect(journaledLines(after)).toEqual(p.data.lines); // the same lines, counted once
    expect(decideReprepare(after, id, '2026-02', '2026-02-28', ctx, prepared('2026-01'))).toMatchObject({
      code: 'JOURNAL_NOT_SUBMITTABLE',
    });
  });

  it('only a PERIOD_CLOSED refusal can be re-prepared', () => {
    const p = decidePrepare(given(), prepared('2026-01'), ctx)!;
    const id = p.data.journalId as string;
    expect(decideReprepare(given(p), id, '2026-02', '2026-02-28', ctx, prepared('2026-01'))).toMatchObject({
      code: 'JOURNAL_NOT_SUBMITTABLE',
    });
    expect(decideReprepare(given(p), 'nope', '2026-02', '2026-02-28', ctx, prepared('2026-01'))).toMatchObject({
      code: 'UNKNOWN_JOURNAL',
    });
  });

  it('as a Decider: events to append, none for nothing to do, a refusal as a value, on the contract stream', () => {
    expect(journal.stream('C-1')).toBe('contract-C-1');
    expect(journal.decide(journal.initial('C-1'), { action: 'prepare', prepared: null, ctx })).toEqual([]);
    const [p] = journal.decide(journal.initial('C-1'), { action: 'prepare', prepared: prepared('2026-01'), ctx }) as [
      ProposedEvent,
    ];
    expect(p).toEqual(decidePrepare(given(), prepared('2026-01'), ctx));
    const state = journal.evolve(journal.initial('C-1'), p);
    const submission = { batchId: 'B1', connector: 'simulated' };
    expect(journal.decide(state, { action: 'submitted', journalId: 'nope', submission, ctx })).toMatchObject({
      code: 'UNKNOWN_JOURNAL',
    });
    const journalId = p.data.journalId as string;
    expect(journal.decide(state, { action: 'submitted', journalId, submission, ctx })).toMatchObject([
      { type: 'JournalSubmitted' },
    ]);
  });
});
