// Requests that drive ERP posting: a posting run for a period, and the explicit re-preparation of journals the ERP
// refused for a closed period.
import { z } from 'zod';
import { Period } from './period.js';
import { Id } from './primitives.js';

export const PostingRunRequest = z.strictObject({
  period: Period,
  legalEntity: Id.optional(),
});
export type PostingRunRequest = z.infer<typeof PostingRunRequest>;

export const ReprepareRequest = z.strictObject({
  /** Absent: every journal the ERP refused (of `legalEntity`, when given), whatever the code. */
  journalIds: z.array(Id).min(1).max(10_000).optional(),
  legalEntity: Id.optional(),
  /** Absent: the first period after the refused one that Revtrail has not closed. */
  into: Period.optional(),
});
export type ReprepareRequest = z.infer<typeof ReprepareRequest>;
