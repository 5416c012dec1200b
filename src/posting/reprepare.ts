// The explicit re-preparation of journals the ERP refused (docs/posting.md), once the cause is
// fixed. Revtrail cannot know when an ERP period opens or a chart gains an account, so nothing re-prepares a refused
// journal by itself: an accountant asks for it, for one journal or for every refused journal (of a legal entity).
// What it becomes depends on why it was refused:
// - PERIOD_CLOSED: the same lines and lineage, dated at the end of the first period after the refused one that
//   Revtrail has not closed (or the period asked for), superseding the refused journal;
// - UNKNOWN_ACCOUNT, UNBALANCED: what the contract lacks without it, prepared under the mappings in force now (so a
//   corrected account mapping is used), in the refused journal's period (or the period asked for), superseding it;
// - CONNECTOR_ERROR, CONNECTOR_UNAVAILABLE: reopened as it is, same journal id, so the ERP's idempotency finds a
//   document an earlier attempt may have written instead of posting a second one.
// The next posting run submits them.
import type { JournalState } from '../../commands/journal.js';
import {
  CONNECTOR_CODES,
  decideReopen,
  decideReplace,
  decideReprepare,
  evolveJournals,
  initialJournalState,
  journaledLinesWithout,
} from '../../commands/journal.js';
import { contractStream } from '../../commands/contract.js';
import type { RevenueScheduleDoc } from '../../projections/index.js';
import { revenueSchedule } from '../../projections/index.js';
import { decideOnStream } from '../handling/index.js';
import { monthEnd, nextMonth } from '../revenue/index.js';
import type { DomainError, ErrorCode, JsonObject, ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import type { EventStore } from '../store/index.js';
import type { PostingMappings } from './inputs.js';
import { closedPeriodsReader, noteCorrelationId, postingMappings, prepareBaseOf } from './inputs.js';
import type { JournalLineage, PreparedJournal } from '../../schemas/index.js';
import { prepareJournal } from './prepare.js';

export interface ReprepareOptions {
  /** The journals to re-prepare; absent: every journal the ERP's latest answer refused. */
  journalIds?: readonly string[];
  /** Only journals of this legal entity. */
  legalEntity?: string;
  /**
   * The period (YYYY-MM) to date them in; absent: for PERIOD_CLOSED the first period after the refused one that
   * Revtrail has not closed, for the other codes the refused journal's own period (or the first open one after it).
   */
  into?: string;
  now?: () => Date;
  actor?: string;
  /** The correlation id of the request re-preparing them, recorded on the events it appends. */
  correlationId?: string;
}

export interface RepreparedJournal {
  contractId: string;
  /** The refusal it answers. */
  code: string;
  /** redated: same lines in a later period; replaced: prepared anew under today's mappings; reopened: same journal. */
  action: 'redated' | 'replaced' | 'reopened';
  /** The refused journal. */
  supersedes: string;
  journalId: string;
  period: string;
  date: string;
}

export interface ReprepareResult {
  reprepared: RepreparedJournal[];
  /** Journals asked for by id that were not re-prepared, with the reason. */
  refused: { journalId: string; code: ErrorCode; message: string }[];
}

/** Contract of every journal the ERP ever refused (found through a server-side filter on the log). */
async function refusedJournals(store: EventStore): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const e of store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['JournalRejected'] },
  }))
    found.set(e.data.journalId as string, e.data.contractId as string);
  return found;
}

/** A contract's stream as re-preparation decides on it: its schedule, its journals, the refused journal's record. */
interface ContractState {
  doc: RevenueScheduleDoc;
  journals: JournalState;
  prepared: JsonObject | null;
  /** The correlation id of each event that carries one: a replacement carries its sources' ids as a journal does. */
  correlationIds: Map<string, string>;
}

type Decision = { event?: ProposedEvent; skip?: string; code?: ErrorCode; period?: string };

/** The event re-preparing `journalId` on the contract's current state, or why there is none. */
function decideOn(
  state: ContractState,
  journalId: string,
  mappings: PostingMappings,
  periodFor: (code: string, refusedIn: string) => string,
  ctx: { receivedAt: string; actor: string; correlationId: string | null },
): Decision {
  const j = state.journals.journals.get(journalId);
  // Asked again (a retry, or a second accountant): the journal is already superseded, reopened or posted.
  if (!j || j.status !== 'rejected' || !j.rejection || !state.prepared)
    return { skip: `journal ${journalId} is ${j?.status ?? 'unknown'}, not refused by the ERP` };
  const code = j.rejection.code;
  const answer = (event: ProposedEvent | DomainError, period?: string): Decision =>
    'eventId' in event ? { event, ...(period ? { period } : {}) } : { skip: event.message, code: event.code };
  if (CONNECTOR_CODES.includes(code))
    return answer(decideReopen(state.journals, journalId, `re-prepared after ${code}`, ctx));
  const period = periodFor(code, j.period);
  if (code === 'PERIOD_CLOSED') {
    const journal: Omit<PreparedJournal, 'period' | 'date'> = {
      contractId: state.journals.contractId,
      legalEntity: j.legalEntity,
      currency: j.currency,
      through: j.through,
      lines: [],
      lineage: state.prepared.lineage as unknown as JournalLineage,
    };
    return answer(decideReprepare(state.journals, journalId, period, monthEnd(period), ctx, journal), period);
  }
  const base = prepareBaseOf(mappings, state.doc);
  if (!base)
    return { skip: `contract ${state.journals.contractId} cannot be journaled now`, code: 'JOURNAL_NOT_SUBMITTABLE' };
  // Through the latest period journaled: later journals were prepared counting the refused one's amounts.
  const through = [...state.journals.journals.values()]
    .filter((x) => x.status !== 'superseded')
    .reduce((m, x) => (x.through > m ? x.through : m), j.through);
  const prepared = prepareJournal({
    ...base,
    journaled: journaledLinesWithout(state.journals, journalId),
    through,
    postIn: period,
    correlationIds: state.correlationIds,
  });
  return answer(decideReplace(state.journals, journalId, prepared, ctx), period);
}

