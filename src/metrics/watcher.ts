// The read-model gauges — open exceptions (by kind and age bucket, oldest age, amount at stake), journals by status,
// and the close backlog — refreshed by a cheap periodic watcher rather than at scrape time, so a scrape never waits
// on a read of the stores and never costs more than formatting what is held. Each refresh reads:
// - the open exceptions, as the exceptions read model lists them (./exceptions.ts): dated and measured there;
// - one page (`pageSize` documents) of the posting-status read model, walking it in key order: a full pass takes
//   ceil(contracts / pageSize) refreshes, and the journal counts and close backlog are published when a pass ends
//   (so on a large store they are as fresh as the last pass, and a refresh's cost stays bounded);
// - the periods streams of the legal entities the pass saw (one small stream each), for the closed periods.
import type { ReadStore } from '../readmodel/index.js';
import type { EventStore } from '../store/index.js';
import type { PostingStatusDoc } from '../../projections/index.js';
import { evolvePeriods, initialPeriodsState, periodsStream } from '../../commands/period.js';
import { dec, monthEnd, plus } from '../revenue/index.js';
import type { Dec } from '../revenue/index.js';
import type { OpenException } from './exceptions.js';
import { METRIC_KINDS, codeLabel, currencyLabel } from './exceptions.js';
import {
  closeBacklog,
  closeOverdue,
  exceptionsAmount,
  exceptionsOldest,
  exceptionsOpen,
  exceptionsOverdue,
  journals,
  watcherLastRefresh,
  watcherRefreshes,
} from './families.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const JOURNAL_STATUSES = ['prepared', 'submitted', 'posted', 'rejected', 'superseded'] as const;

/** Age buckets of open exceptions (upper bounds, and the label each gets). */
const AGE_BUCKETS: readonly [number, string][] = [
  [HOUR_MS, '0-1h'],
  [DAY_MS, '1h-1d'],
  [7 * DAY_MS, '1d-7d'],
  [30 * DAY_MS, '7d-30d'],
  [Number.POSITIVE_INFINITY, '30d+'],
];

export const ageBucket = (ageMs: number): string => AGE_BUCKETS.find(([bound]) => ageMs < bound)![1];

export interface WatcherOptions {
  read: ReadStore;
  store: EventStore;
  now: () => Date;
  /** The active exceptions (./exceptions.ts `openExceptions`, bound to the exceptions reader's deps). */
  exceptions: () => Promise<OpenException[]>;
  /** Days after a period's end by which it should be closed (REVTRAIL_CLOSE_DAYS). */
  closeDays: number;
  /** Between refreshes (REVTRAIL_METRICS_REFRESH_MS). */
  refreshMs: number;
  /** Posting-status documents read per refresh (default 2000). */
  pageSize?: number;
  onError?: (err: unknown) => void;
}

interface Pass {
  afterKey: string | undefined;
  statuses: Map<string, number>;
  /** Legal entity -> periods holding a journal. */
  periods: Map<string, Set<string>>;
}

const newPass = (): Pass => ({ afterKey: undefined, statuses: new Map(), periods: new Map() });

export class ReadModelWatcher {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private pass: Pass = newPass();

  constructor(private readonly options: WatcherOptions) {}

