// Journals and ERP posting: journal preparation (pure) and, in connectors/, the ERPs journals are posted to.
export { journaledBalances, prepareJournal, targetBalances } from './prepare.js';
export type { BillingFact, EntityAccounts, PrepareInput } from './prepare.js';
export { POSTING_BLOCK_CODES } from '../../schemas/index.js';
export type { JournalLineage, PostingBlockCode, PreparedJournal } from '../../schemas/index.js';
export * from './connectors/index.js';
export { postingRun } from './run.js';
export type { PostingRunOptions, PostingRunSummary } from './run.js';
export {
  bookedContracts,
  contractPrepareBase,
  lastCompleteMonth,
  postingBlocks,
  postingMappings,
  prepareBaseOf,
} from './inputs.js';
export type { ContractPrepareBase, PostingBlock, PostingMappings } from './inputs.js';
export {
  compareTrialBalances,
  contractJournals,
  contractTargets,
  postedBalances,
  revtrailBalances,
  trialBalanceOf,
} from './trial-balance.js';
export type { ContractTarget, TrialBalance, TrialBalanceBreak, TrialBalanceRow } from './trial-balance.js';
export { pairRates, rateBook, rateOf } from './fx-rates.js';
