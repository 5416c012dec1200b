// posting-status: per contract, every journal prepared in its stream and what became of it at the ERP (status,
// attempts, batches, ERP document, rejection), with what was billed, journaled and posted (docs/accounting.md,
// "Journals"). The status rules are commands/journal.ts's `evolveJournals`, folded here unchanged; this projection adds
// what the read side needs: each submission with its batch and outcome, and per journal its totals per account
// instead of its lines (the lines stay in the stream and in the lineage index).
//
// A document carries tags `batch:<batchId>` (so a batch's contracts are found by the tag index, not a scan),
// `journal-status:<status>` and `rejection:<CODE>` (journals refused now, e.g. for a closed period).
//
// "Billed" and "recognised" are the revenue-schedule projection's: rather than sequence the contract's facts and run the
// revenue engine a second time per contract, `joinPostingStatus` joins the two documents when read
// (src/audit/posting-status.ts reads them from the read store). The document folds only the booking and the journal
// events, so an invoice or a usage record, most of a busy period's events, leaves it untouched.
import type { JournalEntry, JournalState, JournalStatus } from '../commands/journal.js';
import { JOURNAL_EVENTS, evolveJournals } from '../commands/journal.js';
import type { Dec } from '../src/revenue/index.js';
import { ZERO, dec, formatMoney, minus, monthOf, plus, sumMoney } from '../src/revenue/index.js';
import type { JsonObject, RecordedEvent } from '../schemas/index.js';
import type { Projection } from './types.js';
import type { RevenueScheduleDoc } from './revenue-schedule.js';
import { appliedBilling } from './revenue-schedule.js';

/** Signed amounts (debit − credit) per account code, keys in account order. */
export type AccountAmounts = { [account: string]: string };

/** One submission of a journal to the ERP, and the answer it got (null while none has been recorded). */
export interface PostingSubmission extends JsonObject {
  attempt: number;
  batchId: string;
  connector: string;
  submittedAt: string;
  outcome: 'posted' | 'rejected' | null;
  /** The rejection code of a rejected attempt (CONNECTOR_UNAVAILABLE for an outage or a lost answer). */
  code: string | null;
}

/**
 * A journal as commands/journal.ts folds it (`status` prepared|submitted|posted|rejected|superseded, `attempts` =
 * submissions across every batch, `rejection` = the last refusal, kept while a retry is under way and cleared once
 * posted), without its lines, and with what the read side adds.
 */
export interface PostingJournal extends Omit<JournalEntry, 'lines'>, JsonObject {
  /** The JournalPrepared event. */
  eventId: string;
  /** The batch and connector of the last submission or answer. */
  batchId: string | null;
  connector: string | null;
  supersededBy: string | null;
  /** Totals of its lines; they balance. */
  debit: string;
  credit: string;
  /** Revenue it moves: credit − debit on the revenue lines (those of a performance obligation). */
  revenue: string;
  accounts: AccountAmounts;
  /** Lineage: the invoices, credit memos and schedule-shaping events behind it, and the mapping versions used. */
  sourceEventIds: string[];
  productMappingVersion: number;
  accountMappingVersion: number;
  submissions: PostingSubmission[];
  preparedAt: string;
  updatedAt: string;
}

export interface PostingStatusDoc extends JsonObject {
  contractId: string;
  legalEntity: string | null;
  customerId: string | null;
  currency: string | null;
  /** In preparation order. */
  journals: PostingJournal[];
  /**
   * Per account, over the journals that count (all but superseded ones and those the ERP refused for good), over the
   * posted ones, and over those the ERP refused for good (rejected, not retryable: waiting for a re-preparation).
   */
  journaled: AccountAmounts;
  posted: AccountAmounts;
  rejected: AccountAmounts;
  journaledRevenue: string;
  postedRevenue: string;
  counts: { [status in JournalStatus]: number };
  /** Revision of the last contract event folded in. */
  streamRevision: number;
}

const FOLDED = new Set<string>(['ContractBooked', ...JOURNAL_EVENTS]);

