// Exchange rates as events (docs/accounting.md, "Foreign currency"): `FxRatesPublished` is sent to POST /v1/events
// like every inbound event, with a source record and the same idempotency key, but it belongs to no contract: it is
// kept in the rate stream of its currency pair, `fx-rates-<BASE>-<QUOTE>`.
import { z } from 'zod';
import { SourceRef } from './envelope.js';
import { domainError, fromZodIssues, issueParams } from './errors.js';
import type { DomainError } from './errors.js';
import { CalendarDate, Currency, Text, Timestamp } from './primitives.js';

export const FX_RATES_PUBLISHED = 'FxRatesPublished';

/**
 * spot: the rate of one day (billing is translated at the invoice date's, ASC 830-20-30-1, IAS 21.21); average: a
 * period's average (revenue recognised before billing, IAS 21.22); closing: a period end's (remeasurement, which is
 * the ERP's job; kept so the ERP and Revtrail read one source).
 */
export const RateType = z.enum(['spot', 'average', 'closing']);
export type RateType = z.infer<typeof RateType>;

/** Digits a rate may have: enough for any quoted pair (1 KWD = 3.25 USD, 1 IDR = 0.0000612 USD), bounded. */
export const RATE_INTEGER_DIGITS = 9;
export const RATE_DECIMAL_PLACES = 10;

/** "1 base = rate quote": a positive decimal string such as "0.9012". */
export const Rate = z
  .string({
    error: (i) => (i.input === undefined ? 'required' : 'must be a decimal string such as "0.9012", not a number'),
  })
  .regex(/^(0|[1-9]\d*)(\.\d+)?$/, { message: 'must be a positive decimal string such as "0.9012"' })
  .refine((s) => s.split('.')[0]!.length <= RATE_INTEGER_DIGITS, {
    message: `must have at most ${RATE_INTEGER_DIGITS} digits before the decimal point`,
    ...issueParams('NUMBER_TOO_LARGE'),
  })
  .refine((s) => (s.split('.')[1] ?? '').length <= RATE_DECIMAL_PLACES, {
    message: `must have at most ${RATE_DECIMAL_PLACES} decimal places`,
    ...issueParams('NUMBER_TOO_LARGE'),
  })
  .refine((s) => /[1-9]/.test(s), { message: 'must be greater than zero', ...issueParams('TOO_SMALL') });

export const FxRatesPublishedData = z
  .strictObject({
    rateDate: CalendarDate,
    base: Currency,
    quote: Currency,
    rate: Rate,
    rateType: RateType,
  })
  .refine((d) => d.base !== d.quote, {
    path: ['quote'],
    message: 'must differ from base',
    ...issueParams('INVALID_VALUE'),
  });
export type FxRatesPublishedData = z.infer<typeof FxRatesPublishedData>;

export const FxRatesPublished = z.strictObject({
  type: z.literal(FX_RATES_PUBLISHED),
  source: SourceRef,
  occurredAt: Timestamp,
  correlationId: Text(128).optional(),
  data: FxRatesPublishedData,
});
export type FxRatesPublished = z.infer<typeof FxRatesPublished>;

/** The stream a pair's rates are kept in. */
export const fxRateStream = (base: string, quote: string): string => `fx-rates-${base}-${quote}`;
export const FX_RATE_STREAM_PREFIX = 'fx-rates-';

/** True when an inbound input claims to be a rate publication (it is then validated by `parseFxRates`). */
export function isFxRatesInput(raw: unknown): boolean {
  return (raw as { type?: unknown } | null)?.type === FX_RATES_PUBLISHED;
}

export type FxParseResult = { ok: true; event: FxRatesPublished } | { ok: false; errors: DomainError[] };

export function parseFxRates(raw: unknown): FxParseResult {
  const r = FxRatesPublished.safeParse(raw);
  if (r.success) return { ok: true, event: r.data };
  const errors = fromZodIssues(r.error.issues, raw);
  return { ok: false, errors: errors.length > 0 ? errors : [domainError('INVALID_VALUE', 'is not a rate event')] };
}
