// The audit queries through a real listening server with fetch, asked of the audit company
// (test/support/audit-company.ts): every answer is checked against the src/audit function it serves (field for field:
// the schema mirrors src/audit/types.ts) and against the seeded cases themselves — lineage to the exact source events
// and trace back, trace to the ERP document, as-of before and after an amendment, each operational question answering
// exactly its seeded cases, the reports tying, and coded refusals of bad arguments and abusive documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { RECONCILIATION_ACCOUNT, RECONCILIATION_ROW, WATERFALL_GRID } from '../../console/src/fragments.js';
import { dec, minus, plus, sumMoney } from '../../src/revenue/index.js';
import { formatPosition } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import {
  FIXED_SKU,
  T,
  amended,
  expectedDrift,
  postedJournalOf,
  seedAuditCompany,
  streamOf,
} from '../support/audit-company.js';
import type { AuditCompany } from '../support/audit-company.js';

// Every field of the audit types, so an answer compares whole with the audit function's.
const FRAGMENTS = /* GraphQL */ `
  fragment Ev on EventRef {
    eventId
    type
    streamId
    contractId
    position
    revision
    source {
      system
      id
      version
    }
    receivedAt
    recordedAt
    occurredAt
    actor
    correlationId
    contentHash
    prevHash
  }
  fragment Mv on MappingVersionRef {
    kind
    version
    eventId
    position
    publishedAt
    reason
    actor
  }
  fragment Js on JournalSummary {
    journalId
    contractId
    legalEntity
    currency
    period
    through
    date
    status
    attempts
    erpDocumentId
    connector
    rejection {
      code
      retryable
      message
    }
    supersedes
    supersededBy
    debit
    credit
    productMappingVersion
    accountMappingVersion
    correlationIds
    preparedEventId
    preparedAt
    submissions {
      attempt
      batchId
      connector
      submittedAt
      outcome
      code
      answeredAt
    }
  }
  fragment Sl on ScheduleLineRef {
    obligation
    sku
    through
    recognisedToDate
    mappingVersion
    productMapping {
      ...Mv
    }
  }
  fragment Lin on Lineage {
    journal {
      ...Js
    }
    prepared {
      ...Ev
    }
    lines {
      index
      account
      role
      debit
      credit
      description
      dimensions {
        name
        value
      }
      obligation
      sku
      scheduleLine {
        ...Sl
      }
      sourceEvents {
        ...Ev
      }
      fx {
        currency
        amount
        rate
        rateType
        rateDate
        rateEventId
        rateEvent {
          ...Ev
        }
      }
    }
    scheduleLines {
      ...Sl
    }
    sourceEvents {
      ...Ev
    }
    productMapping {
      ...Mv
    }
    accountMapping {
      ...Mv
    }
  }
  fragment Tr on Trace {
    system
    id
    events {
      ...Ev
    }
    contracts {
      contractId
      legalEntity
      currency
      events {
        ...Ev
      }
      versions {
        version
        type
        effectiveDate
        eventId
        applied
        inForce
      }
      scheduleChanges {
        period
        recognisedChange
        billedChange
        obligations {
          obligation
          sku
          without
          with
          change
        }
      }
      journals {
        journal {
          ...Js
        }
        eventIds
      }
    }
  }
  fragment Sx on ScheduleException {
    code
    message
    obligation
    sku
    eventId
  }
  fragment Ln on ContractLine {
    lineId
    sku
    quantity
    amount
    serviceStart
    serviceEnd
    ssp
  }
  fragment Ao on ContractAsOf {
    contractId
    recordedAt
    effectiveAt
    events
    lastPosition
    status
    legalEntity
    customerId
    currency
    versionInForce
    heldVersions
    versions {
      version
      type
      effectiveDate
      treatment
      lines {
        ...Ln
      }
      eventId
      source {
        system
        id
        version
      }
      receivedAt
      applied
    }
    lines {
      ...Ln
    }
    productMapping {
      ...Mv
    }
    schedule {
      status
      currency
      transactionPrice
      mappingVersion
      obligations {
        obligation
        sku
        pattern
        allocated
        variable
        recognised
        serviceStart
        serviceEnd
        active
      }
      periods {
        period
        total
        cumulative
        obligations {
          obligation
          amount
        }
      }
      exceptions {
        ...Sx
      }
    }
    balances {
      period
      billed
      recognised
      billedToDate
      recognisedToDate
      deferredRevenue
      contractAsset
    }
    journals {
      ...Js
    }
  }
  fragment Aw on AmendmentsAwaiting {
    checkpoint
    head
    amendments {
      contractId
      event {
        ...Ev
      }
      version
      effectiveDate
      reason
      message
      versionInForce
      missingVersions
    }
  }
  fragment Pf on PostingFailures {
    code
    failures {
      contractId
      journal {
        ...Js
      }
      rejection {
        code
        retryable
        message
      }
      rejectedAt
      invoices {
        event {
          ...Ev
        }
        documentId
        documentDate
        amount
      }
    }
  }
  fragment Md on MappingDrift {
    productMapping {
      ...Mv
    }
    entities {
      legalEntity
      drifted {
        contractId
        currency
        postedMappingVersion
        currentMappingVersion
        skus {
          sku
          currentVersion
        }
        through
        pendingDifference {
          account
          target
          posted
          difference
        }
      }
      unmapped {
        contractId
        skus
        exceptions {
          ...Sx
        }
      }
    }
  }
  fragment Wf on RevenueWaterfall {
    legalEntity
    from
    to
    basis
    functionalCurrency
    untranslated {
      contractId
      currency
      functionalCurrency
      message
    }
    ...WaterfallGrid
  }
  fragment Rs on RollforwardSection {
    opening
    billed
    recognised
    reclassified
    exchangeDifference
    closing
    ties
  }
  fragment Rf on DeferredRevenueRollforward {
    legalEntity
    period
    basis
    functionalCurrency
    untranslated {
      contractId
      currency
      functionalCurrency
      message
    }
    currencies {
      currency
      contracts
      deferredRevenue {
        ...Rs
      }
      contractAsset {
        ...Rs
      }
      net {
        ...Rs
      }
    }
  }
  fragment Rc on Reconciliation {
    legalEntity
    period
    breaks
    untranslated {
      contractId
      currency
      functionalCurrency
      message
    }
    contracts {
      ...ReconciliationRow
      journaledBilled
      postedBilled
    }
    accounts {
      ...ReconciliationAccount
    }
  }
  ${WATERFALL_GRID}
  ${RECONCILIATION_ROW}
  ${RECONCILIATION_ACCOUNT}
`;