const moneyIn = (value: Dec, currency: string | null): string =>
  currency === null ? value.toFixed() : formatMoney(value, currency);

const noCounts = (): PostingStatusDoc['counts'] => ({
  prepared: 0,
  submitted: 0,
  posted: 0,
  rejected: 0,
  superseded: 0,
});

export const postingStatus: Projection<PostingStatusDoc> = {
  name: 'posting-status',
  filter: { streamPrefixes: ['contract-'] },
  documentsByStream: 'contract-',
  keyOf: (e) =>
    e.streamId.startsWith('contract-') && FOLDED.has(e.type) && typeof e.data.contractId === 'string'
      ? e.data.contractId
      : null,
  initial: (contractId) => ({
    contractId,
    legalEntity: null,
    customerId: null,
    currency: null,
    journals: [],
    journaled: {},
    posted: {},
    rejected: {},
    journaledRevenue: '0',
    postedRevenue: '0',
    counts: noCounts(),
    streamRevision: -1,
  }),
  evolve: (doc, e) => {
    const next = e.type === 'ContractBooked' ? foldBooking(doc, e) : foldJournal(doc, e);
    return { ...next, streamRevision: e.revision };
  },
  // The totals sum every journal of the contract: once per batch (a rebuild: once, at the end), not per event.
  derive: (doc) => postingTotals(doc),
  tagsOf: (doc) => {
    const tags = new Set<string>();
    for (const j of doc.journals) {
      for (const s of j.submissions) tags.add(`batch:${s.batchId}`);
      tags.add(`journal-status:${j.status}`);
      tags.add(`journal:${j.journalId}`);
      if (j.status === 'rejected' && j.rejection) tags.add(`rejection:${j.rejection.code}`);
    }
    return [...tags].sort();
  },
};

function foldBooking(doc: PostingStatusDoc, e: RecordedEvent): PostingStatusDoc {
  if (doc.currency !== null) return doc;
  const d = e.data;
  return {
    ...doc,
    legalEntity: d.legalEntity as string,
    customerId: d.customerId as string,
    currency: d.currency as string,
  };
}

/** The status fold of commands/journal.ts over the document's journals; lines are not kept, so none are passed. */
function foldJournal(doc: PostingStatusDoc, e: RecordedEvent): PostingStatusDoc {
  const state: JournalState = {
    contractId: doc.contractId,
    journals: new Map(doc.journals.map((j) => [j.journalId, entryOf(j)])),
  };
  const next = evolveJournals(state, e);
  if (next === state) return doc;
  const byId = new Map(doc.journals.map((j) => [j.journalId, j]));
  const id = e.data.journalId as string;
  const journals: PostingJournal[] = [];
  for (const entry of next.journals.values()) {
    const was = byId.get(entry.journalId);
    if (was && entry === state.journals.get(entry.journalId)) {
      journals.push(was);
      continue;
    }
    const { lines: _lines, ...folded } = entry;
    const journal: PostingJournal = { ...(was ?? prepared(e)), ...folded };
    journals.push(
      entry.journalId === id
        ? annotate(journal, e)
        : { ...journal, supersededBy: id, updatedAt: e.metadata.receivedAt },
    );
  }
  return { ...doc, journals };
}

/** The journal as commands/journal.ts's fold takes it; the status rules read no lines. */
const entryOf = (j: PostingJournal): JournalEntry => ({ ...j, lines: [] });

interface PreparedLine {
  account: string;
  debit: string;
  credit: string;
  dimensions: Record<string, string>;
}

