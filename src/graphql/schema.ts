// The GraphQL schema (SDL) of the audit surface: contracts as the projections hold them, their raw events, journals
// and exceptions, and the ledger's events as a resumable subscription. Type and field names are the read models'
// (contract-versions, revenue-schedule, posting-status) and the stored envelope's, so one concept has one name.
// The audit queries (lineage, trace, asOf, the operational questions, reports) live in src/audit and extend this.
/**
 * The fields of one submission of a journal to the ERP as the posting-status read model records it; the audit's
 * Submission has them too, and when it was answered (as src/audit/types.ts's Submission extends PostingSubmission).
 */
export const POSTING_SUBMISSION_FIELDS = /* GraphQL */ `
    attempt: Int!
    batchId: String!
    connector: String!
    submittedAt: String!
    outcome: String
    code: String`;

export const typeDefs = /* GraphQL */ `
  "Any JSON value: event data as stored, contract lines as sent."
  scalar JSON

  "A decimal string in the contract's currency (\\"1200.00\\"); money is never a float."
  scalar Money

  type Query {
    """
    A contract as the read models hold it; null when the ledger holds no event of it. With \`asOf\`, as the ledger knew
    it at \`recordedAt\` (events received later are ignored, and the mapping in force then is used) and/or as in
    effect on \`effectiveAt\` (versions and facts effective on or before that date), computed from the log.
    """
    contract(id: ID!, asOf: AsOf): Contract
    "Contracts in contract id order, Relay-style: at most 100 per page, \`after\` an opaque cursor from a page before."
    contracts(filter: ContractFilter, first: Int = 20, after: String): ContractConnection!
    "A journal by its id, with the contract whose stream holds it."
    journal(id: ID!): Journal
  }

  type Subscription {
    """
    Every ledger event after \`fromPosition\` (exclusive; absent: from the start of the log), catch-up then live, in
    log order and each exactly once: a subscriber that drops resumes from the last position it received.
    """
    ledgerEvents(fromPosition: String, contractId: ID, types: [String!]): LedgerEvent!
  }

  "A past moment, bitemporally: either or both."
  input AsOf {
    "An ISO 8601 instant: the state as the ledger knew it then."
    recordedAt: String
    "A date, YYYY-MM-DD: the state in effect on that day."
    effectiveAt: String
  }

  input ContractFilter {
    legalEntity: String
    status: ContractStatus
    "Contracts any version of which uses the SKU."
    sku: String
    "Contracts with a schedule exception or a journal rejection of this code."
    exception: String
  }

  enum ContractStatus {
    awaiting_booking
    active
    cancelled
  }

  type ContractConnection {
    edges: [ContractEdge!]!
    pageInfo: PageInfo!
    "Contracts matching the filter (counting them may read every contract when filtering on legalEntity or status)."
    totalCount: Int!
  }

  type ContractEdge {
    cursor: String!
    node: Contract!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type Contract {
    id: ID!
    status: ContractStatus!
    legalEntity: String
    customerId: String
    currency: String
    bookingDate: String
    versionInForce: Int!
    "Versions stored but waiting for an earlier one (or for the booking)."
    heldVersions: [Int!]!
    cancelledOn: String
    "Lines of the version in force."
    lines: [ContractLine!]!
    "Every stored version, in version order, applied or not (contract-versions)."
    versions: [ContractVersion!]!
    "The contract stream as stored, in revision order; \`types\` keeps only those event types."
    events(types: [String!]): [LedgerEvent!]!
    "Performance obligations and their allocations (revenue-schedule)."
    obligations: [Obligation!]!
    "The revenue schedule; null until one has been derived."
    schedule: Schedule
    "Billed, recognised, deferred revenue and contract asset at each period end."
    balances: [PeriodBalance!]!
    "Journals in preparation order, with their ERP status (posting-status)."
    journals: [Journal!]!
    "Billed vs recognised vs journaled vs posted revenue through a period (default: the latest journaled)."
    postingStatus(through: String): PostingStatus!
    "Schedule exceptions and ERP rejections the contract's journals stand at."
    exceptions: [ContractException!]!
  }

  type ContractLine {
    lineId: String!
    sku: String!
    quantity: String!
    amount: Money!
    serviceStart: String
    serviceEnd: String
    ssp: Money
  }

  type SourceRef {
    system: String!
    id: String!
    version: Int
  }

  type ContractVersion {
    version: Int!
    type: String!
    effectiveDate: String!
    treatment: String
    lines: [ContractLine!]
    eventId: ID!
    source: SourceRef
    receivedAt: String!
    "Applied to the contract (false while it waits for an earlier version: held)."
    applied: Boolean!
  }

  "A stored event: the envelope, its place in the log and its stream, and the hash chain."
  type LedgerEvent {
    eventId: ID!
    type: String!
    streamId: String!
    "0-based, gap-free within the stream."
    revision: Int!
    "Place in the global log (\\"C\\" or \\"C/P\\"): resume a subscription from it."
    position: String!
    source: SourceRef
    schemaVersion: Int!
    receivedAt: String!
    recordedAt: String!
    correlationId: String
    causationId: String
    actor: String
    "sha-256 of the canonical JSON of {type, data}."
    contentHash: String!
    "sha-256 of the previous event of the stream (zeros for revision 0)."
    prevHash: String!
    data: JSON!
  }

  type Obligation {
    lineId: String!
    sku: String!
    pattern: String!
    convention: String
    allocated: Money!
    variable: Money!
    recognised: Money!
    serviceStart: String
    serviceEnd: String
    active: Boolean!
    "The amendment version of a separate modification (a separate contract, presented apart); null: the original."
    group: Int
    allocationHistory: [AllocationChange!]!
  }

  type AllocationChange {
    from: String
    allocated: Money!
    eventId: ID!
  }

  type Schedule {
    status: String!
    currency: String
    transactionPrice: Money!
    mappingVersion: Int!
    periods: [SchedulePeriod!]!
    lineage: [ScheduleLineage!]!
  }

  type SchedulePeriod {
    "YYYY-MM"
    period: String!
    "Revenue of the month."
    amount: Money!
    "Revenue recognised through the end of the month."
    cumulative: Money!
    lines: [LineAmount!]!
  }

  type LineAmount {
    lineId: String!
    amount: Money!
  }

  type ScheduleLineage {
    lineId: String!
    eventIds: [ID!]!
    mappingVersion: Int!
  }

  type PeriodBalance {
    period: String!
    billed: Money!
    recognised: Money!
    billedToDate: Money!
    recognisedToDate: Money!
    deferredRevenue: Money!
    contractAsset: Money!
  }

  enum JournalStatus {
    prepared
    submitted
    posted
    rejected
    superseded
  }

  type Journal {
    id: ID!
    contractId: ID!
    contract: Contract!
    "The JournalPrepared event."
    eventId: ID!
    through: String!
    period: String!
    date: String!
    legalEntity: String!
    currency: String!
    status: JournalStatus!
    "Submissions across every batch."
    attempts: Int!
    erpDocumentId: String
    rejection: Rejection
    supersedes: ID
    supersededBy: ID
    batchId: String
    connector: String
    debit: Money!
    credit: Money!
    "Revenue it moves (credit - debit on the revenue lines)."
    revenue: Money!
    "Its lines summed per account (debit - credit)."
    accounts: [AccountAmount!]!
    sourceEventIds: [ID!]!
    productMappingVersion: Int!
    accountMappingVersion: Int!
    submissions: [PostingSubmission!]!
    preparedAt: String!
    updatedAt: String!
  }

  type Rejection {
    code: String!
    retryable: Boolean!
    message: String!
  }

  type AccountAmount {
    account: String!
    amount: Money!
  }

  type PostingSubmission {${POSTING_SUBMISSION_FIELDS}
  }

  type PostingStatus {
    through: String
    billed: Money!
    recognised: Money
    journaled: Money!
    posted: Money!
    unposted: Money!
    scheduleStatus: String
    journaledByAccount: [AccountAmount!]!
    postedByAccount: [AccountAmount!]!
    counts: JournalCounts!
  }

  type JournalCounts {
    prepared: Int!
    submitted: Int!
    posted: Int!
    rejected: Int!
    superseded: Int!
  }

  type ContractException {
    contractId: ID!
    source: ExceptionSource!
    code: String!
    message: String!
    lineId: String
    sku: String
    eventId: ID
    journalId: ID
  }
`;
