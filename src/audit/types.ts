// The shapes the audit queries answer with (docs/graphql.md). Every interface here is one
// GraphQL object type of the same name, field for field: plain JSON, money as decimal strings with the currency's
// minor-unit digits, positions as their text form (schemas/envelope.ts formatPosition), dates `YYYY-MM-DD`, periods
// `YYYY-MM`, instants ISO 8601. Nothing is a map keyed by data (GraphQL has no such type): keyed things are lists.
import type { JournalStatus } from '../../commands/journal.js';
import type { JournalLineFx, SourceRef } from '../../schemas/index.js';
import type { PostingSubmission } from '../../projections/index.js';
import type { PeriodBalance } from '../revenue/index.js';
import type { PostingBlock } from '../posting/index.js';
import type { EventStore } from '../store/index.js';
import type { ReadStore } from '../readmodel/index.js';

/** What every audit query reads: the log (the truth) and the read models (its indexes). */
export interface AuditDeps {
  store: EventStore;
  read: ReadStore;
  /** The clock and the age past which a held event is an exception (HELD_TOO_LONG); default now and 7 days. */
  held?: HeldAge;
}

/** When a held event has waited too long: time comes in as data. */
export interface HeldAge {
  now: () => Date;
  maxAgeDays: number;
}

/** One stored event as an auditor sees it: where it sits in the log, where it came from, when it arrived. */
export interface EventRef {
  eventId: string;
  type: string;
  streamId: string;
  /** The contract it belongs to (null for mapping, period and other streams). */
  contractId: string | null;
  position: string;
  revision: number;
  source: SourceRef | null;
  /** When Revtrail accepted it (the ingest clock, part of the hash chain). */
  receivedAt: string;
  /** When the store wrote it (the store's clock). */
  recordedAt: string;
  /** When it happened at the source, for inbound events. */
  occurredAt: string | null;
  actor: string | null;
  correlationId: string | null;
  contentHash: string;
  prevHash: string;
}

/** A version of a mapping (`mapping-products` or `mapping-accounts`). */
export interface MappingVersionRef {
  kind: 'products' | 'accounts';
  version: number;
  /** The publication event, null when the version is not (or no longer) in the log — version 0: none published. */
  eventId: string | null;
  position: string | null;
  publishedAt: string | null;
  reason: string | null;
  actor: string | null;
}

export interface Rejection {
  code: string;
  retryable: boolean;
  message: string;
}

/** One submission of a journal to the ERP and its answer (the posting-status read model's, with when it came). */
export interface Submission extends PostingSubmission {
  answeredAt: string | null;
}

/** A journal and where it stands at the ERP. */
export interface JournalSummary {
  journalId: string;
  contractId: string;
  legalEntity: string;
  currency: string;
  /** The period it is posted in, the period whose balances it brings up to date, its accounting date. */
  period: string;
  through: string;
  date: string;
  status: JournalStatus;
  attempts: number;
  erpDocumentId: string | null;
  connector: string | null;
  rejection: Rejection | null;
  supersedes: string | null;
  supersededBy: string | null;
  debit: string;
  credit: string;
  productMappingVersion: number;
  accountMappingVersion: number;
  /** The correlation ids of its source events (its lineage's): those the ERP document carries. */
  correlationIds: string[];
  /** The JournalPrepared event. */
  preparedEventId: string;
  preparedAt: string;
  submissions: Submission[];
}

// ---- lineage(journalId) ----

/** A schedule line a journal's revenue line stands on: recognised to date on one obligation through a period. */
export interface ScheduleLineRef {
  /** The performance obligation: the contract line id. */
  obligation: string;
  sku: string;
  through: string;
  recognisedToDate: string;
  /** The product-mapping version that published the entry the SKU was scheduled with. */
  mappingVersion: number;
  productMapping: MappingVersionRef;
}

/** What a journal line is in the contract's balances (src/posting/prepare.ts targetBalances). */
export type AccountRole = 'revenue' | 'receivable' | 'taxPayable' | 'deferredRevenue' | 'contractAsset' | 'other';

export interface Dimension {
  name: string;
  value: string;
}

