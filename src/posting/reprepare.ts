// The explicit re-preparation of journals the ERP refused because their period is closed there (issue 5, DESIGN.md
// "Journals and ERP posting"). Revtrail cannot know which ERP periods are open, so nothing re-dates a journal by
// itself: an accountant asks for it, for one journal or for every such journal of a legal entity. The new journal
// has the same lines and lineage, is dated at the end of the first period after the refused one that Revtrail has
// not closed (or the period asked for), and supersedes the refused one; the next posting run submits it.
import type { JournalState } from '../../commands/journal.js';
import { decideReprepare, evolveJournals, initialJournalState } from '../../commands/journal.js';
import { contractStream } from '../../commands/contract.js';
import { decideOnStream } from '../ingest/index.js';
import { monthEnd, nextMonth } from '../revenue/index.js';
import type { ErrorCode } from '../../schemas/index.js';
import type { EventStore, JsonObject, ProposedEvent } from '../store/index.js';
import { closedPeriodsReader } from './inputs.js';
import type { JournalLineage, PreparedJournal } from './prepare.js';

export interface ReprepareOptions {
  /** The journals to re-prepare; absent: every journal whose latest answer is PERIOD_CLOSED. */
  journalIds?: readonly string[];
  /** Only journals of this legal entity. */
  legalEntity?: string;
  /** The period (YYYY-MM) to date them in; absent: the first period after the refused one Revtrail has not closed. */
  into?: string;
  now?: () => Date;
  actor?: string;
}

export interface RepreparedJournal {
  contractId: string;
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

/** Contract of every journal with a PERIOD_CLOSED rejection (found through a server-side filter on the log). */
async function periodClosedJournals(store: EventStore): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const e of store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['JournalRejected'] },
  })) {
    if (e.data.code === 'PERIOD_CLOSED') found.set(e.data.journalId as string, e.data.contractId as string);
  }
  return found;
}

export async function reprepareJournals(store: EventStore, options: ReprepareOptions = {}): Promise<ReprepareResult> {
  const now = options.now ?? (() => new Date());
  const ctx = () => ({ receivedAt: now().toISOString(), actor: options.actor ?? 'reprepare' });
  const result: ReprepareResult = { reprepared: [], refused: [] };
  const candidates = await periodClosedJournals(store);
  const wanted = options.journalIds ? new Set(options.journalIds) : null;
  for (const id of wanted ?? []) {
    if (!candidates.has(id))
      result.refused.push({
        journalId: id,
        code: 'JOURNAL_NOT_SUBMITTABLE',
        message: `journal ${id} was never refused PERIOD_CLOSED by the ERP (or does not exist)`,
      });
  }
  const closedIn = closedPeriodsReader(store);

  for (const [journalId, contractId] of candidates) {
    if (wanted && !wanted.has(journalId)) continue;
    const stream = contractStream(contractId);
    // The refused journal's own record: its lineage travels with the lines into the new journal.
    let prepared: JsonObject | null = null;
    for await (const e of store.readStream(stream)) {
      if (e.type === 'JournalPrepared' && e.data.journalId === journalId) prepared = e.data;
    }
    if (!prepared) continue;
    const legalEntity = prepared.legalEntity as string;
    if (options.legalEntity && options.legalEntity !== legalEntity) continue;
    const closed = await closedIn(legalEntity);
    let period = options.into ?? nextMonth(prepared.period as string);
    if (options.into === undefined) while (closed.has(period)) period = nextMonth(period);
    const refuse = (code: ErrorCode, message: string) => result.refused.push({ journalId, code, message });
    if (closed.has(period)) {
      refuse('PERIOD_CLOSED_IN_REVTRAIL', `${legalEntity} ${period} is closed in Revtrail`);
      continue;
    }
    if (period <= (prepared.period as string)) {
      refuse('PERIOD_NOT_LATER', `${period} is not after ${prepared.period as string}, the period the ERP refused`);
      continue;
    }
    const journal: Omit<PreparedJournal, 'period' | 'date'> = {
      contractId,
      legalEntity,
      currency: prepared.currency as string,
      through: prepared.through as string,
      lines: [],
      lineage: prepared.lineage as unknown as JournalLineage,
    };
    const { decision } = await decideOnStream(
      store,
      stream,
      initialJournalState(contractId),
      evolveJournals,
      (state: JournalState): { event?: ProposedEvent; skip?: string } => {
        const j = state.journals.get(journalId);
        // Asked again (a retry, or a second accountant): the journal is already superseded, or was since posted.
        if (!j || j.status !== 'rejected' || j.rejection?.code !== 'PERIOD_CLOSED')
          return { skip: `journal ${journalId} is ${j?.status ?? 'unknown'}, not refused PERIOD_CLOSED` };
        const event = decideReprepare(state, journalId, period, monthEnd(period), ctx(), journal);
        return 'eventId' in event ? { event } : { skip: event.message };
      },
    );
    if (decision.event) {
      result.reprepared.push({
        contractId,
        supersedes: journalId,
        journalId: decision.event.data.journalId as string,
        period,
        date: monthEnd(period),
      });
    } else if (wanted) {
      refuse('JOURNAL_NOT_SUBMITTABLE', decision.skip ?? `journal ${journalId} cannot be re-prepared`);
    }
  }
  return result;
}
