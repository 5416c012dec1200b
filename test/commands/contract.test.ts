// The contract command, decision by decision, in given / when / then form: given the inbound events the contract's
// stream already holds, when one more arrives, then the events it appends and the answer (appended, held,
// duplicate), or the codes it is refused with. Every case goes through the command's Decider (`contract`) and its
// answer (`decide`), which must agree.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ContractCommand, ContractState, Foldable, Rejected } from '../../commands/contract.js';
import { contract, decide, draftOf, fold, foldInto, proposedAsFoldable } from '../../commands/contract.js';
import { accepted } from '../../commands/decider.js';
import type { ContractLimits, InboundEvent, InboundType } from '../../schemas/index.js';
import { DEFAULT_LIMITS, eventIdFor, idempotencyKey, parseInbound } from '../../schemas/index.js';

const AT = '2026-02-01T09:00:00Z';

// ---- inbound events of contract C-1 (each valid in shape: the rules under test need the contract's history) ----

function inbound(type: InboundType, data: object, sourceId: string, options: Partial<InboundEvent> = {}) {
  const raw = {
    type,
    contractId: 'C-1',
    source: { system: 'crm', id: sourceId, version: 1 },
    occurredAt: AT,
    data,
    ...options,
  };
  const parsed = parseInbound(raw);
  if (!parsed.ok) throw new Error(`not a valid ${type}: ${JSON.stringify(parsed.errors)}`);
  return parsed.event;
}

const line = (lineId: string, sku: string, amount = '1200.00') => ({
  lineId,
  sku,
  quantity: '1',
  amount,
  serviceStart: '2026-01-01',
  serviceEnd: '2026-12-31',
});
const booked = (currency = 'USD', amount = currency === 'JPY' ? '120000' : '1200.00') =>
  inbound(
    'ContractBooked',
    {
      version: 1,
      customerId: 'CU-1',
      legalEntity: 'US01',
      currency,
      bookingDate: '2026-01-01',
      lines: [line('L1', 'PLATFORM', amount)],
    },
    'OPP-1',
  );
const amended = (version: number, lines = [line('L1', 'PLATFORM')], effectiveDate = '2026-04-01', sourceId = '') =>
  inbound('ContractAmended', { version, effectiveDate, lines }, sourceId || `AMD-${version}`);
const cancelled = (version: number, sourceId = '') =>
  inbound('ContractCancelled', { version, effectiveDate: '2026-06-30' }, sourceId || `CAN-${version}`);
const activated = (lineId: string, activatedOn = '2026-01-10', sourceVersion = 1) =>
  inbound('ServiceActivated', { lineId, activatedOn }, `ACT-${lineId}`, {
    source: { system: 'crm', id: `ACT-${lineId}`, version: sourceVersion },
  });
const milestone = () =>
  inbound('MilestoneCompleted', { lineId: 'L1', milestoneId: 'M1', completedOn: '2026-03-01', fraction: '0.5' }, 'M1');
const usage = () =>
  inbound(
    'UsageRecorded',
    { lineId: 'L1', periodStart: '2026-01-01', periodEnd: '2026-01-31', quantity: '3', amount: '30.00' },
    'U-1',
  );
const invoiced = (invoiceId: string, amount = '100.00', lineId = 'L1', sourceId = '', sourceVersion = 1) =>
  inbound(
    'InvoiceIssued',
    { invoiceId, invoiceDate: '2026-01-31', lines: [{ lineId, amount }] },
    sourceId || invoiceId,
    { source: { system: 'billing', id: sourceId || invoiceId, version: sourceVersion } },
  );
const credited = (invoiceId: string, amount = '10.00') =>
  inbound(
    'CreditMemoIssued',
    {
      creditMemoId: 'CM-1',
      invoiceId,
      issuedOn: '2026-02-15',
      lines: [{ lineId: 'L1', amount }],
      reducesTransactionPrice: true,
    },
    'CM-1',
  );
const serviceCredit = () =>
  inbound(
    'ServiceCreditApproved',
    { creditId: 'SC-1', lineId: 'L1', amount: '50.00', approvedOn: '2026-03-15', reason: 'outage' },
    'SC-1',
  );

// ---- what the command appends ----

