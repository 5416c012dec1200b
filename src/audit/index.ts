// The audit queries: lineage both ways, the contract as of a past moment, the three operational questions
// and the reports. Plain functions over the event store and the read store returning JSON-able shapes (types.ts), one
// per GraphQL field; src/graphql's resolvers call them.
export { lineage, trace } from './lineage.js';
export { traceCorrelation } from './correlation.js';
export { contractDocsAsOf, contractAsOf, effectiveDateOf, scheduleView } from './as-of.js';
export {
  DEFAULT_HELD_MAX_AGE_DAYS,
  amendmentsAwaitingRecalculation,
  heldTooLong,
  mappingDrift,
  postingFailures,
  sequencingExceptions,
} from './questions.js';
export {
  MAX_WATERFALL_PERIODS,
  deferredRevenueRollforward,
  reconciliation,
  revenueWaterfall,
  waterfallSpanProblem,
} from './reports.js';
export { eventRef } from './support.js';
export { checkProposal, previewProductMapping } from './mapping-preview.js';
export type { ContractEffect, MappingPreview, MappingPreviewSummary, PeriodEffect } from './mapping-preview.js';
export { batchStatus, contractPostingStatus, periodJournals } from './posting-status.js';
export type * from './types.js';
export type { ContractDocsAsOf } from './as-of.js';
export { inFunctionalCurrency } from './functional.js';
export type { ReportCurrency } from './functional.js';
export { groupReport } from './group.js';
