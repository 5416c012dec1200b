// The audit queries over a real SQLite event store and read store on disk, asked of the audit company
// (test/support/audit-company.ts): a generated company posted to the simulated ERP plus one seeded case per question —
// a held amendment, a journal the ERP refused for a closed period, a mapping fix published after posting, a contract
// with an unmapped SKU, an amendment after the posting — each question answering exactly its seeded cases.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECTIONS, sourceTag } from '../../projections/index.js';
import {
  amendmentsAwaitingRecalculation,
  contractAsOf,
  deferredRevenueRollforward,
  lineage,
  mappingDrift,
  postingFailures,
  reconciliation,
  revenueWaterfall,
  trace,
} from '../../src/audit/index.js';
import type { AuditDeps } from '../../src/audit/index.js';
import { SqliteReadStore } from '../../src/readmodel/index.js';
import { dec, minus, plus, sumMoney } from '../../src/revenue/index.js';
import { ProjectionRunner } from '../../src/runner/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import {
  FIXED_SKU,
  T,
  amended,
  expectedDrift,
  invoiced,
  postedJournalOf,
  seedAuditCompany,
  streamOf,
} from '../support/audit-company.js';
import type { AuditCompany } from '../support/audit-company.js';

describe('audit queries', () => {
  let dir: string;
  let store: SqliteEventStore;
  let read: SqliteReadStore;
  let deps: AuditDeps;
  let company: AuditCompany;
  const runner = () => new ProjectionRunner(store, read, PROJECTIONS);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-audit-'));
    store = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    read = new SqliteReadStore(join(dir, 'read.db'), { synchronous: 'normal' });
    deps = { store, read };
    company = await seedAuditCompany(store, () => runner().catchUp());
  }, 120_000);

  afterAll(async () => {
    await read.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lineage from a posted journal reaches the exact source events, and trace from its invoice comes back to it', async () => {
    const posted = await postedJournalOf(read, 'A-ASOF');
    const events = await streamOf(store, 'A-ASOF');
    const booking = events.find((e) => e.type === 'ContractBooked')!;
    const invoice = events.find((e) => e.type === 'InvoiceIssued')!;

    const l = (await lineage(deps, posted.journalId))!;
    expect(l.journal).toMatchObject({ contractId: 'A-ASOF', status: 'posted', period: '2026-03', through: '2026-03' });
    expect(l.journal.erpDocumentId).toBe(
      company.erp.documents().find((d) => d.journal.journalId === posted.journalId)!.erpDocumentId,
    );
    expect(l.sourceEvents.map((e) => e.eventId)).toEqual([booking.eventId, invoice.eventId]);
    expect(l.sourceEvents[1]).toMatchObject({
      type: 'InvoiceIssued',
      source: { system: 'billing', id: 'INV-ASOF-1', version: 1 },
      receivedAt: T.booked,
      revision: invoice.revision,
      position: invoice.position.commit.toString(),
    });
    const revenue = l.lines.find((x) => x.role === 'revenue')!;
    expect(revenue).toMatchObject({ account: '4000', obligation: 'L1', sku: 'PLAT-STD', credit: '3000.00' });
    expect(revenue.scheduleLine).toMatchObject({
      obligation: 'L1',
      through: '2026-03',
      recognisedToDate: '3000.00',
      mappingVersion: 1,
    });
    expect(revenue.scheduleLine!.productMapping).toMatchObject({ kind: 'products', version: 1, publishedAt: T.seeded });
    expect(revenue.sourceEvents.map((e) => e.eventId)).toEqual([booking.eventId]);
    const receivable = l.lines.find((x) => x.role === 'receivable')!;
    expect(receivable).toMatchObject({ account: '1100', debit: '12000.00' });
    expect(receivable.sourceEvents.map((e) => e.eventId)).toEqual([invoice.eventId]);
    expect(l.lines.find((x) => x.role === 'deferredRevenue')).toMatchObject({ account: '2400', credit: '9000.00' });
    expect(l.productMapping.version).toBe(1);
    expect(l.accountMapping.version).toBe(1);
    // The caller that knows the contract gets the same answer without the lookup.
    expect(await lineage(deps, posted.journalId, { contractId: 'A-ASOF' })).toEqual(l);
    expect(await lineage(deps, 'no-such-journal')).toBeNull();

    const t = await trace(deps, 'billing', 'INV-ASOF-1');
    expect(t.events.map((e) => e.eventId)).toEqual([invoice.eventId]);
    expect(t.contracts).toHaveLength(1);
    const [c] = t.contracts;
    expect(c!.journals.map((j) => [j.journal.journalId, j.journal.erpDocumentId, j.eventIds])).toEqual([
      [posted.journalId, l.journal.erpDocumentId, [invoice.eventId]],
    ]);
    expect(c!.versions).toEqual([]);
    // An invoice moves billing, never revenue.
    expect(c!.scheduleChanges).toEqual([
      { period: '2026-01', recognisedChange: '0.00', billedChange: '12000.00', obligations: [] },
    ]);
  });

  it('trace from an amendment shows the version it made and the periods it moves, from its effective date on', async () => {
    const t = await trace(deps, 'salesforce', 'AMD-A-ASOF-2');
    expect(t.events.map((e) => e.type)).toEqual(['ContractAmended']);
    const [c] = t.contracts;
    expect(c!.versions).toEqual([
      {
        version: 2,
        type: 'ContractAmended',
        effectiveDate: '2026-04-01',
        eventId: t.events[0]!.eventId,
        applied: true,
        inForce: true,
      },
    ]);
    expect(c!.scheduleChanges.length).toBeGreaterThan(0);
    expect(c!.scheduleChanges.every((p) => p.period >= '2026-04' && p.billedChange === '0.00')).toBe(true);
    expect(c!.journals).toEqual([]);
    expect(await trace(deps, 'billing', 'NOPE')).toEqual({ system: 'billing', id: 'NOPE', events: [], contracts: [] });
  });

  it('asOf a recorded time before an amendment shows the earlier version and schedule; now shows the later', async () => {
    const before = (await contractAsOf(deps, 'A-ASOF', { recordedAt: '2026-04-05T00:00:00Z' }))!;
    const after = (await contractAsOf(deps, 'A-ASOF'))!;
    expect(before).toMatchObject({ versionInForce: 1, status: 'active', legalEntity: 'US01', currency: 'USD' });
    expect(before.versions.map((v) => v.version)).toEqual([1]);
    expect(before.lines[0]).toMatchObject({ amount: '12000.00', quantity: '10' });
    expect(after.versionInForce).toBe(2);
    expect(after.lines[0]).toMatchObject({ amount: '18000.00', quantity: '15' });
    const june = (x: typeof before) => x.schedule!.periods.find((p) => p.period === '2026-06')!.total;
    expect(june(before)).toBe('1000.00');
    expect(june(after)).not.toBe('1000.00');
    // Through March, both agree (a prospective change, ASC 606-10-25-13(a)).
    const march = (x: typeof before) => x.balances.find((b) => b.period === '2026-03')!;
    expect(march(after)).toEqual(march(before));
    expect(before.journals.map((j) => j.status)).toEqual(['posted']);

    // Effective time: all known events, only what is in effect on the date.
    expect((await contractAsOf(deps, 'A-ASOF', { effectiveAt: '2026-03-31' }))!.versionInForce).toBe(1);
    expect((await contractAsOf(deps, 'A-ASOF', { effectiveAt: '2026-04-01' }))!.versionInForce).toBe(2);
    // Before the booking was received the ledger knew nothing of the contract.
    expect(await contractAsOf(deps, 'A-ASOF', { recordedAt: '2026-01-10T00:00:00Z' })).toMatchObject({
      status: 'unknown',
      events: 0,
      schedule: null,
    });
    expect(await contractAsOf(deps, 'NO-SUCH')).toBeNull();
  });

  it('asOf a recorded time before a mapping fix computes the schedule with the mapping then in force', async () => {
    const drift = await mappingDrift(deps);
    const contractId = drift.entities.flatMap((e) => e.drifted)[0]!.contractId;
    const before = (await contractAsOf(deps, contractId, { recordedAt: T.amended }))!;
    const now = (await contractAsOf(deps, contractId))!;
    expect(before.productMapping.version).toBe(1);
    expect(before.schedule!.mappingVersion).toBe(1);
    expect(now.productMapping).toMatchObject({
      version: 2,
      publishedAt: T.fixed,
      reason: `${FIXED_SKU} is recognised monthly`,
    });
    expect(now.schedule!.mappingVersion).toBe(2);
  });

  it('postingFailures(PERIOD_CLOSED) answers the refused journal and the invoices in its lineage, nothing else', async () => {
    const f = await postingFailures(deps, { code: 'PERIOD_CLOSED' });
    expect(f.failures.map((x) => x.contractId)).toEqual(['A-REJ']);
    const [failure] = f.failures;
    expect(failure!.rejection.code).toBe('PERIOD_CLOSED');
    expect(failure!.rejectedAt).toBe(T.refused);
    expect(failure!.journal).toMatchObject({ status: 'rejected', period: '2026-03', erpDocumentId: null });
    expect(failure!.invoices.map((i) => [i.documentId, i.documentDate, i.amount, i.event.source?.id])).toEqual([
      ['INV-REJ-1', '2026-01-31', '3000.00', 'INV-REJ-1'],
      ['INV-REJ-2', '2026-03-25', '3000.00', 'INV-REJ-2'],
    ]);
    expect((await postingFailures(deps, { code: 'UNKNOWN_ACCOUNT' })).failures).toEqual([]);
  });

  it('mappingDrift answers the contracts posted under the old mapping of the fixed SKU, and the unmapped SKU', async () => {
    const expected = await expectedDrift(store);
    expect([...expected.values()].flat().length).toBeGreaterThan(0);

    const drift = await mappingDrift(deps);
    expect(drift.productMapping.version).toBe(2);
    const got = new Map(drift.entities.map((e) => [e.legalEntity, e.drifted.map((d) => d.contractId)]));
    for (const [le, ids] of got) if (ids.length === 0) got.delete(le);
    expect(got).toEqual(expected);
    for (const d of drift.entities.flatMap((e) => e.drifted)) {
      expect(d).toMatchObject({ postedMappingVersion: 1, currentMappingVersion: 2, through: '2026-03' });
      expect(d.skus).toEqual([{ sku: FIXED_SKU, currentVersion: 2 }]);
      // The adjusting journal it waits for balances.
      expect(sumMoney(d.pendingDifference.map((x) => dec(x.difference))).isZero()).toBe(true);
    }
    expect(drift.entities.flatMap((e) => e.drifted).some((d) => d.pendingDifference.length > 0)).toBe(true);
    expect(drift.entities.flatMap((e) => e.unmapped.map((u) => [e.legalEntity, u.contractId, u.skus]))).toEqual([
      ['US01', 'A-UNMAPPED', ['LEGACY-SKU']],
    ]);

    const de = await mappingDrift(deps, { legalEntity: 'DE01' });
    expect(de.entities.every((e) => e.legalEntity === 'DE01')).toBe(true);
    expect(de.entities.flatMap((e) => e.drifted.map((d) => d.contractId))).toEqual(expected.get('DE01') ?? []);
  });

  it('the deferred revenue roll-forward ties, and the waterfall agrees with it on revenue', async () => {
    for (const period of ['2026-01', '2026-03', '2026-07']) {
      const r = await deferredRevenueRollforward(deps, 'US01', period);
      expect(r.currencies.map((c) => c.currency)).toEqual(['USD']);
      for (const c of r.currencies) {
        for (const s of [c.deferredRevenue, c.contractAsset, c.net]) expect(s.ties).toBe(true);
        const { opening, billed, recognised, closing } = c.net;
        expect(minus(plus(dec(opening), dec(billed)), dec(recognised)).eq(dec(closing))).toBe(true);
        expect(minus(dec(c.deferredRevenue.closing), dec(c.contractAsset.closing)).eq(dec(closing))).toBe(true);
      }
      const w = await revenueWaterfall(deps, 'US01', period, period);
      expect(w.currencies[0]!.total).toBe(r.currencies[0]!.net.recognised);
      expect(sumMoney(w.currencies[0]!.rows.map((x) => dec(x.total))).eq(dec(w.currencies[0]!.total))).toBe(true);
    }
    const w = await revenueWaterfall(deps, 'US01', '2026-01', '2026-03');
    expect(w.periods).toEqual(['2026-01', '2026-02', '2026-03']);
    const plat = w.currencies[0]!.rows.find((x) => x.sku === 'PLAT-STD')!;
    expect(plat.obligations).toBeGreaterThanOrEqual(3); // the three seeded PLAT-STD contracts at least
  });

  it('reconciliation lists the refused journal, the unmapped contract and the drifted contracts as breaks', async () => {
    const r = await reconciliation(deps, 'US01', '2026-03');
    const row = (id: string) => r.contracts.find((c) => c.contractId === id);
    // The refused journal is rejected, not journaled: its own break, and its billing out of what the journals carry.
    expect(row('A-REJ')!.breaks.map((b) => b.code)).toEqual(['JOURNAL_REJECTED']);
    expect(row('A-REJ')).toMatchObject({ billed: '6000.00', journaledBilled: '3000.00', postedBilled: '3000.00' });
    expect(r.accounts.find((a) => a.account === '1100' && a.currency === 'USD')?.rejected).not.toBe('0.00');
    expect(row('A-UNMAPPED')!.breaks.map((b) => b.code)).toContain('SCHEDULE_EXCEPTION');
    expect(row('A-ASOF')!.breaks).toEqual([]);
    expect(row('A-ASOF')).toMatchObject({
      billed: '12000.00',
      recognised: '3000.00',
      journaled: '3000.00',
      posted: '3000.00',
    });
    const drifted = new Set(
      (await mappingDrift(deps, { legalEntity: 'US01' })).entities.flatMap((e) => e.drifted.map((d) => d.contractId)),
    );
    for (const c of r.contracts)
      if (c.breaks.some((b) => b.code === 'RECOGNISED_NOT_JOURNALED')) expect(drifted.has(c.contractId)).toBe(true);
  });

  it('amendmentsAwaitingRecalculation answers the held amendment, and an amendment the schedule has not read yet', async () => {
    const held = await amendmentsAwaitingRecalculation(deps);
    expect(held.checkpoint).toBe(held.head);
    expect(held.amendments.map((a) => [a.contractId, a.version, a.reason, a.missingVersions])).toEqual([
      ['A-HELD', 3, 'HELD_VERSION_GAP', [2]],
    ]);
    expect(held.amendments[0]).toMatchObject({ versionInForce: 1, event: { source: { id: 'AMD-A-HELD-3' } } });

    await company.ingest(T.lagging, [amended('A-REJ', 2, '2026-05-01')]);
    const lagging = await amendmentsAwaitingRecalculation(deps);
    expect(lagging.amendments.map((a) => [a.contractId, a.version, a.reason])).toEqual([
      ['A-HELD', 3, 'HELD_VERSION_GAP'],
      ['A-REJ', 2, 'PROJECTION_LAG'],
    ]);
    await runner().catchUp();
    expect((await amendmentsAwaitingRecalculation(deps)).amendments.map((a) => a.contractId)).toEqual(['A-HELD']);
  });

  it('trace finds a source record the lineage index has not read yet, and the same once it has', async () => {
    await company.ingest(T.lagging, [invoiced('A-ASOF', 'INV-ASOF-LAG', '2026-02-28', '500.00')]);
    const lagging = await trace(deps, 'billing', 'INV-ASOF-LAG');
    expect(lagging.events.map((e) => [e.type, e.contractId])).toEqual([['InvoiceIssued', 'A-ASOF']]);
    expect(lagging.contracts.map((c) => c.scheduleChanges)).toEqual([
      [{ period: '2026-02', recognisedChange: '0.00', billedChange: '500.00', obligations: [] }],
    ]);
    await runner().catchUp();
    expect(await read.keysByTag('lineage-index', [sourceTag('billing', 'INV-ASOF-LAG')])).toEqual(['A-ASOF']);
    expect(await trace(deps, 'billing', 'INV-ASOF-LAG')).toEqual(lagging);
  });
});