const idOf = (e: InboundEvent): string => eventIdFor(idempotencyKey(e));
/** The event an inbound event is stored as. */
const stored = (e: InboundEvent) => ({
  eventId: idOf(e),
  type: e.type,
  data: { contractId: e.contractId, occurredAt: e.occurredAt, ...e.data },
});
/** The record that a held event failed validation once what it waited for arrived. */
const heldRejected = (e: InboundEvent, ...codes: string[]) => ({
  type: 'HeldEventRejected',
  data: { contractId: 'C-1', rejectedEventId: idOf(e), rejectedType: e.type, errors: codes.map((code) => ({ code })) },
  metadata: { causationId: idOf(e), source: null },
});

// ---- given / when / then ----

type Expected = ReturnType<typeof stored> | ReturnType<typeof heldRejected>;
type ExpectedError = string | { code: string; path: string };

const command = (event: InboundEvent, limits?: ContractLimits): ContractCommand => ({
  event,
  receivedAt: AT,
  actor: 'crm-key',
  ...(limits ? { limits } : {}),
});

/** The contract after the stream took in `events` in order (each decided and appended as the ingestor does). */
function given(...events: InboundEvent[]) {
  let state: ContractState = contract.initial('C-1');
  for (const event of events) {
    const decided = contract.decide(state, command(event));
    if (!accepted(decided)) throw new Error(`given ${event.type} was refused: ${JSON.stringify(decided.errors)}`);
    const from = (state.revision ?? -1) + 1;
    state = fold(
      state,
      decided.map((e, i) => proposedAsFoldable(e, from + i)),
    );
  }
  return {
    state,
    when: (event: InboundEvent, limits?: Partial<ContractLimits>) =>
      when(state, command(event, limits && { ...DEFAULT_LIMITS, ...limits })),
  };
}

function when(state: ContractState, cmd: ContractCommand) {
  const answer = decide(state, cmd);
  const decided = contract.decide(state, cmd);
  return {
    answer,
    decided,
    /** Accepted: the answer, and every event appended (HeldEventRejected ones included), in order. */
    then(outcome: 'appended' | 'held', ...events: Expected[]) {
      expect(answer.outcome).toBe(outcome);
      expect(decided).toMatchObject(events);
      expect(decided).toHaveLength(events.length);
    },
    /** Already stored: nothing appended, and the answer names the stored event. */
    thenDuplicateOf(original: InboundEvent) {
      expect(answer).toEqual({ outcome: 'duplicate', eventId: idOf(original) });
      expect(decided).toEqual([]);
    },
    /** Refused, with exactly these errors in this order (a code, or a code at a path). */
    thenRefused(...errors: ExpectedError[]) {
      expect(accepted(decided)).toBe(false);
      expect(answer).toEqual(decided);
      const expected = errors.map((x) => (typeof x === 'string' ? { code: x } : x));
      expect((decided as Rejected).errors).toMatchObject(expected);
      expect((decided as Rejected).errors).toHaveLength(expected.length);
    },
  };
}

describe('the contract command appends what applies', () => {
  it('a booking on a new contract is appended under the id its idempotency key gives, with the command as metadata', () => {
    const booking = booked();
    const { decided } = given().when(booking);
    given().when(booking).then('appended', stored(booking));
    expect(decided).toEqual([
      {
        ...stored(booking),
        metadata: {
          schemaVersion: 1,
          source: booking.source,
          receivedAt: AT,
          correlationId: null,
          causationId: null,
          actor: 'crm-key',
        },
      },
    ]);
  });

  it("the command's correlation and causation ids win over the event's; the event's is kept otherwise", () => {
    const booking = inbound('ContractBooked', booked().data, 'OPP-1', { correlationId: 'from-source' });
    const fromEvent = when(contract.initial('C-1'), command(booking)).decided as { metadata: object }[];
    expect(fromEvent[0]!.metadata).toMatchObject({ correlationId: 'from-source', causationId: null });
    const fromCommand = contract.decide(contract.initial('C-1'), {
      ...command(booking),
      correlationId: 'from-request',
      causationId: 'E-0',
    }) as { metadata: object }[];
    expect(fromCommand[0]!.metadata).toMatchObject({ correlationId: 'from-request', causationId: 'E-0' });
  });

  it.each([
    ['an amendment of the next version', () => amended(2)],
    ['a cancellation of the next version', () => cancelled(2)],
    ['an activation of a known line', () => activated('L1')],
    ['a milestone of a known line', milestone],
    ['usage of a known line', usage],
    ['an invoice of known lines', () => invoiced('I-1')],
    ['a service credit', serviceCredit],
  ])('%s is appended', (_name, make) => {
    const event = make();
    given(booked()).when(event).then('appended', stored(event));
  });

  it('a credit memo naming an issued invoice is appended', () => {
    given(booked(), invoiced('I-1'))
      .when(credited('I-1'))
      .then('appended', stored(credited('I-1')));
  });

  it('a new source version of a stored record is a new event, not a duplicate', () => {
    given(booked(), activated('L1'))
      .when(activated('L1', '2026-01-12', 2))
      .then('appended', stored(activated('L1', '2026-01-12', 2)));
  });
});

