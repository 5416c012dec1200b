// Bounds on the work one event causes: each is refused with its code at the field that breaks it, the default holds
// what real contracts need, and the contract command refuses what would grow a contract past its bounds.
import { describe, expect, it } from 'vitest';
import { asFoldable, decide, fold, initialContractState } from '../../commands/contract.js';
import type { ContractState } from '../../commands/contract.js';
import { DEFAULT_LIMITS, parseInbound } from '../../schemas/index.js';
import type { DomainError, Limits } from '../../schemas/index.js';
import { AT, booking } from '../support/fixtures.js';

const booked = booking('C-1');
const line = booked.data.lines[0]!;
const withLine = (patch: Record<string, unknown>) => ({
  ...booked,
  data: { ...booked.data, lines: [{ ...line, ...patch }] },
});
const withData = (patch: Record<string, unknown>) => ({ ...booked, data: { ...booked.data, ...patch } });
const usage = (data: Record<string, unknown>, id = 'U-1') => ({
  type: 'UsageRecorded',
  contractId: 'C-1',
  source: { system: 'meter', id, version: 1 },
  occurredAt: AT,
  data: { lineId: 'L1', periodStart: '2026-01-01', periodEnd: '2026-01-31', quantity: '1', amount: '1.00', ...data },
});

function errorsOf(raw: unknown, limits?: Limits): DomainError[] {
  const r = parseInbound(raw, limits);
  if (r.ok) throw new Error('expected a refusal');
  return r.errors;
}

describe('bounds on one event', () => {
  it.each([
    ['a serviceEnd of 9999-12-31', withLine({ serviceEnd: '9999-12-31' }), 'data.lines.0.serviceEnd', 'SERVICE_TERM_TOO_LONG'],
    ['a term of 10 years and a day', withLine({ serviceStart: '2026-01-01', serviceEnd: '2036-01-02' }), 'data.lines.0.serviceEnd', 'SERVICE_TERM_TOO_LONG'],
    ['a service start 11 years after booking', withLine({ serviceStart: '2037-02-01', serviceEnd: '2037-12-31' }), 'data.lines.0.serviceStart', 'SERVICE_TERM_TOO_LONG'],
    ['a booking date in 1850', withData({ bookingDate: '1850-01-01', lines: [{ ...line, serviceStart: undefined, serviceEnd: undefined }] }), 'data.bookingDate', 'DATE_OUT_OF_RANGE'],
    ['an occurredAt in year 2999', { ...booked, occurredAt: '2999-01-01T00:00:00Z' }, 'occurredAt', 'DATE_OUT_OF_RANGE'],
    ['a usage period of 367 days', usage({ periodEnd: '2027-01-02' }), 'data.periodEnd', 'USAGE_PERIOD_TOO_LONG'],
    ['a usage period in 2500', usage({ periodStart: '2500-01-01', periodEnd: '2500-01-31' }), 'data.periodStart', 'DATE_OUT_OF_RANGE'],
    ['an amount of a million digits', withLine({ amount: '9'.repeat(1_000_000) }), 'data.lines.0.amount', 'NUMBER_TOO_LARGE'],
    ['an amount of 19 integer digits', withLine({ amount: '1234567890123456789' }), 'data.lines.0.amount', 'NUMBER_TOO_LARGE'],
    ['a quantity of 13 decimals', withLine({ quantity: '0.1234567890123' }), 'data.lines.0.quantity', 'NUMBER_TOO_LARGE'],
    ['an amount with a huge exponent', withLine({ amount: '1e999999' }), 'data.lines.0.amount', 'INVALID_FORMAT'],
    ['a lineId of 129 characters', withLine({ lineId: 'L'.repeat(129) }), 'data.lines.0.lineId', 'TOO_BIG'],
    ['a NUL in a source id', { ...booked, source: { ...booked.source, id: 'OPP\u0000' } }, 'source.id', 'INVALID_TEXT'],
    ['a lone surrogate in a correlation id', { ...booked, correlationId: 'c\ud800' }, 'correlationId', 'INVALID_TEXT'],
  ])('refuses %s', (_name, raw, path, code) => {
    expect(errorsOf(raw)).toContainEqual(expect.objectContaining({ path, code }));
  }); // prettier-ignore

  it('accepts a 10-year term, 18 integer digits, 12 decimals and a 366-day usage period', () => {
    expect(parseInbound(withLine({ serviceStart: '2026-01-01', serviceEnd: '2035-12-31' }))).toMatchObject({
      ok: true,
    });
    expect(parseInbound(withLine({ amount: '123456789012345678.00' }))).toMatchObject({ ok: true });
    expect(parseInbound(withLine({ quantity: '0.123456789012' }))).toMatchObject({ ok: true });
    expect(parseInbound(usage({ periodStart: '2028-01-01', periodEnd: '2028-12-31' }))).toMatchObject({ ok: true });
  });

  it('a longer service term is accepted when configured', () => {
    const twenty = withLine({ serviceStart: '2026-01-01', serviceEnd: '2045-12-31' });
    expect(errorsOf(twenty)).toContainEqual(expect.objectContaining({ code: 'SERVICE_TERM_TOO_LONG' }));
    expect(parseInbound(twenty, { ...DEFAULT_LIMITS, maxServiceTermYears: 20 })).toMatchObject({ ok: true });
  });
});

