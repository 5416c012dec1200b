// The projections, in the order the runner brings them up.
import { contractVersions } from './contract-versions.js';
import { exceptions } from './exceptions.js';
import { lineageIndex } from './lineage-index.js';
import { postingStatus } from './posting-status.js';
import { revenueSchedule } from './revenue-schedule.js';
import type { Projection } from './types.js';

export type { DeriveBudget, Projection, SharedState } from './types.js';
export { contractVersions } from './contract-versions.js';
export type { ContractVersions, ContractVersionEntry } from './contract-versions.js';
export { correlationTag, lineageIndex, sourceTag } from './lineage-index.js';
export type { LineageIndexDoc } from './lineage-index.js';
export {
  EXCEPTION_KINDS,
  TIE_OUT_RECORDED,
  TIE_OUT_STREAM_PREFIX,
  amountOf,
  contractDocument,
  effectiveStatus,
  exceptionIdOf,
  newItem,
  exceptions,
  itemTag,
} from './exceptions.js';
export type { ExceptionItem, ExceptionKind, ExceptionStep, ExceptionsDoc } from './exceptions.js';
export { HELD_EVENT_REJECTED_CODE, HELD_TAG, bookingOf, revenueSchedule } from './revenue-schedule.js';
export type { PendingFact, ProductsInForce, RejectedFact, RevenueScheduleDoc } from './revenue-schedule.js';
export { batchOf, joinPostingStatus, postingStatus, postingTotals } from './posting-status.js';
export type {
  AccountAmounts,
  BatchJournal,
  BatchStatus,
  ContractPostingStatus,
  PostingJournal,
  PostingStatusDoc,
  PostingSubmission,
} from './posting-status.js';

// Each projection is typed by its own documents; the runner handles them as plain JSON documents.
export const PROJECTIONS: readonly Projection[] = [
  contractVersions,
  revenueSchedule,
  postingStatus,
  lineageIndex,
  exceptions,
];

export function projectionsNamed(names: readonly string[]): Projection[] {
  if (names.length === 0) return [...PROJECTIONS];
  return names.map((name) => {
    const p = PROJECTIONS.find((x) => x.name === name);
    if (!p)
      throw new Error(
        `unknown projection ${JSON.stringify(name)}; known: ${PROJECTIONS.map((x) => x.name).join(', ')}`,
      );
    return p;
  });
}