function prepared(e: RecordedEvent): PostingJournal {
  const d = e.data;
  const currency = d.currency as string;
  const lines = d.lines as unknown as PreparedLine[];
  const lineage = (d.lineage ?? {}) as {
    sourceEventIds?: string[];
    correlationIds?: string[];
    productMappingVersion?: number;
    accountMappingVersion?: number;
  };
  const byAccount = new Map<string, Dec>();
  let revenue = ZERO;
  for (const l of lines) {
    const signed = minus(dec(l.debit), dec(l.credit));
    byAccount.set(l.account, plus(byAccount.get(l.account) ?? ZERO, signed));
    // Revenue lines are the ones per performance obligation (src/posting/prepare.ts).
    if (l.dimensions.obligation !== undefined) revenue = minus(revenue, signed);
  }
  return {
    journalId: d.journalId as string,
    eventId: e.eventId,
    through: d.through as string,
    period: d.period as string,
    date: d.date as string,
    legalEntity: d.legalEntity as string,
    currency,
    status: 'prepared',
    attempts: 0,
    batchId: null,
    connector: null,
    erpDocumentId: null,
    rejection: null,
    supersedes: null,
    supersededBy: null,
    debit: formatMoney(sumMoney(lines.map((l) => dec(l.debit))), currency),
    credit: formatMoney(sumMoney(lines.map((l) => dec(l.credit))), currency),
    revenue: formatMoney(revenue, currency),
    accounts: amountsOf(byAccount, currency),
    sourceEventIds: lineage.sourceEventIds ?? [],
    correlationIds: lineage.correlationIds ?? [],
    productMappingVersion: lineage.productMappingVersion ?? 0,
    accountMappingVersion: lineage.accountMappingVersion ?? 0,
    submissions: [],
    preparedAt: e.metadata.receivedAt,
    updatedAt: e.metadata.receivedAt,
  };
}

/** What the event tells beyond the status fold: the submission, its batch and connector, and its answer. */
function annotate(j: PostingJournal, e: RecordedEvent): PostingJournal {
  const d = e.data;
  const at = e.metadata.receivedAt;
  if (e.type === 'JournalSubmitted') {
    const submission: PostingSubmission = {
      attempt: (d.attempt as number | undefined) ?? j.attempts,
      batchId: d.batchId as string,
      connector: d.connector as string,
      submittedAt: at,
      outcome: null,
      code: null,
    };
    return {
      ...j,
      batchId: submission.batchId,
      connector: submission.connector,
      submissions: [...j.submissions, submission],
      updatedAt: at,
    };
  }
  if (e.type === 'JournalPosted' || e.type === 'JournalRejected') {
    const last = j.submissions[j.submissions.length - 1];
    // An answer belongs to the submission before it; one recorded without a submission (an acknowledgement the ERP
    // sent later) changes the status only.
    const submissions =
      last && last.outcome === null
        ? [
            ...j.submissions.slice(0, -1),
            {
              ...last,
              outcome: e.type === 'JournalPosted' ? ('posted' as const) : ('rejected' as const),
              code: e.type === 'JournalRejected' ? (d.code as string) : null,
            },
          ]
        : j.submissions;
    return { ...j, connector: (d.connector as string | undefined) ?? j.connector, submissions, updatedAt: at };
  }
  return j;
}

function amountsOf(byAccount: ReadonlyMap<string, Dec>, currency: string | null): AccountAmounts {
  const out: AccountAmounts = {};
  for (const account of [...byAccount.keys()].sort()) out[account] = moneyIn(byAccount.get(account)!, currency);
  return out;
}

interface Totals {
  journaled: AccountAmounts;
  posted: AccountAmounts;
  rejected: AccountAmounts;
  journaledRevenue: string;
  postedRevenue: string;
  rejectedRevenue: string;
}

/** Refused by the ERP for good: its amounts are not journaled until it is re-prepared. */
const refused = (j: PostingJournal): boolean => j.status === 'rejected' && j.rejection?.retryable !== true;

