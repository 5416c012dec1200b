// The audit fields: lineage, trace, as-of, the operational questions and the reports, as thin resolvers
// over src/audit: each checks its arguments (INVALID_ARGUMENT naming the argument) and calls the audit function, whose
// answer is the GraphQL object as it is — every type here is the src/audit/types.ts interface of the same name, field
// for field. Their SDL extends the base schema (schema.ts) and reuses its types where the shape is the same
// (SourceRef, ContractLine, ContractVersion, Rejection, PeriodBalance, JournalStatus, ContractStatus).
import type { IResolvers } from 'mercurius';
import { Currency, Id, Period, SourceRef, Text } from '../../schemas/index.js';
import {
  amendmentsAwaitingRecalculation,
  contractAsOf,
  deferredRevenueRollforward,
  groupReport,
  lineage,
  mappingDrift,
  postingFailures,
  reconciliation,
  revenueWaterfall,
  waterfallSpanProblem,
  trace,
  traceCorrelation,
} from '../audit/index.js';
import type { AuditDeps, HeldAge, ReportCurrency } from '../audit/index.js';
import type { KeyRing } from '../auth/index.js';
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import { codedError } from './errors.js';
import { arg, asOfOptions } from './arguments.js';
import { POSTING_BLOCK_CODES, REJECTION_CODES } from '../../schemas/index.js';
import type { ConnectorConfig } from '../config.js';
import { TieOutUnavailableError, erpTieOut } from '../posting/tie-out.js';
import { entityRegister } from '../posting/register.js';
import { recordTieOut } from '../metrics/index.js';
import { POSTING_SUBMISSION_FIELDS } from './schema.js';
import { decodeCursor, encodeCursor } from './contracts.js';
import type { Reconciliation, ReconciliationRow } from '../audit/index.js';

/** The most contract rows one reconciliation page answers. */
const MAX_RECONCILIATION_PAGE = 200;