/** The fragments a document spreads (GraphQL refuses unused ones), found by name through nested spreads. */
function withFragments(query: string): string {
  const defs = new Map<string, string>();
  for (const m of FRAGMENTS.matchAll(/fragment (\w+) on \w+ \{/g)) {
    let depth = 0;
    let end = m.index + m[0].length - 1;
    for (; end < FRAGMENTS.length; end++) {
      if (FRAGMENTS[end] === '{') depth++;
      if (FRAGMENTS[end] === '}' && --depth === 0) break;
    }
    defs.set(m[1]!, FRAGMENTS.slice(m.index, end + 1));
  }
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const [, name] of text.matchAll(/\.\.\.(\w+)/g))
      if (!used.has(name!)) {
        used.add(name!);
        visit(defs.get(name!)!);
      }
  };
  visit(query);
  return [query, ...[...used].map((n) => defs.get(n)!)].join('\n');
}

interface GqlError {
  message: string;
  extensions: { code: string };
}

describe('the audit queries over GraphQL', () => {
  let t: TestApp;
  let company: AuditCompany;
  let deps: AuditDeps;

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    deps = { store: t.app.store, read: t.app.read };
    company = await seedAuditCompany(t.app.store, () => t.app.projections.catchUp());
  }, 120_000);
  afterAll(() => t.close());

  // Every document is asked twice: interpreted the first time, compiled (graphql-jit) after; the answers must agree.
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const body = { query: withFragments(query), variables };
    const interpreted = await t.call('POST', '/graphql', body, KEYS.reader);
    const compiled = await t.call('POST', '/graphql', body, KEYS.reader);
    expect([compiled.status, compiled.body]).toEqual([interpreted.status, interpreted.body]);
    return compiled;
  };
  const data = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql(query, variables);
    expect(r.body.errors).toBeUndefined();
    expect(r.status).toBe(200);
    return r.body.data;
  };
  /** The errors a document answers with: their codes and messages. */
  const refusal = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql(query, variables);
    expect(r.body.errors?.length).toBeGreaterThan(0);
    return { status: r.status, errors: r.body.errors as GqlError[] };
  };

  it('lineage from a posted journal line reaches the exact source events, and trace from each comes back to it', async () => {
    const posted = await postedJournalOf(t.app.read, 'A-ASOF');
    const stream = await streamOf(t.app.store, 'A-ASOF');
    const booking = stream.find((e) => e.type === 'ContractBooked')!;
    const invoice = stream.find((e) => e.type === 'InvoiceIssued')!;

    // Journal -> lineage in one query, and the same from lineage(journalId).
    const d = await data(
      `query ($id: ID!) {
        journal(id: $id) { id status lineage { ...Lin } }
        lineage(journalId: $id) { ...Lin }
      }`,
      { id: posted.journalId },
    );
    expect(d.journal).toMatchObject({ id: posted.journalId, status: 'posted' });
    expect(d.journal.lineage).toEqual(d.lineage);
    expect(d.lineage).toEqual(await lineage(deps, posted.journalId));

    const l = d.lineage;
    const ref = (e: typeof booking) => ({
      eventId: e.eventId,
      type: e.type,
      position: formatPosition(e.position),
      revision: e.revision,
      source: e.metadata.source,
    });
    expect(l.sourceEvents).toMatchObject([ref(booking), ref(invoice)]);
    const revenue = l.lines.find((x: { role: string }) => x.role === 'revenue');
    expect(revenue).toMatchObject({ account: '4000', obligation: 'L1', sku: 'PLAT-STD', credit: '3000.00' });
    expect(revenue.scheduleLine).toMatchObject({ through: '2026-03', recognisedToDate: '3000.00', mappingVersion: 1 });
    expect(revenue.sourceEvents).toMatchObject([ref(booking)]);
    const receivable = l.lines.find((x: { role: string }) => x.role === 'receivable');
    expect(receivable).toMatchObject({ account: '1100', debit: '12000.00', sourceEvents: [ref(invoice)] });

    // Back: each source event's source record traces forward to this journal.
    for (const e of l.sourceEvents as { eventId: string; source: { system: string; id: string } }[]) {
      const back = await data(
        `query ($system: String!, $id: String!) { trace(system: $system, id: $id) { ...Tr } }`,
        e.source,
      );
      expect(back.trace.events.map((x: { eventId: string }) => x.eventId)).toEqual([e.eventId]);
      const journals = back.trace.contracts.flatMap((c: { journals: unknown[] }) => c.journals);
      expect(journals).toContainEqual(
        expect.objectContaining({
          journal: expect.objectContaining({ journalId: posted.journalId }),
          eventIds: [e.eventId],
        }),
      );
    }

    expect((await data('{ lineage(journalId: "no-such-journal") { journal { journalId } } }')).lineage).toBeNull();
  });

  it('trace from an invoice reaches its ERP document', async () => {
    const posted = await postedJournalOf(t.app.read, 'A-ASOF');
    const document = company.erp.documents().find((x) => x.journal.journalId === posted.journalId)!;
    const d = await data('{ trace(system: "billing", id: "INV-ASOF-1") { ...Tr } }');
    expect(d.trace).toEqual(await trace(deps, 'billing', 'INV-ASOF-1'));
    expect(d.trace.contracts).toHaveLength(1);
    expect(
      d.trace.contracts[0].journals.map(
        (j: { journal: { journalId: string; status: string; erpDocumentId: string } }) => [
          j.journal.journalId,
          j.journal.status,
          j.journal.erpDocumentId,
        ],
      ),
    ).toEqual([[posted.journalId, 'posted', document.erpDocumentId]]);
    // An invoice moves billing, never revenue.
    expect(d.trace.contracts[0].scheduleChanges).toEqual([
      { period: '2026-01', recognisedChange: '0.00', billedChange: '12000.00', obligations: [] },
    ]);

    // The late invoice's journal was refused: it has no ERP document.
    const late = await data(
      '{ trace(system: "billing", id: "INV-REJ-2") { contracts { journals { journal { status erpDocumentId rejection { code } } } } } }',
    );
    expect(late.trace.contracts[0].journals.map((j: { journal: unknown }) => j.journal)).toEqual([
      { status: 'rejected', erpDocumentId: null, rejection: { code: 'PERIOD_CLOSED' } },
    ]);
    expect((await data('{ trace(system: "billing", id: "NOPE") { ...Tr } }')).trace).toEqual({
      system: 'billing',
      id: 'NOPE',
      events: [],
      contracts: [],
    });
  });

  it('asOf a recorded time before an amendment shows the earlier version and schedule; now the later; effectiveAt too', async () => {
    const d = await data(`{
      before: contractAsOf(id: "A-ASOF", recordedAt: "2026-04-05T00:00:00Z") { ...Ao }
      now: contractAsOf(id: "A-ASOF") { ...Ao }
      effectiveMarch: contractAsOf(id: "A-ASOF", effectiveAt: "2026-03-31") { versionInForce lines { amount } }
      effectiveApril: contractAsOf(id: "A-ASOF", effectiveAt: "2026-04-01") { versionInForce lines { amount } }
      unseen: contractAsOf(id: "A-ASOF", recordedAt: "2026-01-10T00:00:00Z") { status events schedule { status } }
      never: contractAsOf(id: "NO-SUCH") { status }
    }`);
    expect(d.before).toEqual(await contractAsOf(deps, 'A-ASOF', { recordedAt: '2026-04-05T00:00:00Z' }));
    expect(d.now).toEqual(await contractAsOf(deps, 'A-ASOF'));

    expect(d.before).toMatchObject({ versionInForce: 1, status: 'active', legalEntity: 'US01', currency: 'USD' });
    expect(d.before.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(d.before.lines[0]).toMatchObject({ amount: '12000.00', quantity: '10' });
    expect(d.now.versionInForce).toBe(2);
    expect(d.now.versions.map((v: { version: number; applied: boolean }) => [v.version, v.applied])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(d.now.lines[0]).toMatchObject({ amount: '18000.00', quantity: '15' });
    type Ao = { schedule: { periods: { period: string; total: string }[] } };
    const june = (x: Ao) => x.schedule.periods.find((p) => p.period === '2026-06')!.total;
    expect(june(d.before)).toBe('1000.00');
    expect(june(d.now)).not.toBe('1000.00');

    expect(d.effectiveMarch).toEqual({ versionInForce: 1, lines: [{ amount: '12000.00' }] });
    expect(d.effectiveApril).toEqual({ versionInForce: 2, lines: [{ amount: '18000.00' }] });
    expect(d.unseen).toEqual({ status: 'unknown', events: 0, schedule: null });
    expect(d.never).toBeNull();

    // The same through contract(id, asOf): the Contract type, every field as of then.
    const fields =
      'versionInForce versions { version } lines { amount } events { eventId } schedule { periods { period amount } } balances { period recognisedToDate }';
    const c = await data(`{
      before: contract(id: "A-ASOF", asOf: { recordedAt: "2026-04-05T00:00:00Z" }) { ${fields} }
      now: contract(id: "A-ASOF") { ${fields} }
      effectiveMarch: contract(id: "A-ASOF", asOf: { effectiveAt: "2026-03-31" }) { versionInForce }
      unseen: contract(id: "A-ASOF", asOf: { recordedAt: "2026-01-10T00:00:00Z" }) { status events { eventId } }
    }`);
    type C = { schedule: { periods: { period: string; amount: string }[] }; events: unknown[] };
    const juneOf = (x: C) => x.schedule.periods.find((p) => p.period === '2026-06')!.amount;
    expect(c.before).toMatchObject({ versionInForce: 1, versions: [{ version: 1 }], lines: [{ amount: '12000.00' }] });
    expect(juneOf(c.before)).toBe('1000.00');
    expect(c.now).toMatchObject({ versionInForce: 2, lines: [{ amount: '18000.00' }] });
    expect(juneOf(c.now)).toBe(june(d.now));
    expect(c.before.events.length).toBe(d.before.events);
    expect(c.now.events.length).toBeGreaterThan(c.before.events.length);
    expect(c.before.balances).toEqual(
      d.before.balances.map((b: { period: string; recognisedToDate: string }) => ({
        period: b.period,
        recognisedToDate: b.recognisedToDate,
      })),
    );
    expect(c.effectiveMarch).toEqual({ versionInForce: 1 });
    expect(c.unseen).toBeNull();

    // The base contract type says which of its stored versions are applied: A-HELD's version 3 waits for 2.
    const held = await data('{ contract(id: "A-HELD") { versions { version applied } } }');
    expect(held.contract.versions).toEqual([
      { version: 1, applied: true },
      { version: 3, applied: false },
    ]);
  });

  it('postingFailures(PERIOD_CLOSED) answers the refused journal and its invoices, nothing else', async () => {
    const d = await data(
      '{ closed: postingFailures(code: "PERIOD_CLOSED") { ...Pf } none: postingFailures(code: "UNKNOWN_ACCOUNT") { ...Pf } }',
    );
    expect(d.closed).toEqual(await postingFailures(deps, { code: 'PERIOD_CLOSED' }));
    expect(d.closed.failures.map((f: { contractId: string }) => f.contractId)).toEqual(['A-REJ']);
    const [f] = d.closed.failures;
    expect(f).toMatchObject({
      rejection: { code: 'PERIOD_CLOSED' },
      rejectedAt: T.refused,
      journal: { status: 'rejected', period: '2026-03', erpDocumentId: null },
    });
    expect(
      f.invoices.map(
        (i: { documentId: string; documentDate: string; amount: string; event: { source: { id: string } } }) => [
          i.documentId,
          i.documentDate,
          i.amount,
          i.event.source.id,
        ],
      ),
    ).toEqual([
      ['INV-REJ-1', '2026-01-31', '3000.00', 'INV-REJ-1'],
      ['INV-REJ-2', '2026-03-25', '3000.00', 'INV-REJ-2'],
    ]);
    expect(d.none).toEqual({ code: 'UNKNOWN_ACCOUNT', failures: [] });
  });

  it('mappingDrift answers the contracts posted under the old mapping of the fixed SKU and the unmapped SKU, nothing else', async () => {
    const d = await data('{ all: mappingDrift { ...Md } de: mappingDrift(legalEntity: "DE01") { ...Md } }');
    expect(d.all).toEqual(await mappingDrift(deps));
    const expected = await expectedDrift(t.app.store);
    expect([...expected.values()].flat().length).toBeGreaterThan(0);
    type Entity = {
      legalEntity: string;
      drifted: { contractId: string; skus: unknown }[];
      unmapped: { contractId: string; skus: string[] }[];
    };
    const got = new Map(
      (d.all.entities as Entity[])
        .filter((e) => e.drifted.length > 0)
        .map((e) => [e.legalEntity, e.drifted.map((x) => x.contractId)]),
    );
    expect(got).toEqual(expected);
    for (const x of (d.all.entities as Entity[]).flatMap((e) => e.drifted))
      expect(x.skus).toEqual([{ sku: FIXED_SKU, currentVersion: 2 }]);
    expect(
      (d.all.entities as Entity[]).flatMap((e) => e.unmapped.map((u) => [e.legalEntity, u.contractId, u.skus])),
    ).toEqual([['US01', 'A-UNMAPPED', ['LEGACY-SKU']]]);
    expect((d.de.entities as Entity[]).flatMap((e) => e.drifted.map((x) => x.contractId))).toEqual(
      expected.get('DE01') ?? [],
    );
  });

  it('the reports answer as their functions do; the roll-forward ties and the waterfall agrees with it', async () => {
    for (const period of ['2026-01', '2026-03', '2026-07']) {
      const d = await data(
        `query ($period: String!) {
          rollforward: deferredRevenueRollforward(legalEntity: "US01", period: $period) { ...Rf }
          waterfall: revenueWaterfall(legalEntity: "US01", from: $period, to: $period) { ...Wf }
        }`,
        { period },
      );
      expect(d.rollforward).toEqual(await deferredRevenueRollforward(deps, 'US01', period));
      expect(d.waterfall).toEqual(await revenueWaterfall(deps, 'US01', period, period));
      const [c] = d.rollforward.currencies;
      expect(c.currency).toBe('USD');
      for (const s of [c.deferredRevenue, c.contractAsset, c.net]) expect(s.ties).toBe(true);
      const { opening, billed, recognised, closing } = c.net;
      expect(minus(plus(dec(opening), dec(billed)), dec(recognised)).eq(dec(closing))).toBe(true);
      expect(d.waterfall.currencies[0].total).toBe(recognised);
      const rows = d.waterfall.currencies[0].rows as { total: string }[];
      expect(sumMoney(rows.map((x) => dec(x.total))).eq(dec(d.waterfall.currencies[0].total))).toBe(true);
    }

    const r = await data('{ reconciliation(legalEntity: "US01", period: "2026-03") { ...Rc } }');
    expect(r.reconciliation).toEqual(await reconciliation(deps, 'US01', '2026-03'));
    type Row = { contractId: string; breaks: { code: string }[] };
    const row = (id: string) => (r.reconciliation.contracts as Row[]).find((c) => c.contractId === id)!;
    expect(row('A-REJ').breaks.map((b) => b.code)).toEqual(['JOURNAL_REJECTED']);
    expect(row('A-UNMAPPED').breaks.map((b) => b.code)).toContain('SCHEDULE_EXCEPTION');
    expect(row('A-ASOF')).toMatchObject({ billed: '12000.00', recognised: '3000.00', posted: '3000.00', breaks: [] });
  });

  it('the reconciliation drill-down pages its contracts, breaks first; the pages together are every row', async () => {
    const whole = await reconciliation(deps, 'US01', '2026-03');
    const page = async (first: number, after: string | null, code: string | null = null) =>
      (
        await data(
          `query ($first: Int, $after: String, $code: BreakCode) {
            reconciliation(legalEntity: "US01", period: "2026-03") {
              breaks
              contractCount
              contractPage(first: $first, after: $after, code: $code) {
                totalCount
                pageInfo { hasNextPage endCursor }
                edges { cursor node { contractId breaks { code } } }
              }
            }
          }`,
          { first, after, code },
        )
      ).reconciliation;
    type Edge = { node: { contractId: string; breaks: { code: string }[] } };
    const seen: Edge['node'][] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      const r = await page(2, after);
      expect(r.contractCount).toBe(whole.contracts.length);
      expect(r.contractPage.totalCount).toBe(whole.contracts.length);
      expect(r.contractPage.edges.length).toBeLessThanOrEqual(2);
      seen.push(...(r.contractPage.edges as Edge[]).map((e) => e.node));
      if (!r.contractPage.pageInfo.hasNextPage) break;
      after = r.contractPage.pageInfo.endCursor;
      expect(pages).toBeLessThan(whole.contracts.length);
    }
    const expected = [...whole.contracts].sort(
      (a, b) => Number(b.breaks.length > 0) - Number(a.breaks.length > 0) || a.contractId.localeCompare(b.contractId),
    );
    expect(seen.map((c) => c.contractId)).toEqual(expected.map((c) => c.contractId));
    expect(seen.slice(0, whole.breaks).every((c) => c.breaks.length > 0)).toBe(true);

    const rejected = await page(10, null, 'JOURNAL_REJECTED');
    expect(rejected.contractPage.edges.map((e: Edge) => e.node.contractId)).toEqual(['A-REJ']);
    expect(rejected.contractPage).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false } });

    const tooMany = await refusal(
      '{ reconciliation(legalEntity: "US01", period: "2026-03") { contractPage(first: 201) { totalCount } } }',
    );
    expect(tooMany.errors.map((e) => e.extensions.code)).toEqual(['INVALID_ARGUMENT']);
    const badCursor = await refusal(
      '{ reconciliation(legalEntity: "US01", period: "2026-03") { contractPage(after: "nope") { totalCount } } }',
    );
    expect(badCursor.errors.map((e) => e.extensions.code)).toEqual(['INVALID_CURSOR']);
  });

  it('refuses bad arguments with INVALID_ARGUMENT naming the argument', async () => {
    const cases: [string, string][] = [
      ['{ lineage(journalId: "") { journal { journalId } } }', 'journalId'],
      ['{ trace(system: "", id: "INV-1") { system } }', 'system'],
      ['{ contractAsOf(id: "A-ASOF", recordedAt: "last tuesday") { status } }', 'recordedAt'],
      ['{ contractAsOf(id: "A-ASOF", effectiveAt: "2026-02-30") { status } }', 'effectiveAt'],
      ['{ postingFailures(code: "CLOSED") { code } }', 'code'],
      ['{ mappingDrift(legalEntity: "US 01") { entities { legalEntity } } }', 'legalEntity'],
      ['{ revenueWaterfall(legalEntity: "US01", from: "2026-13", to: "2026-12") { total: contracts } }', 'from'],
      ['{ revenueWaterfall(legalEntity: "US01", from: "2026-03", to: "2026-01") { contracts } }', 'to'],
      ['{ revenueWaterfall(legalEntity: "US01", from: "2000-01", to: "2026-01") { contracts } }', 'to'],
      ['{ deferredRevenueRollforward(legalEntity: "US01", period: "March") { period } }', 'period'],
      ['{ reconciliation(legalEntity: "", period: "2026-03") { period } }', 'legalEntity'],
    ];
    for (const [query, argument] of cases) {
      const { errors } = await refusal(query);
      expect(
        errors.map((e) => [e.extensions.code, e.message.split(':')[0]]),
        query,
      ).toEqual([['INVALID_ARGUMENT', argument]]);
    }
  });

  it('depth and cost limits still refuse an abusive audit query, with a code, before reading anything', async () => {
    const deep = await refusal(
      '{ journal(id: "x") { contract { journals { contract { journals { contract { journals { lineage { lines { scheduleLine { productMapping { version } } } } } } } } } } } }',
    );
    expect(deep.status).toBe(400);
    expect(deep.errors.map((e) => e.extensions.code)).toContain('QUERY_TOO_DEEP');

    // The lineage of every journal of a page of contracts: each one reads a contract stream.
    const everyLineage = await refusal(
      '{ contracts(first: 100) { edges { node { journals { lineage { sourceEvents { eventId } } } } } } }',
    );
    expect(everyLineage.status).toBe(400);
    expect(everyLineage.errors.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COSTLY']);

    // Each trace reads every contract stream of the log.
    const traces = Array.from({ length: 11 }, (_, i) => `t${i}: trace(system: "billing", id: "INV-${i}") { id }`);
    const many = await refusal(`{ ${traces.join(' ')} }`);
    expect(many.status).toBe(400);
    expect(many.errors.map((e) => e.extensions.code)).toEqual(['QUERY_TOO_COSTLY']);
  });

  // Last: it appends an amendment.
  it('amendmentsAwaitingRecalculation answers the held amendment, then one the schedule has not read yet', async () => {
    const held = await data('{ amendmentsAwaitingRecalculation { ...Aw } }');
    expect(held.amendmentsAwaitingRecalculation).toEqual(await amendmentsAwaitingRecalculation(deps));
    expect(
      held.amendmentsAwaitingRecalculation.amendments.map(
        (a: {
          contractId: string;
          version: number;
          reason: string;
          missingVersions: number[];
          event: { source: { id: string } };
        }) => [a.contractId, a.version, a.reason, a.missingVersions, a.event.source.id],
      ),
    ).toEqual([['A-HELD', 3, 'HELD_VERSION_GAP', [2], 'AMD-A-HELD-3']]);

    await company.ingest(T.lagging, [amended('A-REJ', 2, '2026-05-01')]);
    const query = '{ amendmentsAwaitingRecalculation { amendments { contractId version reason } } }';
    expect((await data(query)).amendmentsAwaitingRecalculation.amendments).toEqual([
      { contractId: 'A-HELD', version: 3, reason: 'HELD_VERSION_GAP' },
      { contractId: 'A-REJ', version: 2, reason: 'PROJECTION_LAG' },
    ]);
    await t.app.projections.catchUp();
    expect((await data(query)).amendmentsAwaitingRecalculation.amendments).toEqual([
      { contractId: 'A-HELD', version: 3, reason: 'HELD_VERSION_GAP' },
    ]);
  });
});