/** Journaled (every journal that counts) and posted amounts of the journals with `through` up to the given period. */
function totalsOf(journals: readonly PostingJournal[], currency: string | null, through: string | null): Totals {
  const journaled = new Map<string, Dec>();
  const posted = new Map<string, Dec>();
  const rejected = new Map<string, Dec>();
  let journaledRevenue = ZERO;
  let postedRevenue = ZERO;
  let rejectedRevenue = ZERO;
  for (const j of journals) {
    if (j.status === 'superseded' || (through !== null && j.through > through)) continue;
    if (refused(j)) {
      for (const [account, amount] of Object.entries(j.accounts))
        rejected.set(account, plus(rejected.get(account) ?? ZERO, dec(amount)));
      rejectedRevenue = plus(rejectedRevenue, dec(j.revenue));
      continue;
    }
    const isPosted = j.status === 'posted';
    for (const [account, amount] of Object.entries(j.accounts)) {
      journaled.set(account, plus(journaled.get(account) ?? ZERO, dec(amount)));
      if (isPosted) posted.set(account, plus(posted.get(account) ?? ZERO, dec(amount)));
    }
    journaledRevenue = plus(journaledRevenue, dec(j.revenue));
    if (isPosted) postedRevenue = plus(postedRevenue, dec(j.revenue));
  }
  return {
    journaled: amountsOf(journaled, currency),
    posted: amountsOf(posted, currency),
    rejected: amountsOf(rejected, currency),
    journaledRevenue: moneyIn(journaledRevenue, currency),
    postedRevenue: moneyIn(postedRevenue, currency),
    rejectedRevenue: moneyIn(rejectedRevenue, currency),
  };
}

/** The totals a document keeps. */
function documentTotals(t: Totals): Omit<Totals, 'rejectedRevenue'> {
  const { rejectedRevenue: _r, ...rest } = t;
  return rest;
}

/**
 * Revenue billed through a period (all of it for null), excluding tax and net of credit memos: the bills that apply
 * (a bill held, its line or invoice not known yet, or rejected on apply is not billed), from the revenue schedule.
 */
function billedThrough(schedule: RevenueScheduleDoc | null, through: string | null): Dec {
  const bills = schedule ? appliedBilling(schedule) : [];
  return sumMoney(bills.filter((b) => through === null || monthOf(b.date) <= through).map((b) => dec(b.amount)));
}

/**
 * The document's totals (journaled, posted, counts) from its journals; `derive` for the runner, and for whoever folds
 * the events with `evolve` by hand (e.g. as-of queries).
 */
export function postingTotals(doc: PostingStatusDoc): PostingStatusDoc {
  const currency = doc.currency ?? doc.journals[0]?.currency ?? null;
  const counts = noCounts();
  for (const j of doc.journals) counts[j.status]++;
  return { ...doc, ...documentTotals(totalsOf(doc.journals, currency, null)), counts };
}

// ---- Reading: the joins the HTTP routes and GraphQL serve (src/audit/posting-status.ts reads their documents). ----

export interface ContractPostingStatus {
  contractId: string;
  legalEntity: string | null;
  customerId: string | null;
  currency: string | null;
  /**
   * The period the figures are taken through: the one asked for, else the latest one journaled, else the end of the
   * schedule (null when there is neither a journal nor a schedule).
   */
  through: string | null;
  /** Revenue billed (excluding tax, net of credit memos), recognised (revenue schedule), journaled, posted. */
  billed: string;
  recognised: string | null;
  journaled: string;
  posted: string;
  /** Journaled but not posted (yet): prepared, submitted, or refused retryably. */
  unposted: string;
  /** In journals the ERP refused for good, waiting for a re-preparation (not counted as journaled). */
  rejected: string;
  /** The revenue schedule's state: null when the contract has none yet. */
  scheduleStatus: string | null;
  accounts: { journaled: AccountAmounts; posted: AccountAmounts; rejected: AccountAmounts };
  counts: PostingStatusDoc['counts'];
  journals: PostingJournal[];
}

