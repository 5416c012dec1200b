// Value schemas shared by every event: decimal strings (money is never a JS number), ISO 4217 currencies with their
// minor units, real calendar dates, identifiers.
import { z } from 'zod';
import { issueParams } from './errors.js';

/**
 * ISO 4217 minor units for the currencies whose exponent is not 2 (ISO 4217 list one). Intl's CLDR data is not
 * used for this: CLDR differs from ISO 4217 for some codes (e.g. IQD), and the ledger must follow ISO.
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
}; // prettier-ignore

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

export function minorUnits(currency: string): number {
  return MINOR_UNITS[currency] ?? 2;
}

export const Currency = z.string().refine((c) => /^[A-Z]{3}$/.test(c) && KNOWN_CURRENCIES.has(c), {
  message: 'must be an ISO 4217 currency code such as "USD"',
  ...issueParams('INVALID_CURRENCY'),
});

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Digits a decimal string may have before and after the point: amounts to a quintillion, rates to 1e-12. */
export const MAX_INTEGER_DIGITS = 18;
export const MAX_DECIMAL_PLACES = 12;

/** A decimal number written as a string ("1200.00", "0.5"); never a JS number, so nothing is lost to floats. */
export const DecimalString = z
  .string({
    error: (i) => (i.input === undefined ? 'required' : 'must be a decimal string such as "1200.00", not a number'),
  })
  .regex(DECIMAL, { message: 'must be a decimal string such as "1200.00"' })
  // Bounded so that no single number makes the decimal arithmetic downstream slow (or its text huge).
  .refine((s) => !DECIMAL.test(s) || s.split('.')[0]!.replace('-', '').length <= MAX_INTEGER_DIGITS, {
    message: `must have at most ${MAX_INTEGER_DIGITS} digits before the decimal point`,
    ...issueParams('NUMBER_TOO_LARGE'),
  })
  .refine((s) => !DECIMAL.test(s) || decimalPlaces(s) <= MAX_DECIMAL_PLACES, {
    message: `must have at most ${MAX_DECIMAL_PLACES} decimal places`,
    ...issueParams('NUMBER_TOO_LARGE'),
  });

export const NonNegativeDecimal = DecimalString.refine((s) => !s.startsWith('-'), {
  message: 'must not be negative',
  ...issueParams('NEGATIVE_QUANTITY'),
});

/** A money amount in the contract currency: format and sign here, precision against the currency where known. */
export const Money = DecimalString.refine((s) => !s.startsWith('-'), {
  message: 'must not be negative',
  ...issueParams('NEGATIVE_AMOUNT'),
});

export const PositiveMoney = Money.refine((s) => /[1-9]/.test(s), {
  message: 'must be greater than zero',
  ...issueParams('TOO_SMALL'),
});

/** Decimal places of a decimal string. */
export function decimalPlaces(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** The precision rule for an amount in a currency; null when it holds. */
export function moneyPrecisionProblem(amount: string, currency: string): string | null {
  const allowed = minorUnits(currency);
  return decimalPlaces(amount) > allowed
    ? `${currency} amounts have at most ${allowed} decimal place${allowed === 1 ? '' : 's'}; got "${amount}"`
    : null;
}

export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not). */
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date written YYYY-MM-DD' })
  .refine(isCalendarDate, { message: 'is not a date in the calendar', ...issueParams('INVALID_DATE') });

export const Timestamp = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time such as 2026-01-15T10:00:00Z',
});

/** Identifiers end up in stream names and ERP references: printable, no spaces, bounded. */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@#-]*$/, { message: 'must be letters, digits and . _ : / @ # - (no spaces)' });

/**
 * Free text (reasons, case ids, source ids): bounded, and well-formed — no NUL or other control characters and no
 * lone UTF-16 surrogates, which downstream systems (ERP references, CSV exports, logs) mishandle.
 */
const CONTROL_OR_LONE_SURROGATE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const Text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_OR_LONE_SURROGATE.test(s), {
      message: 'must be text without control characters or lone surrogates',
      ...issueParams('INVALID_TEXT'),
    });
