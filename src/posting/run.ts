// A posting run: for every contract (of one legal entity, or all), prepare what its balances through the period
// still lack as a journal in its stream, then submit every journal not yet posted to the ERP connector in
// micro-batches, retrying retryable failures with backoff. Each step is an event appended with an expected revision
// (decideOnStream), and each event id derives from the journal id and the step, so a run killed anywhere and run
// again continues where it stopped: nothing is prepared twice, and the connector's idempotency by journal id makes a
// resubmission find the ERP document instead of creating a second one.
import type { JournalState } from '../../commands/journal.js';
import {
  decideOutcome,
  decidePrepare,
  decideSubmitted,
  evolveJournals,
  initialJournalState,
  journaledLines,
} from '../../commands/journal.js';
import { contractStream } from '../../commands/contract.js';
import { evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import type { ProductsInForce, RevenueScheduleDoc } from '../../projections/index.js';
import { revenueSchedule } from '../../projections/index.js';
import { decideOnStream } from '../ingest/index.js';
import { nextMonth } from '../revenue/index.js';
import type { EventStore, JsonObject, ProposedEvent, RecordedEvent } from '../store/index.js';
import { eventIdFor } from '../store/index.js';
import type { Connector, SubmitOutcome } from './connectors/index.js';
import type { EntityAccounts } from './prepare.js';
import { prepareJournal } from './prepare.js';

export interface PostingRunOptions {
  period: string;
  legalEntity?: string;
  connector: Connector;
  /** Journals submitted concurrently. */
  batchSize?: number;
  /** Attempts per journal in this run for retryable failures (CONNECTOR_UNAVAILABLE). */
  maxAttempts?: number;
  backoffMs?: number;
  now?: () => Date;
  actor?: string;
}

export interface PostingRunSummary {
  runId: string;
  period: string;
  contracts: number;
  prepared: number;
  posted: number;
  rejected: Record<string, number>;
  /** Still failing retryably after the run's attempts: the next run tries them again. */
  retrying: number;
}

interface ContractView {
  schedule: RevenueScheduleDoc;
  journals: JournalState;
  legalEntity: string | null;
}

async function latest(store: EventStore, stream: string): Promise<RecordedEvent | null> {
  for await (const e of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) return e;
  return null;
}

/** The mapping in force, folded the way the revenue-schedule projection folds it. */
async function productsInForce(store: EventStore): Promise<ProductsInForce> {
  const shared = revenueSchedule.shared!;
  let state = shared.initial();
  for await (const e of store.readStream('mapping-products')) state = shared.evolve(state, e);
  return state;
}

function viewOf(contractId: string, events: RecordedEvent[], products: ProductsInForce): ContractView {
  let schedule = revenueSchedule.initial(contractId);
  let journals = initialJournalState(contractId);
  for (const e of events) {
    schedule = revenueSchedule.evolve(schedule, e, products);
    journals = evolveJournals(journals, e);
  }
  const booked = schedule.facts.find((f) => f.type === 'ContractBooked');
  return {
    schedule: revenueSchedule.derive!(schedule, products),
    journals,
    legalEntity: (booked?.data.legalEntity as string | undefined) ?? null,
  };
}

export async function postingRun(store: EventStore, options: PostingRunOptions): Promise<PostingRunSummary> {
  const now = options.now ?? (() => new Date());
  const ctx = () => ({ receivedAt: now().toISOString(), actor: options.actor ?? 'posting-run' });
  const runId = eventIdFor(`posting-run|${options.period}|${options.legalEntity ?? '*'}|${now().toISOString()}`);
  const products = await productsInForce(store);
  const accountsEvent = await latest(store, 'mapping-accounts');
  const entities = new Map(
    ((accountsEvent?.data.entities as JsonObject[] | undefined) ?? []).map((x) => [
      x.legalEntity as string,
      x.accounts as unknown as EntityAccounts,
    ]),
  );
  const accountVersion = (accountsEvent?.data.version as number | undefined) ?? 0;
  const closedCache = new Map<string, Set<string>>();
  const closedIn = async (le: string): Promise<Set<string>> => {
    let closed = closedCache.get(le);
    if (!closed) {
      let s = initialPeriodsState();
      for await (const e of store.readStream(periodsStream(le))) s = evolvePeriods(s, e);
      closed = s.closed;
      closedCache.set(le, closed);
    }
    return closed;
  };

  const contracts: string[] = [];
  for await (const e of store.readAll({
    filter: { streamPrefixes: ['contract-'], eventTypePrefixes: ['ContractBooked'] },
  }))
    contracts.push(e.data.contractId as string);

  const summary: PostingRunSummary = {
    runId,
    period: options.period,
    contracts: 0,
    prepared: 0,
    posted: 0,
    rejected: {},
    retrying: 0,
  };
  const pending: { contractId: string; journalId: string; legalEntity: string }[] = [];

  for (const contractId of contracts) {
    const stream = contractStream(contractId);
    // The period to post in: the run's period, or the first open one after it when Revtrail has closed it.
    const events: RecordedEvent[] = [];
    for await (const e of store.readStream(stream)) events.push(e);
    const view = viewOf(contractId, events, products);
    const le = view.legalEntity;
    const accounts = le === null ? undefined : entities.get(le);
    const schedule = view.schedule.schedule;
    if (!le || !accounts || !schedule || schedule.currency === null || schedule.status === 'exception') continue;
    if (options.legalEntity && options.legalEntity !== le) continue;
    summary.contracts++;
    const closed = await closedIn(le);
    let postIn = options.period;
    while (closed.has(postIn)) postIn = nextMonth(postIn);
    const booking = view.schedule.facts.find((f) => f.type === 'ContractBooked')!.data;
    const revenueOf = (sku: string): string =>
      ((products.products[sku]?.mapping.accounts as JsonObject | undefined)?.revenue as string | undefined) ??
      accounts.revenue;
    const { decision } = await decideOnStream(
      store,
      stream,
      initialJournalState(contractId),
      evolveJournals,
      (journals): { event?: ProposedEvent } => {
        const journal = prepareJournal({
          contract: {
            contractId,
            legalEntity: le,
            customerId: booking.customerId as string,
            currency: schedule.currency!,
          },
          schedule,
          billing: view.schedule.billing,
          accounts,
          revenueAccountOf: revenueOf,
          journaled: journaledLines(journals),
          through: options.period,
          postIn,
          accountMappingVersion: accountVersion,
        });
        const event = decidePrepare(journals, journal, ctx());
        return event ? { event } : {};
      },
    );
    if (decision.event) summary.prepared++;
    // Every journal of the contract not yet posted (this run's, and any an earlier run left behind).
    const journals = (await decideOnStream(store, stream, initialJournalState(contractId), evolveJournals, () => ({})))
      .state;
    for (const j of journals.journals.values()) {
      if (j.status === 'prepared' || j.status === 'submitted' || (j.status === 'rejected' && j.rejection?.retryable))
        pending.push({ contractId, journalId: j.journalId, legalEntity: le });
    }
  }

  const batchSize = options.batchSize ?? 50;
  for (let i = 0; i < pending.length; i += batchSize) {
    await Promise.all(
      pending.slice(i, i + batchSize).map((p) => submitJournal(store, options, p, runId, ctx, summary)),
    );
  }
  return summary;
}

async function submitJournal(
  store: EventStore,
  options: PostingRunOptions,
  p: { contractId: string; journalId: string; legalEntity: string },
  runId: string,
  ctx: () => { receivedAt: string; actor: string },
  summary: PostingRunSummary,
): Promise<void> {
  const stream = contractStream(p.contractId);
  const connector = options.connector;
  const maxAttempts = options.maxAttempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    const { state } = await decideOnStream(store, stream, initialJournalState(p.contractId), evolveJournals, (s) => {
      const submitted = decideSubmitted(s, p.journalId, { batchId: runId, connector: connector.name }, ctx());
      return 'eventId' in submitted ? { event: submitted } : {};
    });
    const j = state.journals.get(p.journalId)!;
    const outcome: SubmitOutcome = await connector.submit({
      journalId: j.journalId,
      legalEntity: p.legalEntity,
      currency: j.currency,
      date: j.date,
      period: j.period,
      description: `${p.contractId} through ${j.through}`,
      lines: j.lines,
    });
    await decideOnStream(store, stream, initialJournalState(p.contractId), evolveJournals, (s) => {
      const event = decideOutcome(s, p.journalId, outcome, connector.name, ctx());
      return event ? { event } : {};
    });
    if (outcome.status === 'posted') {
      summary.posted++;
      return;
    }
    if (!outcome.retryable || attempt >= maxAttempts) {
      if (outcome.retryable) summary.retrying++;
      else summary.rejected[outcome.code] = (summary.rejected[outcome.code] ?? 0) + 1;
      return;
    }
    await new Promise((r) => setTimeout(r, (options.backoffMs ?? 200) * 2 ** (attempt - 1)));
  }
}