/** Joins a posting-status document with the contract's revenue-schedule document (either may be missing). */
export function joinPostingStatus(
  contractId: string,
  doc: PostingStatusDoc | null,
  schedule: RevenueScheduleDoc | null,
  options: { through?: string } = {},
): ContractPostingStatus {
  const posting = doc ?? postingStatus.initial(contractId);
  const balances = schedule?.balances ?? [];
  const currency = posting.currency ?? schedule?.schedule?.currency ?? posting.journals[0]?.currency ?? null;
  const counting = posting.journals.filter((j) => j.status !== 'superseded');
  const latestJournaled = counting.reduce<string | null>((m, j) => (m === null || j.through > m ? j.through : m), null);
  const through = options.through ?? latestJournaled ?? balances[balances.length - 1]?.period ?? null;
  const totals = totalsOf(posting.journals, currency, through);
  let recognised: string | null = null;
  if (schedule?.schedule && currency !== null) {
    const upTo = balances.filter((b) => through === null || b.period <= through);
    recognised = upTo[upTo.length - 1]?.recognisedToDate ?? formatMoney(ZERO, currency);
  }
  return {
    contractId,
    legalEntity: posting.legalEntity,
    customerId: posting.customerId,
    currency,
    through,
    billed: moneyIn(billedThrough(schedule, through), currency),
    recognised,
    journaled: totals.journaledRevenue,
    posted: totals.postedRevenue,
    unposted: moneyIn(minus(dec(totals.journaledRevenue), dec(totals.postedRevenue)), currency),
    rejected: totals.rejectedRevenue,
    scheduleStatus: schedule?.schedule?.status ?? null,
    accounts: { journaled: totals.journaled, posted: totals.posted, rejected: totals.rejected },
    counts: posting.counts,
    journals: posting.journals,
  };
}

export interface BatchJournal extends Pick<
  PostingJournal,
  | 'journalId'
  | 'through'
  | 'period'
  | 'date'
  | 'legalEntity'
  | 'currency'
  | 'erpDocumentId'
  | 'rejection'
  | 'debit'
  | 'credit'
> {
  contractId: string;
  /** Where the journal stands now (a later batch may have posted it). */
  status: JournalStatus;
  /** The last answer in this batch. */
  outcome: 'posted' | 'rejected' | null;
  code: string | null;
  /** Submissions in this batch, and in all. */
  attempts: number;
  totalAttempts: number;
  submissions: PostingSubmission[];
}

export interface BatchStatus {
  batchId: string;
  connectors: string[];
  contracts: number;
  firstSubmittedAt: string;
  lastSubmittedAt: string;
  /** Journals per current status, and per code of the rejections they stand at. */
  counts: PostingStatusDoc['counts'];
  rejections: { [code: string]: number };
  /** Contracts in key order, each one's journals in preparation order. */
  journals: BatchJournal[];
}

/** The journals one posting batch (a posting run) submitted; null for an unknown batch. */
export function batchOf(batchId: string, docs: readonly PostingStatusDoc[]): BatchStatus | null {
  const journals: BatchJournal[] = [];
  const contracts = new Set<string>();
  const connectors = new Set<string>();
  const counts = noCounts();
  const rejections: { [code: string]: number } = {};
  let first: string | null = null;
  let last: string | null = null;
  for (const doc of docs) {
    for (const j of doc.journals) {
      const mine = j.submissions.filter((s) => s.batchId === batchId);
      const end = mine[mine.length - 1];
      if (!end) continue;
      contracts.add(doc.contractId);
      for (const s of mine) {
        connectors.add(s.connector);
        if (first === null || s.submittedAt < first) first = s.submittedAt;
        if (last === null || s.submittedAt > last) last = s.submittedAt;
      }
      counts[j.status]++;
      if (j.status === 'rejected' && j.rejection)
        rejections[j.rejection.code] = (rejections[j.rejection.code] ?? 0) + 1;
      journals.push({
        contractId: doc.contractId,
        journalId: j.journalId,
        through: j.through,
        period: j.period,
        date: j.date,
        legalEntity: j.legalEntity,
        currency: j.currency,
        status: j.status,
        outcome: end.outcome,
        code: end.code,
        attempts: mine.length,
        totalAttempts: j.attempts,
        erpDocumentId: j.erpDocumentId,
        rejection: j.rejection,
        debit: j.debit,
        credit: j.credit,
        submissions: mine,
      });
    }
  }
  if (journals.length === 0 || first === null || last === null) return null;
  return {
    batchId,
    connectors: [...connectors].sort(),
    contracts: contracts.size,
    firstSubmittedAt: first,
    lastSubmittedAt: last,
    counts,
    rejections,
    journals,
  };
}