  /**
   * Refreshes every `refreshMs` until stop(), the first time `refreshMs` after the start: a service that starts on a
   * large store serves first, and the gauges appear one interval later.
   */
  start(): void {
    const loop = (): void => {
      this.running = this.refresh()
        .catch((err: unknown) => {
          watcherRefreshes.inc({ outcome: 'failed' });
          this.options.onError?.(err);
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.options.refreshMs).unref();
        });
    };
    this.timer = setTimeout(loop, this.options.refreshMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One refresh: the exceptions, and one page of the journal pass (published when the pass ends). */
  async refresh(): Promise<void> {
    const now = this.options.now();
    this.publishExceptions(await this.options.exceptions(), now);
    const pageSize = this.options.pageSize ?? 2000;
    const page = await this.options.read.list('posting-status', {
      ...(this.pass.afterKey === undefined ? {} : { afterKey: this.pass.afterKey }),
      limit: pageSize,
    });
    for (const { key, doc } of page) {
      this.pass.afterKey = key;
      this.tally(doc as PostingStatusDoc);
    }
    if (page.length < pageSize) {
      const done = this.pass;
      this.pass = newPass();
      await this.publishPass(done, now);
    }
    watcherRefreshes.inc({ outcome: 'ok' });
  }

  private tally(doc: PostingStatusDoc): void {
    for (const j of doc.journals ?? []) {
      this.pass.statuses.set(j.status, (this.pass.statuses.get(j.status) ?? 0) + 1);
      if (j.status === 'superseded') continue;
      const periods = this.pass.periods.get(j.legalEntity) ?? new Set<string>();
      periods.add(j.period);
      this.pass.periods.set(j.legalEntity, periods);
    }
  }

  private publishExceptions(items: readonly OpenException[], now: Date): void {
    const counts = new Map<string, number>();
    const oldest = new Map<string, number>();
    const amounts = new Map<string, Dec>();
    const overdue = new Map<string, number>(METRIC_KINDS.map((kind) => [kind, 0]));
    for (const x of items) {
      const age = Math.max(0, now.getTime() - Date.parse(x.firstSeen));
      const bucket = JSON.stringify([x.kind, codeLabel(x.code), ageBucket(age)]);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      oldest.set(x.kind, Math.max(oldest.get(x.kind) ?? 0, age));
      if (x.overdue) overdue.set(x.kind, (overdue.get(x.kind) ?? 0) + 1);
      const currency = currencyLabel(x.currency);
      if (currency === null) continue;
      // The reader's amount is a decimal string in currency units ("500.00"), as formatMoney spells it.
      const money = JSON.stringify([x.kind, currency]);
      amounts.set(money, plus(amounts.get(money) ?? dec('0'), dec(x.amount)));
    }
    // Reset and set in one synchronous step: a scrape sees the previous refresh or this one, never half of it.
    exceptionsOpen.reset();
    exceptionsOldest.reset();
    exceptionsAmount.reset();
    exceptionsOverdue.reset();
    for (const [bucket, n] of counts) {
      const [kind, code, age_bucket] = JSON.parse(bucket) as [string, string, string];
      exceptionsOpen.set({ kind, code, age_bucket }, n);
    }
    for (const [kind, age] of oldest) exceptionsOldest.set({ kind }, age / 1000);
    for (const [kind, n] of overdue) exceptionsOverdue.set({ kind }, n);
    // Money becomes a float only here, at the exposition edge: Prometheus samples are doubles.
    for (const [money, amount] of amounts) {
      const [kind, currency] = JSON.parse(money) as [string, string];
      exceptionsAmount.set({ kind, currency }, amount.toNumber());
    }
  }

  private async publishPass(pass: Pass, now: Date): Promise<void> {
    const backlog = new Map<string, { periods: number; overdueMs: number }>();
    for (const [legalEntity, periods] of pass.periods) {
      let state = initialPeriodsState();
      for await (const e of this.options.store.readStream(periodsStream(legalEntity))) state = evolvePeriods(state, e);
      const entry = { periods: 0, overdueMs: 0 };
      for (const period of periods) {
        if (state.closed.has(period)) continue;
        const due = Date.parse(`${monthEnd(period)}T00:00:00Z`) + (1 + this.options.closeDays) * DAY_MS;
        if (now.getTime() <= due) continue;
        entry.periods++;
        entry.overdueMs = Math.max(entry.overdueMs, now.getTime() - due);
      }
      backlog.set(legalEntity, entry);
    }
    journals.reset();
    for (const status of JOURNAL_STATUSES) journals.set({ status }, pass.statuses.get(status) ?? 0);
    closeBacklog.reset();
    closeOverdue.reset();
    for (const [legal_entity, entry] of backlog) {
      closeBacklog.set({ legal_entity }, entry.periods);
      closeOverdue.set({ legal_entity }, entry.overdueMs / 1000);
    }
    watcherLastRefresh.set(now.getTime() / 1000);
  }
}
