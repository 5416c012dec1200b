// GraphQL arguments checked against the schemas at the edge: a bad one is INVALID_ARGUMENT naming the argument and
// what it must be, before any resolver reads the log.
import type { ZodType } from 'zod';
import { CalendarDate, Timestamp } from '../../schemas/index.js';
import type { AsOfOptions } from '../audit/index.js';
import { codedError } from './errors.js';

/** The argument as the schema has it, or INVALID_ARGUMENT naming the argument and what it must be. */
export function arg<T>(name: string, schema: ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw codedError('INVALID_ARGUMENT', `${name}: ${r.error.issues[0]?.message ?? 'is not valid'}`);
}

/** `recordedAt` / `effectiveAt` arguments, checked. */
export function asOfOptions(args: { recordedAt?: string | null; effectiveAt?: string | null }): AsOfOptions {
  const options: AsOfOptions = {};
  if (args.recordedAt != null) options.recordedAt = arg('recordedAt', Timestamp, args.recordedAt);
  if (args.effectiveAt != null) options.effectiveAt = arg('effectiveAt', CalendarDate, args.effectiveAt);
  return options;
}