describe('the same event twice is stored once', () => {
  it('an event already stored is a duplicate: nothing appended, the answer names the stored event', () => {
    given(booked(), invoiced('I-1')).when(invoiced('I-1')).thenDuplicateOf(invoiced('I-1'));
  });

  it('a held event sent again is a duplicate too', () => {
    given(invoiced('I-1')).when(invoiced('I-1')).thenDuplicateOf(invoiced('I-1'));
  });

  it('a duplicate is answered before any bound: a full contract still recognises what it holds', () => {
    given(booked(), activated('L1')).when(activated('L1'), { maxContractEvents: 2 }).thenDuplicateOf(activated('L1'));
  });

  it('the same source record and type with other content is refused: a change needs a new source version', () => {
    given(booked(), activated('L1'))
      .when(activated('L1', '2026-01-12'))
      .thenRefused({ code: 'IDEMPOTENCY_CONFLICT', path: 'source' });
  });

  it('a held event rejected later is still known: sent again it is a duplicate; a corrected version is new', () => {
    const wrong = invoiced('I-1', '100.50');
    const right = invoiced('I-1', '100', 'L1', 'I-1', 2);
    given(wrong, booked('JPY')).when(wrong).thenDuplicateOf(wrong);
    given(wrong, booked('JPY')).when(right).then('appended', stored(right));
  });
});

describe('the contract command refuses what can never apply', () => {
  it('an event of another contract', () => {
    const other = inbound('ServiceActivated', { lineId: 'L1', activatedOn: '2026-01-10' }, 'ACT-X', {
      contractId: 'C-2',
    });
    given(booked()).when(other).thenRefused({ code: 'CONTRACT_MISMATCH', path: 'contractId' });
  });

  it('a second booking', () => {
    const again = inbound('ContractBooked', booked().data, 'OPP-2');
    given(booked()).when(again).thenRefused({ code: 'CONTRACT_ALREADY_BOOKED', path: 'type' });
  });

  it('a version another source record already claims, applied or held', () => {
    given(booked(), amended(2))
      .when(amended(2, undefined, '2026-05-01', 'AMD-other'))
      .thenRefused({ code: 'VERSION_CONFLICT', path: 'data.version' });
    given(booked(), amended(3))
      .when(amended(3, undefined, '2026-05-01', 'AMD-other'))
      .thenRefused({ code: 'VERSION_CONFLICT', path: 'data.version' });
  });

  it('a second cancellation, reported once though both the stored facts and the version in force say so', () => {
    given(booked(), cancelled(2)).when(cancelled(3)).thenRefused({ code: 'CONTRACT_ALREADY_CANCELLED', path: 'type' });
  });

  it('a version after a cancellation that is stored but still held', () => {
    given(booked(), cancelled(3)).when(amended(4)).thenRefused({ code: 'CONTRACT_ALREADY_CANCELLED', path: 'type' });
  });

  it('a line of an applied version under another SKU', () => {
    given(booked())
      .when(amended(2, [line('L1', 'OTHER')]))
      .thenRefused({ code: 'LINE_SKU_CHANGED', path: 'data.lines.0.sku' });
  });

  it('a line of a held version under another SKU', () => {
    const v3 = amended(3, [line('L1', 'PLATFORM'), line('L2', 'SUPPORT')]);
    const v2 = amended(2, [line('L1', 'PLATFORM'), line('L2', 'OTHER')]);
    given(booked(), v3).when(v2).thenRefused({ code: 'LINE_SKU_CHANGED', path: 'data.lines.1.sku' });
  });

  it('an invoice id already issued, reported once whether applied or held', () => {
    given(booked(), invoiced('I-1'))
      .when(invoiced('I-1', '5.00', 'L1', 'I-1-again'))
      .thenRefused({ code: 'INVOICE_ALREADY_ISSUED', path: 'data.invoiceId' });
    given(booked(), invoiced('I-1', '5.00', 'L2'))
      .when(invoiced('I-1', '5.00', 'L1', 'I-1-again'))
      .thenRefused({ code: 'INVOICE_ALREADY_ISSUED', path: 'data.invoiceId' });
  });

  it('an amount finer than the contract currency allows', () => {
    given(booked())
      .when(invoiced('I-1', '10.001'))
      .thenRefused({ code: 'MONEY_PRECISION', path: 'data.lines.0.amount' });
  });

  it('a version effective before the booking date', () => {
    given(booked())
      .when(amended(2, undefined, '2025-12-31'))
      .thenRefused({ code: 'DATE_ORDER', path: 'data.effectiveDate' });
  });

  it('a line no version has, once a cancellation closed the contract (no version can add it)', () => {
    given(booked(), cancelled(2)).when(activated('L9')).thenRefused({ code: 'UNKNOWN_LINE_ID', path: 'data.lineId' });
  });

  it('a refusal names what the event also waits for', () => {
    given(booked()).when(credited('I-9', '10.001')).thenRefused('UNKNOWN_INVOICE', 'MONEY_PRECISION');
  });
});

