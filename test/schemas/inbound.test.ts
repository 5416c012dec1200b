// Inbound event validation: every refusal names the field and the rule.
import { describe, expect, it } from 'vitest';
import { idempotencyKey, parseInbound } from '../../schemas/index.js';
import type { DomainError } from '../../schemas/index.js';
import { booking } from '../support/fixtures.js';

const booked = booking('C-1');
const line = booked.data.lines[0]!;
const withLine = (patch: Record<string, unknown>) => ({
  ...booked,
  data: { ...booked.data, lines: [{ ...line, ...patch }] },
});
const withData = (patch: Record<string, unknown>) => ({ ...booked, data: { ...booked.data, ...patch } });

function errorsOf(raw: unknown): DomainError[] {
  const r = parseInbound(raw);
  if (r.ok) throw new Error('expected a refusal');
  return r.errors;
}

describe('inbound event schemas', () => {
  it('accepts a well-formed booking', () => {
    expect(parseInbound(booked)).toMatchObject({ ok: true });
  });

  it.each([
    ['money sent as a JSON number', withLine({ amount: 1200 }), 'data.lines.0.amount', 'WRONG_TYPE'],
    ['a negative quantity', withLine({ quantity: '-1' }), 'data.lines.0.quantity', 'NEGATIVE_QUANTITY'],
    ['3 decimals in USD', withLine({ amount: '1200.001' }), 'data.lines.0.amount', 'MONEY_PRECISION'],
    ['2026-02-30', withData({ bookingDate: '2026-02-30' }), 'data.bookingDate', 'INVALID_DATE'],
    ['a date in another format', withData({ bookingDate: '15/01/2026' }), 'data.bookingDate', 'INVALID_FORMAT'],
    ['an unknown type', { ...booked, type: 'ContractBurned' }, 'type', 'UNKNOWN_TYPE'],
    ['a missing source', { ...booked, source: undefined }, 'source', 'REQUIRED'],
    ['an unknown field', { ...booked, data: { ...booked.data, discount: '5' } }, 'data.discount', 'UNKNOWN_FIELD'],
    ['serviceEnd before serviceStart', withLine({ serviceEnd: '2025-12-31' }), 'data.lines.0.serviceEnd', 'DATE_ORDER'],
    ['a duplicate line id', withData({ lines: [line, line] }), 'data.lines.1.lineId', 'DUPLICATE_LINE_ID'],
    ['an unknown currency', withData({ currency: 'XYZ' }), 'data.currency', 'INVALID_CURRENCY'],
    ['a booking that is not version 1', withData({ version: 2 }), 'data.version', 'INVALID_VALUE'],
    ['no lines', withData({ lines: [] }), 'data.lines', 'TOO_SMALL'],
  ])('refuses %s, naming the field and the rule', (_name, raw, path, code) => {
    const errors = errorsOf(raw);
    expect(errors).toContainEqual(expect.objectContaining({ path, code }));
    for (const e of errors) expect(e.message.length).toBeGreaterThan(3);
  });

  it('applies each currency’s minor units: JPY 0, USD 2, BHD 3', () => {
    const inCurrency = (currency: string, amount: string) =>
      parseInbound(withData({ currency, lines: [{ ...line, amount }] }));
    expect(inCurrency('JPY', '120000')).toMatchObject({ ok: true });
    expect(inCurrency('JPY', '120000.5')).toMatchObject({ ok: false });
    expect(inCurrency('BHD', '1200.125')).toMatchObject({ ok: true });
    expect(inCurrency('BHD', '1200.1255')).toMatchObject({ ok: false });
    expect(inCurrency('USD', '1200')).toMatchObject({ ok: true });
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseInbound(withData({ bookingDate: '2028-02-29' }))).toMatchObject({ ok: true });
    expect(errorsOf(withData({ bookingDate: '2026-02-29' }))).toContainEqual(
      expect.objectContaining({ code: 'INVALID_DATE' }),
    );
  });

  it('validates every inbound type’s data', () => {
    const ev = (type: string, data: unknown) => ({ ...booked, type, data });
    expect(
      parseInbound(
        ev('UsageRecorded', {
          lineId: 'L1',
          periodStart: '2026-03-01',
          periodEnd: '2026-02-01',
          quantity: '5',
          amount: '1.00',
        }),
      ),
    ).toMatchObject({
      ok: false,
      errors: [expect.objectContaining({ path: 'data.periodEnd', code: 'DATE_ORDER' })],
    });
    expect(
      parseInbound(
        ev('MilestoneCompleted', { lineId: 'L1', milestoneId: 'm', completedOn: '2026-02-01', fraction: '1.5' }),
      ),
    ).toMatchObject({
      ok: false,
      errors: [expect.objectContaining({ path: 'data.fraction' })],
    });
    expect(
      parseInbound(
        ev('CreditMemoIssued', {
          creditMemoId: 'CM',
          issuedOn: '2026-02-01',
          lines: [{ lineId: 'L1', amount: '0.00' }],
          reducesTransactionPrice: true,
        }),
      ),
    ).toMatchObject({
      ok: false,
      errors: [expect.objectContaining({ path: 'data.lines.0.amount', code: 'TOO_SMALL' })],
    });
    expect(
      parseInbound(
        ev('ServiceCreditApproved', { creditId: 'SC', amount: '10.00', approvedOn: '2026-02-01', reason: 'outage' }),
      ),
    ).toMatchObject({ ok: true });
    expect(parseInbound(ev('ContractCancelled', { version: 2, effectiveDate: '2026-06-30' }))).toMatchObject({
      ok: true,
    });
  });

  it('keys idempotency on source system, id, version and type', () => {
    const k = idempotencyKey(booked);
    expect(k).toBe(idempotencyKey({ ...booked, occurredAt: 'x' } as never));
    expect(k).not.toBe(idempotencyKey({ ...booked, source: { ...booked.source, version: 2 } }));
    expect(k).not.toBe(idempotencyKey({ ...booked, type: 'ContractAmended' }));
  });
});
