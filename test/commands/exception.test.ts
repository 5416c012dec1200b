// given / when / then over the exception work-item commands: the status machine open -> acknowledged -> resolved |
// ignored, refusals as coded values, retries that change nothing, and replays counted.
import { describe, expect, it } from 'vitest';
import { accepted } from '../../commands/decider.js';
import { exception } from '../../commands/exception.js';
import type { ExceptionAction, ExceptionCommand, ExceptionSubject } from '../../commands/exception.js';
import type { DomainError, ProposedEvent } from '../../schemas/index.js';

const ID = 'EX-1';
const subject: ExceptionSubject = {
  kind: 'schedule',
  code: 'UNMAPPED_SKU',
  document: 'contract:C-1',
  contractId: 'C-1',
  legalEntity: 'US01',
  amount: '1200.00',
  currency: 'USD',
  firstSeen: '2026-01-01T00:00:00Z',
  message: 'SKU X has no product mapping',
};

const command = (action: ExceptionAction, resolvedBySystem: string | null = null): ExceptionCommand => ({
  ...action,
  subject,
  resolvedBySystem,
  at: '2026-02-01T00:00:00Z',
  actor: 'ops-key',
});

/** given(actions...).when(action).then(...): each given action must have been accepted. */
function given(...actions: ExceptionAction[]) {
  let state = exception.initial(ID);
  for (const a of actions) {
    const decided = exception.decide(state, command(a));
    if (!accepted(decided)) throw new Error(`given ${a.action} was refused: ${decided.code}`);
    for (const e of decided) state = exception.evolve(state, e);
  }
  return {
    state,
    when: (a: ExceptionAction, resolvedBySystem: string | null = null) => {
      const decided = exception.decide(state, command(a, resolvedBySystem));
      return {
        then: (types: string[]): ProposedEvent[] => {
          if (!accepted(decided)) throw new Error(`refused: ${decided.code} ${decided.message}`);
          expect(decided.map((e) => e.type)).toEqual(types);
          return decided;
        },
        thenRefused: (code: string): DomainError => {
          if (accepted(decided)) throw new Error(`accepted: ${decided.map((e) => e.type).join(', ')}`);
          expect(decided.code).toBe(code);
          return decided;
        },
      };
    },
  };
}

const assign = (owner: string): ExceptionAction => ({ action: 'assign', owner });
const ack: ExceptionAction = { action: 'acknowledge' };
const resolve: ExceptionAction = { action: 'resolve', reason: 'fixed the feed' };
const ignore: ExceptionAction = { action: 'ignore', reason: 'test contract' };
const note = (text: string): ExceptionAction => ({ action: 'note', text });
const replay = (outcome: 'accepted' | 'refused'): ExceptionAction => ({
  action: 'replay',
  outcome,
  corrected: false,
  eventId: 'E-9',
});

describe('exception commands', () => {
  it('an open exception is assigned; the event names the owner, the previous one, the actor and the time', () => {
    const [e] = given().when(assign('alice')).then(['ExceptionAssigned']);
    expect(e!.data).toMatchObject({ exceptionId: ID, owner: 'alice', previousOwner: null, subject });
    expect(e!.metadata).toMatchObject({ actor: 'ops-key', receivedAt: '2026-02-01T00:00:00Z' });
  });

  it('assigning to the owner it already has changes nothing; to another owner is a reassignment', () => {
    given(assign('alice')).when(assign('alice')).then([]);
    const [e] = given(assign('alice')).when(assign('bob')).then(['ExceptionAssigned']);
    expect(e!.data).toMatchObject({ owner: 'bob', previousOwner: 'alice' });
  });

  it('open is acknowledged; acknowledging again changes nothing', () => {
    given().when(ack).then(['ExceptionAcknowledged']);
    given(ack).when(ack).then([]);
  });

  it('resolve and ignore need the exception acknowledged first', () => {
    expect(given().when(resolve).thenRefused('EXCEPTION_TRANSITION_INVALID').message).toContain('acknowledge it first');
    given().when(ignore).thenRefused('EXCEPTION_TRANSITION_INVALID');
  });

  it('an acknowledged exception is resolved with its reason, or ignored with its reason', () => {
    const [r] = given(ack).when(resolve).then(['ExceptionResolved']);
    expect(r!.data.reason).toBe('fixed the feed');
    const [i] = given(ack).when(ignore).then(['ExceptionIgnored']);
    expect(i!.data.reason).toBe('test contract');
  });

  it('a closed exception is closed for good: the same close changes nothing, anything else is refused', () => {
    given(ack, resolve).when(resolve).then([]);
    given(ack, ignore).when(ignore).then([]);
    given(ack, resolve).when(ignore).thenRefused('EXCEPTION_TRANSITION_INVALID');
    given(ack, ignore).when(resolve).thenRefused('EXCEPTION_TRANSITION_INVALID');
    given(ack, resolve).when(ack).thenRefused('EXCEPTION_TRANSITION_INVALID');
    given(ack, ignore).when(assign('bob')).thenRefused('EXCEPTION_TRANSITION_INVALID');
  });

  it('notes are taken at any status, each its own event', () => {
    given().when(note('looking')).then(['ExceptionNoted']);
    const [n] = given(ack, resolve, note('first')).when(note('second')).then(['ExceptionNoted']);
    expect(n!.data.text).toBe('second');
  });

  it('an exception the system resolved takes notes only', () => {
    const gone = 'product mapping version 2 maps X';
    const refused = given().when(ack, gone).thenRefused('EXCEPTION_TRANSITION_INVALID');
    expect(refused.message).toContain(gone);
    given().when(assign('alice'), gone).thenRefused('EXCEPTION_TRANSITION_INVALID');
    given().when(note('saw it'), gone).then(['ExceptionNoted']);
    given().when(replay('accepted'), gone).thenRefused('REPLAY_NOT_ALLOWED');
  });

  it('replays are counted; an accepted one resolves the exception, after which there is nothing to replay', () => {
    const g = given(replay('refused'), replay('refused'));
    expect(g.state.replays).toBe(2);
    expect(g.state.status).toBe('open');
    const [e] = g.when(replay('accepted')).then(['ExceptionReplayed']);
    expect(e!.data).toMatchObject({ outcome: 'accepted', replayEventId: 'E-9', corrected: false });
    const after = given(replay('refused'), replay('accepted'));
    expect(after.state).toMatchObject({ replays: 2, status: 'resolved' });
    after.when(replay('accepted')).thenRefused('REPLAY_NOT_ALLOWED');
    given(ack, ignore).when(replay('accepted')).thenRefused('REPLAY_NOT_ALLOWED');
  });

  it('a retried decision gives the same event id; the next step gets another', () => {
    const [a] = given().when(ack).then(['ExceptionAcknowledged']);
    const [b] = given().when(ack).then(['ExceptionAcknowledged']);
    expect(a!.eventId).toBe(b!.eventId);
    const [c] = given(ack).when(resolve).then(['ExceptionResolved']);
    expect(c!.eventId).not.toBe(a!.eventId);
  });
});