export const auditTypeDefs = /* GraphQL */ `
  extend type Query {
    """
    Backward from a journal: each line to its schedule line and the exact source events it stands on, the mapping
    versions it was prepared with, its ERP document and posting status. Null for an unknown journal.
    """
    lineage(journalId: ID!): Lineage
    """
    Forward from a source record (\`system\` and its \`id\` there, e.g. billing / INV-1): the events it became, the
    contract versions they made, the schedule periods they change, the journals whose lineage names them and their ERP
    documents. Or, with \`correlationId\` instead, from a correlation id: every event carrying it (what the request
    that carried it caused), their contracts, and the journals built from them (or prepared by a posting run of that
    id) with their ERP documents. Give either \`system\` and \`id\`, or \`correlationId\`.
    """
    trace(system: String, id: String, correlationId: String): Trace!
    """
    A contract bitemporally: as the ledger knew it at \`recordedAt\` (an ISO 8601 instant: events received after it are
    ignored), as in effect on \`effectiveAt\` (YYYY-MM-DD), or both; neither: now. Null for a contract the ledger has
    never seen; status \`unknown\` when it had not seen it yet.
    """
    contractAsOf(id: ID!, recordedAt: String, effectiveAt: String): ContractAsOf
    "Amendments and cancellations whose effect is not in the revenue schedule yet: held ones, and projection lag."
    amendmentsAwaitingRecalculation: AmendmentsAwaiting!
    "Journals the ERP refused with \`code\` (PERIOD_CLOSED, UNBALANCED, UNKNOWN_ACCOUNT, CONNECTOR_UNAVAILABLE) and the invoices in them."
    postingFailures(code: String!): PostingFailures!
    "Per legal entity (absent: every one): contracts posted under an older product mapping, and unmapped SKUs."
    mappingDrift(legalEntity: String): MappingDrift!
    """
    Revenue recognised per period from \`from\` to \`to\` (YYYY-MM, inclusive, at most 120 months) by SKU, in the legal
    entity's functional currency (\`in: TRANSACTION\`: per contract currency).
    """
    revenueWaterfall(legalEntity: String!, from: String!, to: String!, in: ReportCurrency = FUNCTIONAL): RevenueWaterfall!
    """
    Every legal entity's revenue and deferred revenue in its functional currency and translated to the group's
    reporting currency (income at the period's average rate, balances at the closing rate), with the translation
    difference as its own line. \`reportingCurrency\` defaults to the entity register's.
    """
    groupReport(from: String!, to: String!, reportingCurrency: String): GroupReport!
    "Deferred revenue and contract asset rolled forward over one period (YYYY-MM), per currency."
    deferredRevenueRollforward(
      legalEntity: String!
      period: String!
      in: ReportCurrency = FUNCTIONAL
    ): DeferredRevenueRollforward!
    "Billed vs recognised vs journaled vs posted per contract through a period (YYYY-MM), with the breaks."
    reconciliation(legalEntity: String!, period: String!): Reconciliation!
    "The ERP's own balances per account through a period (YYYY-MM) against what Revtrail recorded as posted: the differences."
    erpTieOut(period: String!, legalEntity: String): ErpTieOut!
  }

  type ErpTieOutDifference {
    legalEntity: String!
    account: String!
    currency: String!
    "Debit positive."
    erp: Money!
    revtrail: Money!
    "erp − revtrail."
    difference: Money!
    "Journal ids behind the account on either side (an ERP entry without one: erp:<date> <description>)."
    journals: [String!]!
  }

  type ErpTieOut {
    period: String!
    legalEntity: String
    compared: Int!
    differences: [ErpTieOutDifference!]!
  }

  extend type Journal {
    "The journal's lineage back to its schedule lines, source events and mapping versions."
    lineage: Lineage
  }

  extend enum ContractStatus {
    "contractAsOf only: the ledger had received no event of the contract by then."
    unknown
  }

  "One stored event as an auditor sees it: where it sits in the log, where it came from, when it arrived."
  type EventRef {
    eventId: ID!
    type: String!
    streamId: String!
    "The contract it belongs to (null for mapping, period and other streams)."
    contractId: ID
    position: String!
    revision: Int!
    source: SourceRef
    "When Revtrail accepted it (the ingest clock, part of the hash chain)."
    receivedAt: String!
    "When the store wrote it (the store's clock)."
    recordedAt: String!
    "When it happened at the source, for inbound events."
    occurredAt: String
    actor: String
    correlationId: String
    contentHash: String!
    prevHash: String!
  }

  enum MappingKind {
    products
    accounts
  }

  "A version of a mapping; eventId null when it is not in the log (version 0: none published)."
  type MappingVersionRef {
    kind: MappingKind!
    version: Int!
    eventId: ID
    position: String
    publishedAt: String
    reason: String
    actor: String
  }

  "One submission of a journal to the ERP and its answer."
  type Submission {${POSTING_SUBMISSION_FIELDS}
    answeredAt: String
  }

  "A journal and where it stands at the ERP."
  type JournalSummary {
    journalId: ID!
    contractId: ID!
    legalEntity: String!
    currency: String!
    period: String!
    through: String!
    date: String!
    status: JournalStatus!
    attempts: Int!
    erpDocumentId: String
    connector: String
    rejection: Rejection
    supersedes: ID
    supersededBy: ID
    debit: Money!
    credit: Money!
    productMappingVersion: Int!
    accountMappingVersion: Int!
    "The correlation ids of its source events: the ERP document carries them as correlationId tags."
    correlationIds: [String!]!
    "The JournalPrepared event."
    preparedEventId: ID!
    preparedAt: String!
    submissions: [Submission!]!
  }

  "A schedule line a journal's revenue line stands on: recognised to date on one obligation through a period."
  type ScheduleLineRef {
    "The performance obligation: the contract line id."
    obligation: String!
    sku: String!
    through: String!
    recognisedToDate: Money!
    mappingVersion: Int!
    productMapping: MappingVersionRef!
  }

  enum AccountRole {
    revenue
    receivable
    taxPayable
    deferredRevenue
    contractAsset
    other
  }

  type Dimension {
    name: String!
    value: String!
  }

  type JournalLineLineage {
    "0-based position of the line in the journal."
    index: Int!
    account: String!
    role: AccountRole!
    debit: Money!
    credit: Money!
    description: String!
    dimensions: [Dimension!]!
    obligation: String
    sku: String
    "The schedule line behind a revenue line (null for the balance-sheet lines)."
    scheduleLine: ScheduleLineRef
    """
    The source events the line stands on: a revenue line, those of its obligation; receivable and tax, the invoices
    and credit memos; deferred revenue and contract asset, all of the journal's.
    """
    sourceEvents: [EventRef!]!
    """
    A translated contract's line (docs/accounting.md, "Foreign currency"): the transaction-currency amount and the
    published rate its functional amount was made at; null in the legal entity's own currency and on an exchange
    difference.
    """
    fx: JournalLineFx
  }

  "The transaction side of a translated journal line, and the FxRatesPublished event whose rate it used."
  type JournalLineFx {
    currency: String!
    amount: Money!
    rate: String!
    "spot, average or closing."
    rateType: String!
    rateDate: String!
    "The FxRatesPublished event (stream fx-rates-<BASE>-<QUOTE>, GET /v1/fx-rates/:base/:quote)."
    rateEventId: ID!
    "That event: its stream, position and source record (the rate publisher's)."
    rateEvent: EventRef
  }

  type Lineage {
    journal: JournalSummary!
    "The JournalPrepared event itself."
    prepared: EventRef!
    lines: [JournalLineLineage!]!
    scheduleLines: [ScheduleLineRef!]!
    "Every source event of the journal, in log order."
    sourceEvents: [EventRef!]!
    productMapping: MappingVersionRef!
    accountMapping: MappingVersionRef!
  }

  type TracedVersion {
    version: Int!
    type: String!
    effectiveDate: String!
    eventId: ID!
    "Applied to the contract (false while it waits for an earlier version: held)."
    applied: Boolean!
    inForce: Boolean!
  }

  type ObligationChange {
    obligation: String!
    sku: String!
    without: Money!
    with: Money!
    change: Money!
  }

  "How one period of the schedule and the billing differ with the traced events and without them."
  type PeriodChange {
    period: String!
    recognisedChange: Money!
    billedChange: Money!
    obligations: [ObligationChange!]!
  }

  type TracedJournal {
    journal: JournalSummary!
    "The traced events the journal's lineage names."
    eventIds: [ID!]!
  }

  type TracedContract {
    contractId: ID!
    legalEntity: String
    currency: String
    events: [EventRef!]!
    versions: [TracedVersion!]!
    "The periods the source record changes: the schedule and billing now against the contract without its events."
    scheduleChanges: [PeriodChange!]!
    journals: [TracedJournal!]!
  }

  type Trace {
    "The source record traced (null for a trace by correlation id)."
    system: String
    id: String
    "The correlation id traced (null for a trace by source record)."
    correlationId: String
    "Every event carrying the source reference (all its source versions), or the correlation id, in log order."
    events: [EventRef!]!
    contracts: [TracedContract!]!
    "Every journal the trace reaches, with its ERP document and submissions (the contracts' journals, once each)."
    journals: [TracedJournal!]!
  }

  type ObligationView {
    obligation: String!
    sku: String!
    pattern: String!
    allocated: Money!
    variable: Money!
    recognised: Money!
    serviceStart: String
    serviceEnd: String
    active: Boolean!
  }

  type ObligationAmount {
    obligation: String!
    amount: Money!
  }

  type SchedulePeriodView {
    period: String!
    total: Money!
    cumulative: Money!
    obligations: [ObligationAmount!]!
  }

  type ScheduleException {
    code: String!
    message: String!
    obligation: String
    sku: String
    eventId: ID
  }

  type ScheduleView {
    status: String!
    currency: String
    transactionPrice: Money!
    mappingVersion: Int!
    obligations: [ObligationView!]!
    periods: [SchedulePeriodView!]!
    exceptions: [ScheduleException!]!
  }

  type ContractAsOf {
    contractId: ID!
    recordedAt: String
    effectiveAt: String
    "Contract events the state was folded from, and the position of the last one."
    events: Int!
    lastPosition: String
    status: ContractStatus!
    legalEntity: String
    customerId: String
    currency: String
    versionInForce: Int!
    heldVersions: [Int!]!
    versions: [ContractVersion!]!
    lines: [ContractLine!]!
    productMapping: MappingVersionRef!
    schedule: ScheduleView
    balances: [PeriodBalance!]!
    journals: [JournalSummary!]!
  }

  enum AwaitingReason {
    HELD_VERSION_GAP
    PROJECTION_LAG
  }

  type AmendmentAwaiting {
    contractId: ID!
    event: EventRef!
    version: Int!
    effectiveDate: String!
    reason: AwaitingReason!
    "What it waits for."
    message: String!
    "HELD_VERSION_GAP: the version in force and the versions missing before this one."
    versionInForce: Int
    missingVersions: [Int!]!
  }

  type AmendmentsAwaiting {
    "The revenue-schedule read model's checkpoint and the log's head when asked."
    checkpoint: String
    head: String
    amendments: [AmendmentAwaiting!]!
  }

  type FailedInvoice {
    "The invoice or credit memo event in the journal's lineage."
    event: EventRef!
    documentId: String!
    documentDate: String!
    amount: Money!
  }

  type PostingFailure {
    contractId: ID!
    journal: JournalSummary!
    rejection: Rejection!
    rejectedAt: String!
    invoices: [FailedInvoice!]!
  }

  "A booked contract no journal can be prepared for now; the first posting run after its cause is fixed posts it."
  type PostingBlock {
    contractId: ID!
    legalEntity: String!
    "UNMAPPED_ENTITY, SCHEDULE_EXCEPTION or FX_RATE_MISSING."
    code: String!
    message: String!
  }

  type PostingFailures {
    code: String!
    failures: [PostingFailure!]!
    "For a blocking code (UNMAPPED_ENTITY, SCHEDULE_EXCEPTION, FX_RATE_MISSING): the contracts it blocks; else null."
    blocked: [PostingBlock!]
  }

  type SkuDrift {
    sku: String!
    "The version that published the SKU's entry in force now (null: not mapped any more)."
    currentVersion: Int
  }

  type AccountDifference {
    account: String!
    target: Money!
    posted: Money!
    "target - posted: what an adjusting journal would move (debit positive)."
    difference: Money!
  }

  type DriftedContract {
    contractId: ID!
    currency: String!
    postedMappingVersion: Int!
    currentMappingVersion: Int!
    skus: [SkuDrift!]!
    "The latest period posted; the difference is taken through it."
    through: String!
    pendingDifference: [AccountDifference!]!
  }

  type UnmappedContract {
    contractId: ID!
    skus: [String!]!
    exceptions: [ScheduleException!]!
  }

  type EntityDrift {
    legalEntity: String!
    drifted: [DriftedContract!]!
    unmapped: [UnmappedContract!]!
  }

  type MappingDrift {
    productMapping: MappingVersionRef!
    entities: [EntityDrift!]!
  }

  type PeriodAmount {
    period: String!
    amount: Money!
  }

  type WaterfallRow {
    sku: String!
    "Obligations of that SKU recognising revenue in the range."
    obligations: Int!
    periods: [PeriodAmount!]!
    total: Money!
  }

  type WaterfallCurrency {
    currency: String!
    rows: [WaterfallRow!]!
    totals: [PeriodAmount!]!
    total: Money!
  }

  "FUNCTIONAL: every contract in the legal entity's functional currency, translated as its journals are; TRANSACTION: each in its own."
  enum ReportCurrency {
    FUNCTIONAL
    TRANSACTION
  }

  "A contract a functional-currency report leaves out because a rate its translation needs is not published."
  type UntranslatedContract {
    contractId: ID!
    currency: String!
    functionalCurrency: String!
    "The rate missing: pair, type and date."
    message: String!
  }

  type RevenueWaterfall {
    legalEntity: String!
    from: String!
    to: String!
    "functional or transaction: the currency the amounts are in (the argument \`in\`)."
    basis: String!
    functionalCurrency: String
    periods: [String!]!
    contracts: Int!
    currencies: [WaterfallCurrency!]!
    untranslated: [UntranslatedContract!]!
  }

  "opening + billed - recognised + reclassified = closing (the contract asset's reads opening - billed + recognised)."
  type RollforwardSection {
    opening: Money!
    billed: Money!
    recognised: Money!
    reclassified: Money!
    "What exchange differences added (functional currency: revenue before billing at the period average, billing at spot)."
    exchangeDifference: Money!
    closing: Money!
    ties: Boolean!
  }

  type RollforwardCurrency {
    currency: String!
    contracts: Int!
    deferredRevenue: RollforwardSection!
    contractAsset: RollforwardSection!
    "Deferred revenue minus contract asset, nothing reclassified."
    net: RollforwardSection!
  }

  type GroupFigures {
    opening: Money!
    billed: Money!
    revenue: Money!
    exchangeDifference: Money!
    closing: Money!
  }

  type GroupReportingFigures {
    opening: Money!
    billed: Money!
    revenue: Money!
    exchangeDifference: Money!
    "closing - (opening + billed - revenue + exchange difference): what translating at two rates makes."
    translationDifference: Money!
    closing: Money!
  }

  type GroupEntityPeriod {
    period: String!
    "Functional to reporting currency; null for the same currency or a missing rate."
    averageRate: String
    closingRate: String
    functional: GroupFigures!
    "Null while a rate it needs is missing (missingRates)."
    reporting: GroupReportingFigures
    missingRates: [String!]!
  }

  type GroupEntity {
    legalEntity: String!
    functionalCurrency: String!
    periods: [GroupEntityPeriod!]!
    untranslated: [UntranslatedContract!]!
  }

  type GroupPeriodTotal {
    period: String!
    "False while an entity lacks a rate or has an untranslated contract (the sums leave those out)."
    complete: Boolean!
    opening: Money!
    billed: Money!
    revenue: Money!
    exchangeDifference: Money!
    translationDifference: Money!
    closing: Money!
  }

  type GroupReport {
    reportingCurrency: String!
    from: String!
    to: String!
    periods: [String!]!
    entities: [GroupEntity!]!
    totals: [GroupPeriodTotal!]!
  }

  type DeferredRevenueRollforward {
    legalEntity: String!
    period: String!
    "functional or transaction: the currency the amounts are in (the argument \`in\`)."
    basis: String!
    functionalCurrency: String
    currencies: [RollforwardCurrency!]!
    untranslated: [UntranslatedContract!]!
  }

  enum BreakCode {
    BILLED_NOT_JOURNALED
    RECOGNISED_NOT_JOURNALED
    JOURNALED_NOT_POSTED
    JOURNAL_REJECTED
    SCHEDULE_EXCEPTION
  }

  type ReconciliationBreak {
    code: BreakCode!
    "The difference (first figure minus second), in the contract's currency."
    amount: Money!
    message: String!
  }

  type ReconciliationRow {
    contractId: ID!
    currency: String
    billed: Money!
    recognised: Money
    "Billing the journals carry (receivable less tax payable), of all of them and of the posted ones."
    journaledBilled: Money!
    postedBilled: Money!
    journaled: Money!
    posted: Money!
    "Revenue in journals the ERP refused for good: not journaled until re-prepared."
    rejected: Money!
    breaks: [ReconciliationBreak!]!
  }

  "Per account and currency: journaled, posted and refused amounts (debit positive)."
  type ReconciliationAccount {
    account: String!
    currency: String
    journaled: Money!
    posted: Money!
    rejected: Money!
  }

  type Reconciliation {
    legalEntity: String!
    period: String!
    "Every contract row at once, unpaged: on a large entity use contractPage."
    contracts: [ReconciliationRow!]! @deprecated(reason: "unbounded; use contractPage")
    """
    The contract rows a page at a time (at most ${MAX_RECONCILIATION_PAGE}): contracts with breaks first, then by
    contract id; \`code\` keeps only the contracts with a break of that code. \`after\` is an opaque cursor from a page
    before.
    """
    contractPage(first: Int = 25, after: String, code: BreakCode): ReconciliationRowConnection!
    "Contract rows (with figures or breaks) of the entity through the period."
    contractCount: Int!
    accounts: [ReconciliationAccount!]!
    "Contracts in another currency whose translation waits for a rate: not compared until it is published."
    untranslated: [UntranslatedContract!]!
    "Contracts with at least one break."
    breaks: Int!
  }

  type ReconciliationRowConnection {
    edges: [ReconciliationRowEdge!]!
    pageInfo: PageInfo!
    "Rows matching \`code\` (all rows without it)."
    totalCount: Int!
  }

  type ReconciliationRowEdge {
    cursor: String!
    node: ReconciliationRow!
  }
`;