describe('bounds on a contract', () => {
  it('no more events than maxContractEvents', () => {
    given(booked(), activated('L1'))
      .when(usage(), { maxContractEvents: 2 })
      .thenRefused({ code: 'CONTRACT_TOO_LARGE', path: 'contractId' });
  });

  it('no more versions than maxContractVersions; other events still fit', () => {
    given(booked(), amended(2))
      .when(amended(3), { maxContractVersions: 2 })
      .thenRefused({ code: 'CONTRACT_TOO_LARGE', path: 'data.version' });
    given(booked(), amended(2)).when(usage(), { maxContractVersions: 2 }).then('appended', stored(usage()));
  });

  it('no more distinct lines than maxContractLines', () => {
    const more = amended(2, [line('L1', 'PLATFORM'), line('L2', 'SUPPORT'), line('L3', 'TRAINING')]);
    given(booked()).when(more, { maxContractLines: 2 }).thenRefused({ code: 'CONTRACT_TOO_LARGE', path: 'data.lines' });
  });

  it('no dates further apart than maxContractSpanYears', () => {
    given(booked())
      .when(activated('L1', '2027-01-02'), { maxContractSpanYears: 1 })
      .thenRefused({ code: 'CONTRACT_SPAN_TOO_LONG', path: 'data.activatedOn' });
  });

  it('a bound is answered before the rules: a second booking on a full contract is refused for its size', () => {
    const again = inbound('ContractBooked', booked().data, 'OPP-2');
    given(booked()).when(again, { maxContractEvents: 1 }).thenRefused('CONTRACT_TOO_LARGE');
  });
});

describe('what cannot apply yet is stored and held', () => {
  it('anything before the booking waits for it', () => {
    given()
      .when(invoiced('I-1'))
      .then('held', stored(invoiced('I-1')));
    given()
      .when(amended(2))
      .then('held', stored(amended(2)));
  });

  it('a later version waits until the gap is filled', () => {
    given(booked())
      .when(amended(3))
      .then('held', stored(amended(3)));
  });

  it('the missing version applies, and the held one after it: the next version applies at once', () => {
    given(booked(), amended(3))
      .when(amended(2))
      .then('appended', stored(amended(2)));
    given(booked(), amended(3), amended(2))
      .when(amended(4))
      .then('appended', stored(amended(4)));
  });

  it('a version below a held cancellation fills the gap before it', () => {
    given(booked(), cancelled(3))
      .when(amended(2))
      .then('appended', stored(amended(2)));
  });

  it('a reference to a line only a held version adds waits for that version', () => {
    const v3 = amended(3, [line('L1', 'PLATFORM'), line('L2', 'SUPPORT')]);
    given(booked(), v3)
      .when(activated('L2'))
      .then('held', stored(activated('L2')));
  });

  it('a credit memo naming an invoice not issued yet waits for it; the invoice then applies', () => {
    given(booked())
      .when(credited('I-1'))
      .then('held', stored(credited('I-1')));
    given(booked(), credited('I-1'))
      .when(invoiced('I-1'))
      .then('appended', stored(invoiced('I-1')));
  });

  it('the booking applies whatever waited for it', () => {
    given(invoiced('I-1'), amended(2)).when(booked()).then('appended', stored(booked()));
  });

  it('a held event that fails once what it waited for arrives is rejected in the same append', () => {
    const yen = invoiced('I-1', '100.50');
    given(yen)
      .when(booked('JPY'))
      .then('appended', stored(booked('JPY')), heldRejected(yen, 'MONEY_PRECISION'));
  });

  it('a cancellation rejects the held references to lines no version can add any more', () => {
    given(booked(), activated('L2'))
      .when(cancelled(2))
      .then('appended', stored(cancelled(2)), heldRejected(activated('L2'), 'UNKNOWN_LINE_ID'));
  });
});