export interface JournalLineLineage {
  /** 0-based position of the line in the journal. */
  index: number;
  account: string;
  role: AccountRole;
  debit: string;
  credit: string;
  description: string;
  dimensions: Dimension[];
  obligation: string | null;
  sku: string | null;
  /** The schedule line behind a revenue line (null for the balance-sheet lines). */
  scheduleLine: ScheduleLineRef | null;
  /**
   * The source events this line stands on: for a revenue line, those of its obligation (the versions that priced it,
   * its activations, milestones, usage, credits); receivable and tax, the invoices and credit memos; deferred revenue
   * and contract asset (billed minus recognised) all of the journal's.
   */
  sourceEvents: EventRef[];
  /**
   * A translated contract's line: its transaction-currency amount and the rate (the FxRatesPublished event) its
   * functional amount was made at; null on a contract in its legal entity's currency and on an exchange difference.
   */
  fx: (JournalLineFx & { rateEvent: EventRef | null }) | null;
}

export interface Lineage {
  journal: JournalSummary;
  /** The JournalPrepared event itself. */
  prepared: EventRef;
  lines: JournalLineLineage[];
  scheduleLines: ScheduleLineRef[];
  /** Every source event of the journal, in log order. */
  sourceEvents: EventRef[];
  productMapping: MappingVersionRef;
  accountMapping: MappingVersionRef;
}

// ---- trace(system, id) ----

export interface TracedVersion {
  version: number;
  type: string;
  effectiveDate: string;
  eventId: string;
  /** Applied to the contract (false while it waits for an earlier version: held). */
  applied: boolean;
  inForce: boolean;
}

export interface ObligationChange {
  obligation: string;
  sku: string;
  without: string;
  with: string;
  change: string;
}

/** How one period of the schedule and the billing differ with the traced events and without them. */
export interface PeriodChange {
  period: string;
  recognisedChange: string;
  billedChange: string;
  obligations: ObligationChange[];
}

export interface TracedJournal {
  journal: JournalSummary;
  /** The traced events the journal's lineage names. */
  eventIds: string[];
}

export interface TracedContract {
  contractId: string;
  legalEntity: string | null;
  currency: string | null;
  events: EventRef[];
  versions: TracedVersion[];
  /**
   * The schedule and billing now, compared with the same contract without the traced events (same mapping, every
   * other event): the periods the source record changes. Empty when it changes none.
   */
  scheduleChanges: PeriodChange[];
  journals: TracedJournal[];
}

export interface Trace {
  system: string;
  id: string;
  /** Every event carrying the source reference (all its source versions), in log order. */
  events: EventRef[];
  contracts: TracedContract[];
}

/** Everything one correlation id reached (docs/graphql.md, `trace(correlationId:)`). */
export interface CorrelationTrace {
  correlationId: string;
  /**
   * Every event carrying the id, in log order: inbound events, the events commands appended in the same request
   * (held-event rejections, kept refusals, mapping publications, period changes, a posting run's journal events).
   */
  events: EventRef[];
  /** Per contract those events are in: versions, schedule changes, and the journals reached. */
  contracts: TracedContract[];
  /**
   * Every journal the id reached, with its ERP document and submissions: those whose lineage carries it (built from
   * its events), whose lineage names its events, or that a posting run of that id prepared.
   */
  journals: TracedJournal[];
}

// ---- contract(asOf) ----

export interface AsOfOptions {
  /** The ledger as it knew things then: only events Revtrail had received by this instant (metadata.receivedAt). */
  recordedAt?: string;
  /** The contract as in effect on this date: only versions and facts effective on or before it. */
  effectiveAt?: string;
}

export interface ContractLine {
  lineId: string;
  sku: string;
  quantity: string;
  amount: string;
  serviceStart: string | null;
  serviceEnd: string | null;
  ssp: string | null;
}

export interface ContractVersion {
  version: number;
  type: string;
  effectiveDate: string;
  treatment: string | null;
  lines: ContractLine[];
  eventId: string;
  source: SourceRef | null;
  receivedAt: string;
  applied: boolean;
}

export interface ObligationView {
  obligation: string;
  sku: string;
  pattern: string;
  allocated: string;
  variable: string;
  recognised: string;
  serviceStart: string | null;
  serviceEnd: string | null;
  active: boolean;
}

export interface ObligationAmount {
  obligation: string;
  amount: string;
}

export interface SchedulePeriodView {
  period: string;
  total: string;
  cumulative: string;
  obligations: ObligationAmount[];
}

export interface ScheduleException {
  code: string;
  message: string;
  obligation: string | null;
  sku: string | null;
  eventId: string | null;
}

