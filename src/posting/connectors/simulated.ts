// An in-process ERP for unit tests and the demo: it keeps the connector contract (idempotent by journal id, coded
// rejections) and lets a test script the failures a real ERP produces: an outage, a response lost after the ERP
// committed, closed periods, an unknown account, latency.
import { setTimeout as sleep } from 'node:timers/promises';
import { assertWellFormed, imbalanceOf, rejected } from './types.js';
import type { Connector, JournalSubmission } from './types.js';
import type { SubmitOutcome } from '../../../schemas/index.js';

export interface SimulatedOptions {
  /** Every call waits this long before answering, like a round trip to a remote ERP. */
  latencyMs?: number;
  /** Periods (YYYY-MM) closed from the start; see also closePeriod. */
  closedPeriods?: Iterable<string>;
  /** The ERP's chart of account codes; absent, every code is known. */
  accounts?: Iterable<string>;
}

export interface SimulatedDocument {
  erpDocumentId: string;
  journal: JournalSubmission;
}

export class SimulatedConnector implements Connector {
  readonly name = 'simulated';
  private readonly latencyMs: number;
  private readonly closedPeriods: Set<string>;
  private readonly accounts: Set<string> | null;
  private readonly byJournalId = new Map<string, SimulatedDocument>();
  private readonly posted: SimulatedDocument[] = [];
  private outages = 0;
  private lostResponses = 0;
  private closed = false;
  /** Calls to submit, whatever they answered. */
  submissions = 0;

  constructor(options: SimulatedOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.closedPeriods = new Set(options.closedPeriods);
    this.accounts = options.accounts ? new Set(options.accounts) : null;
  }

  /** The next `n` submissions find the ERP down: CONNECTOR_UNAVAILABLE, nothing posted. */
  failNext(n: number): void {
    this.outages += n;
  }

  /**
   * The next `n` submissions post, but their answer is lost on the way back (a timeout after the ERP committed):
   * the caller sees CONNECTOR_UNAVAILABLE, and its retry must find the document instead of posting a second one.
   */
  loseNextResponses(n: number): void {
    this.lostResponses += n;
  }

  /** Adds an account code to the chart (a chart given at construction; without one every code is known). */
  addAccount(code: string): void {
    this.accounts?.add(code);
  }

  closePeriod(period: string): void {
    this.closedPeriods.add(period);
  }

  reopenPeriod(period: string): void {
    this.closedPeriods.delete(period);
  }

  /** The posted documents, in posting order. */
  documents(): readonly SimulatedDocument[] {
    return this.posted;
  }

  async submit(journal: JournalSubmission): Promise<SubmitOutcome> {
    this.assertOpen();
    assertWellFormed(journal);
    this.submissions += 1;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    // From here to the end nothing awaits, so concurrent submissions of one journal id cannot both post it.
    if (this.outages > 0) {
      this.outages -= 1;
      return rejected('CONNECTOR_UNAVAILABLE', 'simulated ERP outage');
    }
    const existing = this.byJournalId.get(journal.journalId);
    if (existing) return { status: 'posted', erpDocumentId: existing.erpDocumentId, alreadyPosted: true };
    const unknown = this.accounts ? journal.lines.find((l) => !this.accounts?.has(l.account)) : undefined;
    if (unknown) return rejected('UNKNOWN_ACCOUNT', `account ${unknown.account} is not in the simulated chart`);
    if (this.closedPeriods.has(journal.period)) return rejected('PERIOD_CLOSED', `period ${journal.period} is closed`);
    const imbalance = imbalanceOf(journal.lines);
    if (!imbalance.isZero()) {
      return rejected('UNBALANCED', `debits minus credits is ${imbalance.toFixed()}, not zero`);
    }
    const doc: SimulatedDocument = {
      erpDocumentId: `SIM-${String(this.posted.length + 1).padStart(6, '0')}`,
      journal: structuredClone(journal),
    };
    this.byJournalId.set(journal.journalId, doc);
    this.posted.push(doc);
    if (this.lostResponses > 0) {
      this.lostResponses -= 1;
      return rejected('CONNECTOR_UNAVAILABLE', 'simulated ERP: the answer was lost after posting');
    }
    return { status: 'posted', erpDocumentId: doc.erpDocumentId, alreadyPosted: false };
  }

  async find(journalId: string): Promise<string | null> {
    this.assertOpen();
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    return this.byJournalId.get(journalId)?.erpDocumentId ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('simulated connector: used after close()');
  }
}