/** Decides `events` in order on one contract, folding each accepted one; returns the last decision. */
function decideAll(raws: unknown[], limits: Limits = DEFAULT_LIMITS): { state: ContractState; last: DomainError[] } {
  let state = initialContractState('C-1');
  let last: DomainError[] = [];
  for (const raw of raws) {
    const parsed = parseInbound(raw, limits);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const d = decide(state, { event: parsed.event, receivedAt: AT, actor: 'test' }, limits);
    if (d.outcome === 'rejected') last = d.errors;
    else if (d.outcome !== 'duplicate') {
      last = [];
      state = fold(state, [asFoldable(d, (state.revision ?? -1) + 1)]);
    }
  }
  return { state, last };
}

const amendment = (version: number, lines = booked.data.lines, effectiveDate = '2026-06-01') => ({
  type: 'ContractAmended',
  contractId: 'C-1',
  source: { system: 'salesforce', id: 'OPP-C-1', version },
  occurredAt: AT,
  data: { version, effectiveDate, lines },
});

describe('bounds on one contract', () => {
  const small: Limits = { ...DEFAULT_LIMITS, maxContractEvents: 3, maxContractVersions: 2, maxContractLines: 2 };

  it('refuses an event past the most a contract holds, but still answers a repeat as a duplicate', () => {
    const events = [booked, usage({}, 'U-1'), usage({}, 'U-2')];
    expect(decideAll(events, small).last).toEqual([]);
    expect(decideAll([...events, usage({}, 'U-3')], small).last).toEqual([
      expect.objectContaining({ code: 'CONTRACT_TOO_LARGE', path: 'contractId' }),
    ]);
    expect(decideAll([...events, usage({}, 'U-2')], small).last).toEqual([]);
  });

  it('refuses a version past the most versions a contract holds', () => {
    expect(decideAll([booked, amendment(2), amendment(3)], small).last).toEqual([
      expect.objectContaining({ code: 'CONTRACT_TOO_LARGE', path: 'data.version' }),
    ]);
  });

  it('refuses an amendment that would bring the distinct lines past the bound', () => {
    const lines = ['A', 'B'].map((lineId) => ({ ...line, lineId }));
    expect(decideAll([booked, amendment(2, lines)], small).last).toEqual([
      expect.objectContaining({ code: 'CONTRACT_TOO_LARGE', path: 'data.lines' }),
    ]);
  });

  it('refuses a date that would stretch the contract past its span, whichever event brings it', () => {
    const early = usage({ periodStart: '2005-12-01', periodEnd: '2005-12-31' }, 'U-OLD');
    const late = usage({ periodStart: '2046-01-01', periodEnd: '2046-01-31' }, 'U-LATE');
    expect(decideAll([booked, early]).last).toEqual([
      expect.objectContaining({ code: 'CONTRACT_SPAN_TOO_LONG', path: 'data.periodStart' }),
    ]);
    expect(decideAll([late, booked]).last).toEqual([
      expect.objectContaining({ code: 'CONTRACT_SPAN_TOO_LONG', path: 'data.bookingDate' }),
    ]);
    expect(decideAll([booked, usage({ periodStart: '2045-12-01', periodEnd: '2045-12-31' })]).last).toEqual([]);
  });
});
