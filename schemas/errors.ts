// Domain error codes (one list for the whole system) and the mapping of zod issues onto them, so every refusal
// names the field (`path`), the rule (`code`) and says it in words (`message`).
import type { z } from 'zod';

export const ErrorCodes = [
  // input shape
  'WRONG_TYPE',
  'REQUIRED',
  'UNKNOWN_FIELD',
  'UNKNOWN_TYPE',
  'INVALID_FORMAT',
  'INVALID_DATE',
  'INVALID_CURRENCY',
  'MONEY_PRECISION',
  'NEGATIVE_AMOUNT',
  'NEGATIVE_QUANTITY',
  'TOO_SMALL',
  'TOO_BIG',
  'DATE_ORDER',
  'DUPLICATE_LINE_ID',
  'INVALID_VALUE',
  'INVALID_TEXT',
  // bounds on the work one event causes (schemas/bounds.ts)
  'NUMBER_TOO_LARGE',
  'DATE_OUT_OF_RANGE',
  'SERVICE_TERM_TOO_LONG',
  'USAGE_PERIOD_TOO_LONG',
  'CONTRACT_TOO_LARGE',
  'CONTRACT_SPAN_TOO_LONG',
  // contract rules
  'IDEMPOTENCY_CONFLICT',
  'UNKNOWN_LINE_ID',
  'UNKNOWN_INVOICE',
  'INVOICE_ALREADY_ISSUED',
  'LINE_SKU_CHANGED',
  'CONTRACT_ALREADY_BOOKED',
  'CONTRACT_ALREADY_CANCELLED',
  'VERSION_CONFLICT',
  'CONTRACT_MISMATCH',
  'CONCURRENCY_RETRIES_EXHAUSTED',
  // mappings and periods
  'STALE_VERSION',
  'CURRENCY_CONFLICT',
  'PERIOD_ALREADY_CLOSED',
  'PERIOD_NOT_CLOSED',
  // journals and posting
  'UNKNOWN_JOURNAL',
  'JOURNAL_NOT_SUBMITTABLE',
  'PERIOD_CLOSED_IN_REVTRAIL',
  'PERIOD_NOT_LATER',
  'POSTING_RUN_IN_PROGRESS',
  'POSTING_RUN_LOCK_LOST',
  'ACCOUNT_NOT_POSTABLE',
  // exceptions (work items) and the replay of refused inputs
  'UNKNOWN_EXCEPTION',
  'EXCEPTION_TRANSITION_INVALID',
  'REPLAY_NOT_ALLOWED',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export interface DomainError {
  code: ErrorCode;
  message: string;
  /** JSON path of the offending field, e.g. "events.3.data.lines.0.amount" (relative to what was validated). */
  path?: string;
}

export function domainError(code: ErrorCode, message: string, path?: (string | number)[] | string): DomainError {
  const p = Array.isArray(path) ? path.join('.') : path;
  return p === undefined ? { code, message } : { code, message, path: p };
}

/** Custom zod issues carry our code in params.code. */
export function issueParams(code: ErrorCode): { params: { code: ErrorCode } } {
  return { params: { code } };
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function codeOf(issue: z.core.$ZodIssue, raw: unknown): ErrorCode {
  switch (issue.code) {
    case 'custom': {
      const c = (issue.params as { code?: ErrorCode } | undefined)?.code;
      return c ?? 'INVALID_VALUE';
    }
    case 'invalid_type':
      return valueAt(raw, issue.path) === undefined ? 'REQUIRED' : 'WRONG_TYPE';
    case 'unrecognized_keys':
      return 'UNKNOWN_FIELD';
    case 'invalid_union':
      return 'UNKNOWN_TYPE';
    case 'invalid_format':
      return 'INVALID_FORMAT';
    case 'too_small':
      return 'TOO_SMALL';
    case 'too_big':
      return 'TOO_BIG';
    case 'invalid_value':
      return 'INVALID_VALUE';
    default:
      return 'INVALID_VALUE';
  }
}

/**
 * Turns zod issues on `raw` into domain errors; unknown keys become one error per key with its own path.
 * (`raw` tells a missing field from one of the wrong type: zod does not report inputs by default.)
 */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  prefix: (string | number)[] = [],
): DomainError[] {
  const out: DomainError[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(domainError('UNKNOWN_FIELD', `unknown field "${key}"`, [...path, key]));
      continue;
    }
    const code = codeOf(issue, raw);
    out.push(domainError(code, code === 'REQUIRED' ? 'is required' : issue.message, path));
  }
  return out;
}