/** A row's place in the drill-down order: breaks first, then contract id (the cursor is this key). */
/** The report currency GraphQL names (FUNCTIONAL, the default, or TRANSACTION) as the reports take it. */
/** The group's reporting currency as the entity register names it (null: no register, or none named). */
async function registerReportingCurrency(deps: AuditDeps): Promise<string | null> {
  return (await entityRegister(deps.store))?.reportingCurrency ?? null;
}

const basisOf = (value: string | undefined): ReportCurrency => (value === 'TRANSACTION' ? 'transaction' : 'functional');

const rowKey = (row: ReconciliationRow): string => `${row.breaks.length > 0 ? 0 : 1}|${row.contractId}`;

/** A page of the reconciliation's contract rows, Relay-style, breaks first. */
function reconciliationPage(
  rows: readonly ReconciliationRow[],
  args: { first: number; after?: string | null; code?: string | null },
) {
  const { first } = args;
  if (!Number.isInteger(first) || first < 0 || first > MAX_RECONCILIATION_PAGE)
    throw codedError('INVALID_ARGUMENT', `first must be between 0 and ${MAX_RECONCILIATION_PAGE}`);
  const afterKey = args.after == null ? '' : decodeCursor(args.after);
  const matching = rows
    .filter((row) => args.code == null || row.breaks.some((b) => b.code === args.code))
    .map((row) => ({ key: rowKey(row), row }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = matching.filter((m) => m.key > afterKey);
  const edges = rest.slice(0, first).map((m) => ({ cursor: encodeCursor(m.key), node: m.row }));
  return {
    edges,
    pageInfo: { hasNextPage: rest.length > first, endCursor: edges[edges.length - 1]?.cursor ?? null },
    totalCount: matching.length,
  };
}

/** A correlation id as an inbound event may carry one. */
const CorrelationIdArg = Text(128);

/** `trace` by source record or by correlation id, whichever the arguments give (exactly one of them). */
async function traceBy(
  deps: AuditDeps,
  args: { system?: string | null; id?: string | null; correlationId?: string | null },
): Promise<object> {
  const bySource = args.system != null || args.id != null;
  if (bySource === (args.correlationId != null))
    throw codedError('INVALID_ARGUMENT', 'correlationId: give either system and id, or correlationId');
  if (!bySource) {
    const t = await traceCorrelation(deps, arg('correlationId', CorrelationIdArg, args.correlationId));
    return { system: null, id: null, ...t };
  }
  const t = await trace(
    deps,
    arg('system', SourceRef.shape.system, args.system),
    arg('id', SourceRef.shape.id, args.id),
  );
  return { ...t, correlationId: null, journals: t.contracts.flatMap((c) => c.journals) };
}

export function auditResolvers({
  read,
  store,
  held,
  connector,
}: {
  read: ReadStore;
  store: EventStore;
  keys: KeyRing;
  held?: HeldAge;
  connector?: ConnectorConfig;
}): IResolvers {
  const deps: AuditDeps = held ? { read, store, held } : { read, store };
  return {
    Query: {
      lineage: (_root: unknown, args: { journalId: string }) => lineage(deps, arg('journalId', Id, args.journalId)),
      trace: async (
        _root: unknown,
        args: { system?: string | null; id?: string | null; correlationId?: string | null },
      ) => traceBy(deps, args),
      contractAsOf: (_root: unknown, args: { id: string; recordedAt?: string | null; effectiveAt?: string | null }) =>
        contractAsOf(deps, arg('id', Id, args.id), asOfOptions(args)),
      amendmentsAwaitingRecalculation: () => amendmentsAwaitingRecalculation(deps),
      postingFailures: (_root: unknown, args: { code: string }) => {
        const codes: string[] = [...REJECTION_CODES, ...POSTING_BLOCK_CODES];
        if (!codes.includes(args.code))
          throw codedError('INVALID_ARGUMENT', `code: must be one of ${codes.join(', ')}`);
        return postingFailures(deps, { code: args.code });
      },
      erpTieOut: async (_root: unknown, args: { period: string; legalEntity?: string | null }) => {
        const period = arg('period', Period, args.period);
        const legalEntity = args.legalEntity == null ? undefined : arg('legalEntity', Id, args.legalEntity);
        try {
          const tieOut = await erpTieOut(store, connector ?? { kind: 'simulated' }, period, legalEntity);
          recordTieOut(tieOut);
          return tieOut;
        } catch (err) {
          if (err instanceof TieOutUnavailableError) throw codedError(err.code, `erpTieOut: ${err.message}`);
          throw err;
        }
      },
      mappingDrift: (_root: unknown, args: { legalEntity?: string | null }) =>
        mappingDrift(deps, args.legalEntity == null ? {} : { legalEntity: arg('legalEntity', Id, args.legalEntity) }),
      revenueWaterfall: (_root: unknown, args: { legalEntity: string; from: string; to: string; in?: string }) => {
        const [legalEntity, from, to] = [
          arg('legalEntity', Id, args.legalEntity),
          arg('from', Period, args.from),
          arg('to', Period, args.to),
        ];
        const problem = waterfallSpanProblem(from, to);
        if (problem) throw codedError('INVALID_ARGUMENT', problem);
        return revenueWaterfall(deps, legalEntity, from, to, basisOf(args.in));
      },
      groupReport: async (_root: unknown, args: { from: string; to: string; reportingCurrency?: string | null }) => {
        const [from, to] = [arg('from', Period, args.from), arg('to', Period, args.to)];
        const problem = waterfallSpanProblem(from, to);
        if (problem) throw codedError('INVALID_ARGUMENT', problem);
        const reporting =
          args.reportingCurrency == null
            ? await registerReportingCurrency(deps)
            : arg('reportingCurrency', Currency, args.reportingCurrency);
        if (reporting === null)
          throw codedError('INVALID_ARGUMENT', 'reportingCurrency: required while no entity register names one');
        return groupReport(deps, reporting, from, to);
      },
      deferredRevenueRollforward: (_root: unknown, args: { legalEntity: string; period: string; in?: string }) =>
        deferredRevenueRollforward(
          deps,
          arg('legalEntity', Id, args.legalEntity),
          arg('period', Period, args.period),
          basisOf(args.in),
        ),
      reconciliation: (_root: unknown, args: { legalEntity: string; period: string }) =>
        reconciliation(deps, arg('legalEntity', Id, args.legalEntity), arg('period', Period, args.period)),
    },
    Reconciliation: {
      contractCount: (r: Reconciliation) => r.contracts.length,
      contractPage: (r: Reconciliation, args: { first: number; after?: string | null; code?: string | null }) =>
        reconciliationPage(r.contracts, args),
    },
    Journal: {
      // The journal's contract is known here: lineage need not look it up.
      lineage: async (j: { id: string; contractId: string }) => lineage(deps, j.id, { contractId: j.contractId }),
    },
  } as IResolvers;
}
