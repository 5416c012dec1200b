// Accounting periods: `YYYY-MM` per legal entity, closed and reopened explicitly.
import { z } from 'zod';
import { issueParams } from './errors.js';

export const Period = z
  .string()
  .regex(/^\d{4}-\d{2}$/, { message: 'must be a period written YYYY-MM', abort: true })
  .refine((p) => Number(p.slice(5)) >= 1 && Number(p.slice(5)) <= 12, {
    message: 'month must be 01 to 12',
    ...issueParams('INVALID_DATE'),
  });
export type Period = z.infer<typeof Period>;

export const PeriodChange = z.strictObject({ reason: z.string().min(1).max(2000) });