export interface ScheduleView {
  status: 'ok' | 'exception';
  currency: string | null;
  transactionPrice: string;
  mappingVersion: number;
  obligations: ObligationView[];
  periods: SchedulePeriodView[];
  exceptions: ScheduleException[];
}

/** A period end's balances, as the revenue engine gives them (src/revenue/balances.ts). */
export type { PeriodBalance };

export interface ContractAsOf {
  contractId: string;
  recordedAt: string | null;
  effectiveAt: string | null;
  /** Contract events the state was folded from, and the position of the last one (null: none). */
  events: number;
  lastPosition: string | null;
  status: 'unknown' | 'awaiting_booking' | 'active' | 'cancelled';
  legalEntity: string | null;
  customerId: string | null;
  currency: string | null;
  versionInForce: number;
  heldVersions: number[];
  versions: ContractVersion[];
  lines: ContractLine[];
  productMapping: MappingVersionRef;
  schedule: ScheduleView | null;
  balances: PeriodBalance[];
  journals: JournalSummary[];
}

// ---- the three operational questions ----

export type AwaitingReason = 'HELD_VERSION_GAP' | 'PROJECTION_LAG';

export interface AmendmentAwaiting {
  contractId: string;
  event: EventRef;
  version: number;
  effectiveDate: string;
  reason: AwaitingReason;
  /** Owner-facing: what it waits for. */
  message: string;
  /** HELD_VERSION_GAP: the version in force and the versions missing before this one. */
  versionInForce: number | null;
  missingVersions: number[];
}

export interface AmendmentsAwaiting {
  /** The revenue-schedule read model's checkpoint and the log's head when asked. */
  checkpoint: string | null;
  head: string | null;
  amendments: AmendmentAwaiting[];
}

export interface FailedInvoice {
  /** The invoice or credit memo event in the journal's lineage. */
  event: EventRef;
  documentId: string;
  documentDate: string;
  amount: string;
}

export interface PostingFailure {
  contractId: string;
  journal: JournalSummary;
  rejection: Rejection;
  /** When the ERP's refusal was recorded. */
  rejectedAt: string;
  invoices: FailedInvoice[];
}

export interface PostingFailures {
  code: string;
  failures: PostingFailure[];
  /**
   * For a blocking code only: the contracts it keeps from being journaled, which the first run after the cause is
   * fixed posts.
   */
  blocked?: PostingBlock[];
}

export interface SkuDrift {
  sku: string;
  /** The version that published the SKU's entry in force now (null: the SKU is not mapped any more). */
  currentVersion: number | null;
}

export interface AccountDifference {
  account: string;
  target: string;
  posted: string;
  /** target − posted: what an adjusting journal would move (debit positive). */
  difference: string;
}

export interface DriftedContract {
  contractId: string;
  currency: string;
  /** The product-mapping version of the latest posted journal, and the one the schedule is computed with now. */
  postedMappingVersion: number;
  currentMappingVersion: number;
  /** The SKUs whose entry was published after the posted version. */
  skus: SkuDrift[];
  /** The latest period posted; the difference is taken through it. */
  through: string;
  pendingDifference: AccountDifference[];
}

export interface UnmappedContract {
  contractId: string;
  skus: string[];
  exceptions: ScheduleException[];
}

export interface EntityDrift {
  legalEntity: string;
  drifted: DriftedContract[];
  unmapped: UnmappedContract[];
}

export interface MappingDrift {
  productMapping: MappingVersionRef;
  entities: EntityDrift[];
}

// ---- reports ----

export interface PeriodAmount {
  period: string;
  amount: string;
}

export interface WaterfallRow {
  sku: string;
  /** Obligations of that SKU recognising revenue in the range. */
  obligations: number;
  periods: PeriodAmount[];
  total: string;
}

export interface WaterfallCurrency {
  currency: string;
  rows: WaterfallRow[];
  totals: PeriodAmount[];
  total: string;
}

/** A contract a functional-currency report could not translate: a rate it needs is not published. */
export interface UntranslatedContract {
  contractId: string;
  currency: string;
  functionalCurrency: string;
  /** Which rate is missing (pair, type, date). */
  message: string;
}

export interface RevenueWaterfall {
  legalEntity: string;
  from: string;
  to: string;
  /** `functional`: every contract in the legal entity's functional currency; `transaction`: each in its own. */
  basis: 'functional' | 'transaction';
  functionalCurrency: string | null;
  periods: string[];
  contracts: number;
  currencies: WaterfallCurrency[];
  /** Contracts left out of a functional-currency report for a missing rate (never converted at another one). */
  untranslated: UntranslatedContract[];
}