export async function reprepareJournals(store: EventStore, options: ReprepareOptions = {}): Promise<ReprepareResult> {
  const now = options.now ?? (() => new Date());
  const ctx = () => ({
    receivedAt: now().toISOString(),
    actor: options.actor ?? 'reprepare',
    correlationId: options.correlationId ?? null,
  });
  const result: ReprepareResult = { reprepared: [], refused: [] };
  const candidates = await refusedJournals(store);
  const wanted = options.journalIds ? new Set(options.journalIds) : null;
  for (const id of wanted ?? []) {
    if (!candidates.has(id))
      result.refused.push({
        journalId: id,
        code: 'JOURNAL_NOT_SUBMITTABLE',
        message: `journal ${id} was never refused by the ERP (or does not exist)`,
      });
  }
  const closedIn = closedPeriodsReader(store);
  const mappings = await postingMappings(store);

  for (const [journalId, contractId] of candidates) {
    if (wanted && !wanted.has(journalId)) continue;
    const stream = contractStream(contractId);
    let legalEntity: string | null = null;
    for await (const e of store.readStream(stream)) {
      if (e.type === 'JournalPrepared' && e.data.journalId === journalId) legalEntity = e.data.legalEntity as string;
    }
    if (legalEntity === null) continue;
    if (options.legalEntity && options.legalEntity !== legalEntity) continue;
    const closed = await closedIn(legalEntity);
    const refuse = (code: ErrorCode, message: string) => result.refused.push({ journalId, code, message });
    const periodFor = (code: string, refusedIn: string): string => {
      if (options.into !== undefined) return options.into;
      let period = code === 'PERIOD_CLOSED' ? nextMonth(refusedIn) : refusedIn;
      while (closed.has(period)) period = nextMonth(period);
      return period;
    };
    const evolve = (s: ContractState, e: RecordedEvent): ContractState => {
      noteCorrelationId(s.correlationIds, e);
      return {
        doc: revenueSchedule.evolve(s.doc, e, mappings.products),
        journals: evolveJournals(s.journals, e),
        prepared: e.type === 'JournalPrepared' && e.data.journalId === journalId ? e.data : s.prepared,
        correlationIds: s.correlationIds,
      };
    };
    const initial: ContractState = {
      doc: revenueSchedule.initial(contractId),
      journals: initialJournalState(contractId),
      prepared: null,
      correlationIds: new Map(),
    };
    const { state, decision } = await decideOnStream(store, stream, initial, evolve, (s): Decision => {
      const d = decideOn(s, journalId, mappings, periodFor, ctx());
      if (!d.event || d.period === undefined) return d;
      // The checks on the period asked for come before anything is appended.
      const refusedIn = s.journals.journals.get(journalId)!;
      if (closed.has(d.period))
        return { skip: `${legalEntity} ${d.period} is closed in Revtrail`, code: 'PERIOD_CLOSED_IN_REVTRAIL' };
      if (refusedIn.rejection?.code === 'PERIOD_CLOSED' && d.period <= refusedIn.period)
        return {
          skip: `${d.period} is not after ${refusedIn.period}, the period the ERP refused`,
          code: 'PERIOD_NOT_LATER',
        };
      return d;
    });
    const j = state.journals.journals.get(journalId);
    if (decision.event) {
      const reopened = decision.event.type === 'JournalReopened';
      const code = j?.rejection?.code ?? '';
      result.reprepared.push({
        contractId,
        code,
        action: reopened ? 'reopened' : code === 'PERIOD_CLOSED' ? 'redated' : 'replaced',
        supersedes: journalId,
        journalId: decision.event.data.journalId as string,
        period: reopened ? j!.period : (decision.event.data.period as string),
        date: reopened ? j!.date : (decision.event.data.date as string),
      });
    } else if (wanted || decision.code === 'PERIOD_CLOSED_IN_REVTRAIL' || decision.code === 'PERIOD_NOT_LATER') {
      refuse(decision.code ?? 'JOURNAL_NOT_SUBMITTABLE', decision.skip ?? `journal ${journalId} cannot be re-prepared`);
    }
  }
  return result;
}