describe('a state is a function of its stream, however it was folded', () => {
  const creditMemo = (invoiceId: string) =>
    inbound(
      'CreditMemoIssued',
      {
        creditMemoId: `CM-${invoiceId}`,
        invoiceId,
        issuedOn: '2026-02-15',
        lines: [{ lineId: 'L1', amount: '10.00' }],
        reducesTransactionPrice: true,
      },
      `CM-${invoiceId}`,
    );
  /** One of a small pool of events of C-1, so that deliveries collide: repeats, gaps, shared invoice ids, bad money. */
  const anEvent = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(booked(), booked('JPY', '120000')) },
    fc
      .record({ version: fc.integer({ min: 2, max: 4 }), adds: fc.boolean(), sku: fc.constantFrom('PLATFORM', 'X') })
      .map(({ version, adds, sku }) =>
        amended(version, adds ? [line('L1', 'PLATFORM'), line(`L${version}`, sku)] : [line('L1', sku)]),
      ),
    fc.integer({ min: 2, max: 4 }).map((version) => cancelled(version)),
    fc.constantFrom(activated('L1'), activated('L2'), milestone(), usage(), serviceCredit()),
    {
      weight: 4,
      arbitrary: fc
        .record({
          invoice: fc.constantFrom('I-1', 'I-2'),
          amount: fc.constantFrom('100.00', '100.00', '100.505'),
          lineId: fc.constantFrom('L1', 'L1', 'L2'),
          source: fc.constantFrom('', 'B-1'),
        })
        .map(({ invoice, amount, lineId, source }) => invoiced(invoice, amount, lineId, source)),
    },
    { weight: 2, arbitrary: fc.constantFrom('I-1', 'I-2', 'I-3').map(creditMemo) },
  );
  const events = fc.array(anEvent, { minLength: 4, maxLength: 30 });

  /** Folded one event at a time (copying), into one draft, and all at once from the start: all three agree. */
  function foldedEveryWay(stream: Foldable[]): void {
    let byEvent: ContractState = contract.initial('C-1');
    const draft = draftOf(byEvent);
    for (const event of stream) {
      byEvent = fold(byEvent, [event]);
      foldInto(draft, [event]);
    }
    const atOnce = fold(contract.initial('C-1'), stream);
    expect(byEvent).toEqual(atOnce);
    expect(draft).toEqual(atOnce);
  }

  it('a stream as the command appends it', () => {
    fc.assert(
      fc.property(events, (inbounds) => {
        let state: ContractState = contract.initial('C-1');
        const stream: Foldable[] = [];
        for (const event of inbounds) {
          const decided = contract.decide(state, command(event));
          if (!accepted(decided)) continue;
          const appended = decided.map((e, i) => proposedAsFoldable(e, stream.length + i));
          stream.push(...appended);
          state = fold(state, appended);
        }
        foldedEveryWay(stream);
      }),
      { numRuns: 500 },
    );
  });

  it('any stream, even one no command would append (a repeat, a second invoice of an id, a gap)', () => {
    fc.assert(
      fc.property(events, (inbounds) => {
        // One content per event id, as in any store (a repeat is the same event again).
        const contentOf = new Map<string, string>();
        const sameAsFirst = (e: InboundEvent): boolean => {
          const content = JSON.stringify(e);
          if (!contentOf.has(idOf(e))) contentOf.set(idOf(e), content);
          return contentOf.get(idOf(e)) === content;
        };
        const metadata = (e: InboundEvent) => ({
          schemaVersion: 1,
          source: e.source,
          receivedAt: AT,
          correlationId: null,
          causationId: null,
          actor: 'crm-key',
        });
        const stream = inbounds
          .filter(sameAsFirst)
          .map((e, revision) => proposedAsFoldable({ ...stored(e), metadata: metadata(e) }, revision));
        foldedEveryWay(stream);
      }),
      { numRuns: 500 },
    );
  });
});