/** opening + billed − recognised + reclassified = closing. */
export interface RollforwardSection {
  opening: string;
  billed: string;
  recognised: string;
  /**
   * Deferred revenue and contract asset are one net position per contract (ASC 606-10-45-1); what moves between the
   * two sides of it (a contract in asset billed into liability, or the reverse) shows here. Zero on the net section.
   */
  reclassified: string;
  /**
   * What exchange differences added to the balance (functional currency: revenue recognised before billing is
   * translated at the period's average rate, its billing at the invoice date's spot rate); zero in transaction currency.
   */
  exchangeDifference: string;
  closing: string;
  ties: boolean;
}

export interface RollforwardCurrency {
  currency: string;
  contracts: number;
  /** Deferred revenue (a liability, credit balance) as a positive amount. */
  deferredRevenue: RollforwardSection;
  /** Contract asset, positive; its section reads opening − billed + recognised + reclassified = closing. */
  contractAsset: RollforwardSection;
  /** Deferred revenue minus contract asset: opening + billed − recognised = closing, with nothing reclassified. */
  net: RollforwardSection;
}

export interface DeferredRevenueRollforward {
  legalEntity: string;
  period: string;
  basis: 'functional' | 'transaction';
  functionalCurrency: string | null;
  currencies: RollforwardCurrency[];
  untranslated: UntranslatedContract[];
}

export type BreakCode =
  | 'BILLED_NOT_JOURNALED'
  | 'RECOGNISED_NOT_JOURNALED'
  | 'JOURNALED_NOT_POSTED'
  | 'JOURNAL_REJECTED'
  | 'SCHEDULE_EXCEPTION';

export interface ReconciliationBreak {
  code: BreakCode;
  /** The difference (first figure minus second), in the contract's currency. */
  amount: string;
  message: string;
}

export interface ReconciliationRow {
  contractId: string;
  currency: string | null;
  /** Revenue billed (excluding tax), recognised, journaled and posted through the period. */
  billed: string;
  recognised: string | null;
  /** Billing the journals carry (receivable less tax payable), of all of them and of the posted ones. */
  journaledBilled: string;
  postedBilled: string;
  journaled: string;
  posted: string;
  /** Revenue in journals the ERP refused for good (not journaled until re-prepared). */
  rejected: string;
  breaks: ReconciliationBreak[];
}

/** Per account and currency over the legal entity's contracts: journaled, posted, refused (debit positive). */
export interface ReconciliationAccount {
  account: string;
  currency: string | null;
  journaled: string;
  posted: string;
  rejected: string;
}

export interface Reconciliation {
  legalEntity: string;
  period: string;
  contracts: ReconciliationRow[];
  accounts: ReconciliationAccount[];
  /** Contracts with at least one break. */
  breaks: number;
  /** Contracts in another currency whose translation waits for a rate: not compared, listed here. */
  untranslated: UntranslatedContract[];
}

/** One period of a legal entity's deferred revenue (net of contract asset) and revenue, in one currency. */
export interface GroupFigures {
  opening: string;
  billed: string;
  revenue: string;
  exchangeDifference: string;
  closing: string;
}

export interface GroupEntityPeriod {
  period: string;
  /** Functional -> reporting currency; null when they are the same currency (or the rate is missing). */
  averageRate: string | null;
  closingRate: string | null;
  functional: GroupFigures;
  /**
   * The same at the average rate (billed, revenue, exchange difference) and the closing rates (opening: the period
   * before's, closing: this one's), with the translation difference that makes them tie; null while a rate is missing.
   */
  reporting: (GroupFigures & { translationDifference: string }) | null;
  /** The rates this period needs that are not published. */
  missingRates: string[];
}

export interface GroupEntity {
  legalEntity: string;
  functionalCurrency: string;
  periods: GroupEntityPeriod[];
  untranslated: UntranslatedContract[];
}

export interface GroupPeriodTotal {
  period: string;
  /** False while an entity lacks a rate or has an untranslated contract: the sums leave those out. */
  complete: boolean;
  opening: string;
  billed: string;
  revenue: string;
  exchangeDifference: string;
  translationDifference: string;
  closing: string;
}

export interface GroupReport {
  reportingCurrency: string;
  from: string;
  to: string;
  periods: string[];
  entities: GroupEntity[];
  totals: GroupPeriodTotal[];
}
