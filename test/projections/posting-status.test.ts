// posting-status: given / when / then over the pure fold (journal events from the journal commands themselves), then
// real posting runs against the simulated ERP over an SQLite event store and read store on disk: statuses, attempts,
// batches, rejections, and totals that agree with what the ERP holds and with the revenue schedule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideOutcome, decidePrepare, decideReprepare, decideSubmitted } from '../../commands/journal.js';
import type { JournalState } from '../../commands/journal.js';
import { evolveJournals, initialJournalState } from '../../commands/journal.js';
import {
  PROJECTIONS,
  joinPostingStatus,
  postingStatus,
  postingTotals,
  revenueSchedule,
} from '../../projections/index.js';
import type { ProductsInForce } from '../../projections/index.js';
import type { PostingStatusDoc, RevenueScheduleDoc } from '../../projections/index.js';
import type { DomainError, JsonObject, ProposedEvent, RecordedEvent } from '../../schemas/index.js';
import { batchStatus, contractPostingStatus } from '../../src/audit/index.js';
import { seedDemo } from '../../src/demo/index.js';
import type { PreparedJournal, PostingRunSummary } from '../../src/posting/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { dec, formatMoney, sumMoney } from '../../src/revenue/index.js';
import { ProjectionRunner, rebuild } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';

