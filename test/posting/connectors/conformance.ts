// The connector contract as one suite, run against every connector (STYLE.md: one conformance suite parameterised
// over adapters). Each connector's own test file supplies a harness that looks at what the ERP really holds.
import { randomUUID } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { expect, it } from 'vitest';
import type { Connector, JournalLine, JournalSubmission } from '../../../src/posting/connectors/index.js';

export interface PostedLine {
  account: string;
  /** Debit minus credit, as the ERP holds it. */
  amount: string;
}

export interface ConnectorHarness {
  connector(): Connector;
  /** How many ERP documents (any state) carry this journal id. */
  documents(journalId: string): Promise<number>;
  /** The lines of a posted document, as the ERP holds them. */
  postedLines(erpDocumentId: string, journalId: string): Promise<PostedLine[]>;
  /** Closes a period (YYYY-MM) in the ERP; absent for connectors without periods. */
  closePeriod?(period: string): Promise<void>;
}

export function line(account: string, debit: string, credit: string, extra: Partial<JournalLine> = {}): JournalLine {
  return {
    account,
    debit,
    credit,
    description: `line on ${account}`,
    dimensions: { legalEntity: 'LE-US', contractId: 'C-1', customerId: 'CUST-1', sku: 'PRO', obligation: 'OB-1' },
    ...extra,
  };
}

/** A balanced journal with a fresh id: invoice 1200.00 to deferred revenue, then 100.00 recognised. */
export function journal(overrides: Partial<JournalSubmission> = {}): JournalSubmission {
  const date = overrides.date ?? '2026-01-31';
  return {
    journalId: `J-${randomUUID()}`,
    legalEntity: 'LE-US',
    currency: 'USD',
    date,
    period: date.slice(0, 7),
    description: 'Contract C-1, January',
    lines: [
      line('1100', '1200.00', '0.00'),
      line('2400', '0.00', '1200.00'),
      line('2400', '100.00', '0.00'),
      line('4000', '0.00', '100.00'),
    ],
    ...overrides,
  };
}

/** Lines as (account, debit - credit), sorted, with amounts normalised ("100.00" and "100" compare equal). */
export function normalise(lines: readonly PostedLine[]): PostedLine[] {
  return lines
    .map((l) => ({ account: l.account, amount: new Decimal(l.amount).toFixed() }))
    .sort((a, b) => a.account.localeCompare(b.account) || a.amount.localeCompare(b.amount));
}

export function expectedLines(j: JournalSubmission): PostedLine[] {
  return normalise(
    j.lines.map((l) => ({ account: l.account, amount: new Decimal(l.debit).minus(l.credit).toFixed() })),
  );
}

/**
 * The contract every connector keeps. `capabilities` says which cases apply (known up front, so a case that does not
 * apply is not registered rather than reported as skipped).
 */
export function connectorConformance(
  harness: () => ConnectorHarness,
  capabilities: { knowsAccounts: boolean; closesPeriods: boolean },
): void {
  const itIf = (on: boolean) => (name: string, fn: () => Promise<void>) => {
    if (on) it(name, fn);
  };
  it('posts a balanced journal as one document holding each line on its account', async () => {
    const h = harness();
    const j = journal();
    const outcome = await h.connector().submit(j);
    expect(outcome).toMatchObject({ status: 'posted', alreadyPosted: false });
    if (outcome.status !== 'posted') return;
    expect(await h.documents(j.journalId)).toBe(1);
    expect(normalise(await h.postedLines(outcome.erpDocumentId, j.journalId))).toEqual(expectedLines(j));
    expect(await h.connector().find(j.journalId)).toBe(outcome.erpDocumentId);
  });

  it('a resubmitted journal id returns the document already posted and writes nothing new', async () => {
    const h = harness();
    const j = journal();
    const first = await h.connector().submit(j);
    const again = await h.connector().submit(structuredClone(j));
    expect(first).toMatchObject({ status: 'posted', alreadyPosted: false });
    expect(again).toEqual({ ...first, alreadyPosted: true });
    expect(await h.documents(j.journalId)).toBe(1);
  });

  it('concurrent submissions of one journal id post a single document', async () => {
    const h = harness();
    const j = journal();
    const outcomes = await Promise.all([1, 2, 3].map(() => h.connector().submit(structuredClone(j))));
    const ids = new Set(outcomes.map((o) => (o.status === 'posted' ? o.erpDocumentId : o.code)));
    expect(ids.size).toBe(1);
    expect(outcomes.filter((o) => o.status === 'posted' && !o.alreadyPosted)).toHaveLength(1);
    expect(await h.documents(j.journalId)).toBe(1);
  });

  it('an unbalanced journal is rejected UNBALANCED, not retryable, and leaves no document behind', async () => {
    const h = harness();
    const j = journal({ lines: [line('1100', '100.00', '0.00'), line('4000', '0.00', '99.99')] });
    const outcome = await h.connector().submit(j);
    expect(outcome).toMatchObject({ status: 'rejected', code: 'UNBALANCED', retryable: false });
    expect(await h.documents(j.journalId)).toBe(0);
    expect(await h.connector().find(j.journalId)).toBeNull();
  });

  itIf(capabilities.knowsAccounts)(
    'an account code the ERP does not have is rejected UNKNOWN_ACCOUNT, not retryable',
    async () => {
      const h = harness();
      const j = journal({ lines: [line('1100', '5.00', '0.00'), line('4999', '0.00', '5.00')] });
      const outcome = await h.connector().submit(j);
      expect(outcome).toMatchObject({ status: 'rejected', code: 'UNKNOWN_ACCOUNT', retryable: false });
      if (outcome.status === 'rejected') expect(outcome.message).toContain('4999');
      expect(await h.documents(j.journalId)).toBe(0);
    },
  );

  itIf(capabilities.closesPeriods)(
    'a journal dated in a period the ERP has closed is rejected PERIOD_CLOSED, not retryable',
    async () => {
      const h = harness();
      if (!h.closePeriod) throw new Error('the harness must close periods when closesPeriods is set');
      // November: no other test of the suite posts there, and Tryton only closes a period without draft moves.
      const posted = journal({ date: '2026-11-15' });
      expect(await h.connector().submit(posted)).toMatchObject({ status: 'posted' });
      await h.closePeriod('2026-11');
      const late = journal({ date: '2026-11-30' });
      expect(await h.connector().submit(late)).toMatchObject({
        status: 'rejected',
        code: 'PERIOD_CLOSED',
        retryable: false,
      });
      expect(await h.documents(late.journalId)).toBe(0);
      // What was posted before the close is still found, not refused.
      expect(await h.connector().submit(posted)).toMatchObject({ status: 'posted', alreadyPosted: true });
    },
  );

  it('find answers null for a journal id never submitted', async () => {
    expect(await harness().connector().find(`J-${randomUUID()}`)).toBeNull();
  });
}