describe('posting-status (pure)', () => {
  let seq = 0;
  const recorded = (type: string, data: JsonObject, eventId?: string, receivedAt = '2026-03-01T00:00:00Z') => {
    seq++;
    return {
      eventId: eventId ?? `e${seq}`,
      type,
      data: { contractId: 'C-1', ...data },
      metadata: { schemaVersion: 1, receivedAt, contentHash: 'h', prevHash: 'p', source: null },
      streamId: 'contract-C-1',
      revision: seq,
      position: { commit: BigInt(seq), prepare: BigInt(seq) },
      recordedAt: receivedAt,
    } satisfies RecordedEvent;
  };
  const of = (p: ProposedEvent): RecordedEvent => recorded(p.type, p.data, p.eventId, p.metadata.receivedAt);
  const ok = (x: ProposedEvent | DomainError | null): ProposedEvent => {
    if (x === null || !('eventId' in x)) throw new Error(`unexpected ${JSON.stringify(x)}`);
    return x;
  };
  const ctx = { receivedAt: '2026-03-01T00:00:00Z', actor: 'posting-run' };
  const journal = (through: string, revenue = '100.00'): PreparedJournal => ({
    contractId: 'C-1',
    legalEntity: 'US01',
    currency: 'USD',
    through,
    period: through,
    date: `${through}-28`,
    lines: [
      { account: '2400', debit: revenue, credit: '0.00', description: 'd', dimensions: { contractId: 'C-1' } },
      {
        account: '4000',
        debit: '0.00',
        credit: revenue,
        description: 'd',
        dimensions: { contractId: 'C-1', sku: 'SUP', obligation: 'L1' },
      },
    ],
    lineage: { sourceEventIds: ['inv-1'], scheduleLines: [], productMappingVersion: 2, accountMappingVersion: 1 },
  });

  /** Folds the events into the document and the command side's journal state alike, as the stream would. */
  class Given {
    doc: PostingStatusDoc = postingStatus.initial('C-1');
    state: JournalState = initialJournalState('C-1');
    constructor(...events: RecordedEvent[]) {
      for (const e of events) this.apply(e);
    }
    apply(e: RecordedEvent | ProposedEvent): this {
      const r = 'streamId' in e ? e : of(e);
      expect(postingStatus.keyOf(r)).toBe('C-1');
      // As the runner does after a batch: the totals are derived from the folded bills and journals.
      this.doc = postingTotals(postingStatus.evolve(this.doc, r, {}));
      this.state = evolveJournals(this.state, r);
      return this;
    }
    prepare(j: PreparedJournal): string {
      const p = ok(decidePrepare(this.state, j, ctx));
      this.apply(p);
      return p.data.journalId as string;
    }
    submit(journalId: string, batchId: string): this {
      return this.apply(ok(decideSubmitted(this.state, journalId, { batchId, connector: 'simulated' }, ctx)));
    }
    answer(journalId: string, outcome: Parameters<typeof decideOutcome>[2]): this {
      return this.apply(ok(decideOutcome(this.state, journalId, outcome, 'simulated', ctx)));
    }
  }
  const NO_PRODUCTS: ProductsInForce = { version: 0, products: {} };
  const booked = recorded('ContractBooked', {
    version: 1,
    customerId: 'K',
    legalEntity: 'US01',
    currency: 'USD',
    bookingDate: '2026-01-01',
    lines: [{ lineId: 'L1', sku: 'SUP', quantity: '1', amount: '1200.00' }],
  });
  const outage = { status: 'rejected', code: 'CONNECTOR_UNAVAILABLE', retryable: true, message: 'down' } as const;
  const closed = { status: 'rejected', code: 'PERIOD_CLOSED', retryable: false, message: 'closed' } as const;
  const posted = (erpDocumentId: string) => ({ status: 'posted', erpDocumentId, alreadyPosted: false }) as const;

  it('billed comes from the revenue schedule: excluding tax, net of credit memos, bills that apply only', () => {
    const events = [
      recorded('InvoiceIssued', {
        invoiceId: 'I1',
        invoiceDate: '2026-01-31',
        lines: [{ lineId: 'L1', amount: '1000' }],
      }),
      booked,
      recorded('InvoiceIssued', {
        invoiceId: 'I2',
        invoiceDate: '2026-02-28',
        lines: [{ lineId: 'L1', amount: '500.00' }],
        taxAmount: '50.00',
      }),
      recorded('CreditMemoIssued', {
        creditMemoId: 'CM1',
        issuedOn: '2026-02-10',
        lines: [{ lineId: 'L1', amount: '120.50' }],
        reducesTransactionPrice: false,
      }),
      // Held: line L9 is in no version of the contract, so it is not billed.
      recorded('InvoiceIssued', {
        invoiceId: 'I3',
        invoiceDate: '2026-02-28',
        lines: [{ lineId: 'L9', amount: '999.00' }],
      }),
    ];
    // An invoice or a credit memo leaves the posting-status document as it is: it is not folded at all.
    expect(events.filter((e) => postingStatus.keyOf(e) !== null).map((e) => e.type)).toEqual(['ContractBooked']);
    const { doc } = new Given(booked);
    let folded: RevenueScheduleDoc = revenueSchedule.initial('C-1');
    for (const e of events) folded = revenueSchedule.evolve(folded, e, NO_PRODUCTS);
    const derived = revenueSchedule.derive!(folded, NO_PRODUCTS);
    for (const [schedule, through, billed] of [
      [derived, null, '1379.50'],
      [derived, '2026-01', '1000.00'],
      [derived, '2025-12', '0.00'],
      // A schedule whose derivation failed (e.g. over its budget) keeps its facts: the same bills apply.
      [folded, null, '1379.50'],
      [folded, '2026-02', '1379.50'],
    ] as const) {
      expect(joinPostingStatus('C-1', doc, schedule, through ? { through } : {})).toMatchObject({
        currency: 'USD',
        legalEntity: 'US01',
        billed,
      });
    }
    expect(joinPostingStatus('C-1', doc, null).billed).toBe('0.00');
  });

  it('each submission is an attempt in its batch with its answer; the journal counts as posted once posted', () => {
    const g = new Given(booked);
    const id = g.prepare(journal('2026-01'));
    expect(g.doc.journals[0]).toMatchObject({ status: 'prepared', attempts: 0, debit: '100.00', credit: '100.00' });
    expect(g.doc).toMatchObject({ journaled: { '2400': '100.00', '4000': '-100.00' }, posted: {} });
    g.submit(id, 'B1').answer(id, outage).submit(id, 'B2').answer(id, posted('SIM-1'));
    const j = g.doc.journals[0]!;
    expect(j).toMatchObject({
      status: 'posted',
      attempts: 2,
      batchId: 'B2',
      connector: 'simulated',
      erpDocumentId: 'SIM-1',
      rejection: null,
      revenue: '100.00',
      sourceEventIds: ['inv-1'],
      productMappingVersion: 2,
    });
    expect(j.submissions.map((s) => [s.attempt, s.batchId, s.outcome, s.code])).toEqual([
      [1, 'B1', 'rejected', 'CONNECTOR_UNAVAILABLE'],
      [2, 'B2', 'posted', null],
    ]);
    expect(g.doc).toMatchObject({
      posted: { '2400': '100.00', '4000': '-100.00' },
      journaledRevenue: '100.00',
      postedRevenue: '100.00',
      counts: { posted: 1, prepared: 0 },
    });
    expect(postingStatus.tagsOf!(g.doc)).toEqual([
      'batch:B1',
      'batch:B2',
      'journal-status:posted',
      `journal:${j.journalId}`,
    ]);
  });

  it('a journal refused for a closed period is tagged with its code and counted as rejected, not journaled, until re-prepared', () => {
    const g = new Given(booked);
    const first = g.prepare(journal('2026-01'));
    g.submit(first, 'B1').answer(first, closed);
    expect(g.doc.journals[0]).toMatchObject({
      status: 'rejected',
      rejection: { code: 'PERIOD_CLOSED', retryable: false },
    });
    expect(g.doc).toMatchObject({
      journaledRevenue: '0.00',
      postedRevenue: '0.00',
      journaled: {},
      rejected: { '2400': '100.00', '4000': '-100.00' },
    });
    expect(postingStatus.tagsOf!(g.doc)).toEqual([
      'batch:B1',
      'journal-status:rejected',
      `journal:${first}`,
      'rejection:PERIOD_CLOSED',
    ]);

    const { period: _p, date: _d, ...rest } = journal('2026-01');
    const again = ok(decideReprepare(g.state, first, '2026-02', '2026-02-28', ctx, rest));
    g.apply(again);
    const second = again.data.journalId as string;
    g.submit(second, 'B2').answer(second, posted('SIM-7'));
    expect(g.doc.journals.map((j) => [j.status, j.supersedes, j.supersededBy])).toEqual([
      ['superseded', null, second],
      ['posted', first, null],
    ]);
    expect(g.doc).toMatchObject({
      journaled: { '2400': '100.00', '4000': '-100.00' },
      posted: { '2400': '100.00', '4000': '-100.00' },
      counts: { superseded: 1, posted: 1, rejected: 0 },
    });
    expect(postingStatus.tagsOf!(g.doc)).toEqual([
      'batch:B1',
      'batch:B2',
      'journal-status:posted',
      'journal-status:superseded',
      ...[`journal:${first}`, `journal:${second}`].sort(),
    ]);
  });

  it('an answer recorded without a submission before it (a late acknowledgement) changes the status only', () => {
    const g = new Given(booked);
    const id = g.prepare(journal('2026-01'));
    g.answer(id, posted('SIM-9'));
    expect(g.doc.journals[0]).toMatchObject({ status: 'posted', erpDocumentId: 'SIM-9', attempts: 0, submissions: [] });
  });

  it('events the projection does not fold reach no document', () => {
    expect(postingStatus.keyOf(recorded('ServiceActivated', { lineId: 'L1', activatedOn: '2026-01-02' }))).toBeNull();
  });

  it('recognised comes from the revenue schedule at the period the figures are taken through', () => {
    const g = new Given(booked);
    g.prepare(journal('2026-01'));
    const balance = (period: string, recognisedToDate: string) => ({ period, recognisedToDate, billedToDate: '0' });
    const schedule = {
      contractId: 'C-1',
      schedule: { status: 'ok', currency: 'USD' },
      billing: [],
      balances: [balance('2026-01', '100.00'), balance('2026-02', '200.00')],
    } as unknown as RevenueScheduleDoc;
    expect(joinPostingStatus('C-1', g.doc, schedule)).toMatchObject({
      through: '2026-01',
      recognised: '100.00',
      journaled: '100.00',
      posted: '0.00',
      unposted: '100.00',
    });
    expect(joinPostingStatus('C-1', g.doc, schedule, { through: '2025-12' })).toMatchObject({
      recognised: '0.00',
      journaled: '0.00',
    });
    expect(joinPostingStatus('C-1', null, schedule)).toMatchObject({ through: '2026-02', recognised: '200.00' });
  });
});

describe('posting-status over posting runs (SQLite on disk)', () => {
  let dir: string;
  let store: SqliteEventStore;
  let read: SqliteReadStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-posting-status-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    read = new SqliteReadStore(join(dir, 'read.db'), { synchronous: 'normal' });
    await seedDemo(store, { contracts: 40, seed: 9 });
  });
  afterEach(async () => {
    await read.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const project = () => new ProjectionRunner(store, read, PROJECTIONS, { batchSize: 200 }).catchUp();
  const docs = async () =>
    (await read.list(postingStatus.name)).map((d) => d.doc as PostingStatusDoc).filter((d) => d.journals.length > 0);
  const run = (erp: SimulatedConnector, period: string): Promise<PostingRunSummary> =>
    postingRun(store, { period, connector: erp, backoffMs: 1 });

  /** Per account, debit − credit of the ERP documents holding the contract's journals. */
  const erpAmounts = (erp: SimulatedConnector, doc: PostingStatusDoc) => {
    const ids = new Set(doc.journals.map((j) => j.journalId));
    const byAccount = new Map<string, string[]>();
    for (const d of erp.documents().filter((x) => ids.has(x.journal.journalId)))
      for (const l of d.journal.lines)
        byAccount.set(l.account, [...(byAccount.get(l.account) ?? []), l.debit, `-${l.credit}`]);
    return Object.fromEntries(
      [...byAccount].map(([a, xs]) => [a, formatMoney(sumMoney(xs.map((x) => dec(x))), doc.currency!)]),
    );
  };

  it('every journal of a run shows posted with each attempt; its batch finds them; posted equals the ERP', async () => {
    const erp = new SimulatedConnector();
    erp.failNext(3);
    erp.loseNextResponses(2);
    const summary = await run(erp, '2026-05');
    expect(summary.prepared).toBeGreaterThan(10);
    expect(summary.posted).toBe(summary.prepared);
    await project();

    const withJournals = await docs();
    expect(withJournals).toHaveLength(summary.prepared);
    const journals = withJournals.flatMap((d) => d.journals);
    expect(journals.every((j) => j.status === 'posted' && j.batchId === summary.runId)).toBe(true);
    expect(journals.every((j) => j.connector === 'simulated' && j.erpDocumentId?.startsWith('SIM-'))).toBe(true);
    // Every call to the ERP is an attempt; the outages and the lost answers each cost one.
    expect(journals.reduce((n, j) => n + j.attempts, 0)).toBe(erp.submissions);
    expect(erp.submissions).toBe(summary.prepared + 5);
    const refused = journals.flatMap((j) => j.submissions).filter((s) => s.outcome === 'rejected');
    expect(refused).toHaveLength(5);
    expect(refused.every((s) => s.code === 'CONNECTOR_UNAVAILABLE')).toBe(true);
    expect(journals.every((j) => j.submissions.at(-1)?.outcome === 'posted')).toBe(true);
    const erpIds = new Map(erp.documents().map((d) => [d.journal.journalId, d.erpDocumentId]));
    expect(journals.every((j) => erpIds.get(j.journalId) === j.erpDocumentId)).toBe(true);

    for (const doc of withJournals) {
      expect(doc.posted).toEqual(erpAmounts(erp, doc));
      expect(doc.posted).toEqual(doc.journaled);
      // Journals bring revenue up to the schedule: what is journaled through the period is what it recognised.
      const status = (await contractPostingStatus(read, doc.contractId))!;
      const schedule = (await read.get('revenue-schedule', doc.contractId)) as RevenueScheduleDoc;
      const balance = schedule.balances.filter((b) => b.period <= '2026-05').at(-1);
      expect(status).toMatchObject({
        through: '2026-05',
        recognised: balance?.recognisedToDate ?? '0.00',
        journaled: balance?.recognisedToDate ?? '0.00',
        posted: balance?.recognisedToDate ?? '0.00',
        billed: balance?.billedToDate ?? formatMoney(dec('0'), doc.currency!),
        unposted: formatMoney(dec('0'), doc.currency!),
      });
    }

    const batch = (await batchStatus(read, summary.runId))!;
    expect(batch).toMatchObject({
      batchId: summary.runId,
      connectors: ['simulated'],
      contracts: withJournals.length,
      counts: { posted: summary.prepared, rejected: 0 },
      rejections: {},
    });
    expect(batch.journals.map((j) => j.journalId).sort()).toEqual(journals.map((j) => j.journalId).sort());
    expect(batch.journals.reduce((n, j) => n + j.attempts, 0)).toBe(erp.submissions);
    expect(await read.keysByTag(postingStatus.name, [`batch:${summary.runId}`])).toEqual(
      withJournals.map((d) => d.contractId).sort(),
    );
    expect(await batchStatus(read, 'no-such-batch')).toBeNull();
    expect(await contractPostingStatus(read, 'C-NONE')).toBeNull();
  });

  it('a journal the ERP refuses for a closed period shows rejected with its code, and is found by it', async () => {
    const erp = new SimulatedConnector();
    const april = await run(erp, '2026-04');
    erp.closePeriod('2026-05');
    const may = await run(erp, '2026-05');
    expect(may.prepared).toBeGreaterThan(10);
    expect(may.rejected).toEqual({ PERIOD_CLOSED: may.prepared });
    await project();

    const refusedKeys = await read.keysByTag(postingStatus.name, ['rejection:PERIOD_CLOSED']);
    expect(refusedKeys).toHaveLength(may.prepared);
    expect(await read.keysByTag(postingStatus.name, ['journal-status:rejected'])).toEqual(refusedKeys);
    for (const key of refusedKeys) {
      const doc = (await read.get(postingStatus.name, key)) as PostingStatusDoc;
      const refused = doc.journals.filter((j) => j.period === '2026-05');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        status: 'rejected',
        attempts: 1,
        batchId: may.runId,
        erpDocumentId: null,
        rejection: { code: 'PERIOD_CLOSED', retryable: false, message: 'period 2026-05 is closed' },
      });
      // Rejected, not journaled, until re-prepared; and not posted.
      expect(doc.posted).toEqual(erpAmounts(erp, doc));
      const status = (await contractPostingStatus(read, key))!;
      expect(status.through).toBe('2026-05');
      expect(dec(status.rejected).eq(dec(refused[0]!.revenue))).toBe(true);
      expect(dec(status.unposted).isZero()).toBe(true);
      expect((await contractPostingStatus(read, key, { through: '2026-04' }))!.unposted).toBe(
        formatMoney(dec('0'), doc.currency!),
      );
    }
    const batch = (await batchStatus(read, may.runId))!;
    expect(batch).toMatchObject({
      counts: { rejected: may.prepared, posted: 0 },
      rejections: { PERIOD_CLOSED: may.prepared },
    });
    expect(batch.journals.every((j) => j.outcome === 'rejected' && j.code === 'PERIOD_CLOSED')).toBe(true);
    expect((await batchStatus(read, april.runId))!.counts.posted).toBe(april.prepared);
  });

  it('rebuilt from the log, the read model equals the one built live after each run', async () => {
    const erp = new SimulatedConnector();
    erp.failNext(2);
    await run(erp, '2026-02');
    await project();
    erp.closePeriod('2026-04');
    await run(erp, '2026-03');
    await run(erp, '2026-04');
    await project();
    const live = await read.list(postingStatus.name);
    const tags = async () =>
      Object.fromEntries(
        await Promise.all(
          live.flatMap((d) =>
            postingStatus.tagsOf!(d.doc as PostingStatusDoc).map(
              async (t) => [t, await read.keysByTag(postingStatus.name, [t])] as const,
            ),
          ),
        ),
      );
    const liveTags = await tags();
    expect(Object.keys(liveTags).some((t) => t.startsWith('rejection:'))).toBe(true);
    await rebuild(store, read, [postingStatus]);
    expect((await read.generations(postingStatus.name)).active).toBe(2);
    expect(await read.list(postingStatus.name)).toEqual(live);
    expect(await tags()).toEqual(liveTags);
  });
});
