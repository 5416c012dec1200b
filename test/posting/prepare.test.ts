// Journal preparation over generated companies: every journal balances, and after journaling month by month the
// ledger balances of each contract are exactly its target (billing and schedule through the month).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toStored } from '../../commands/contract.js';
import { revenueSchedule } from '../../projections/index.js';
import type { RevenueScheduleDoc } from '../../projections/index.js';
import type { InboundEvent, RecordedEvent } from '../../schemas/index.js';
import { eventIdFor, idempotencyKey } from '../../schemas/index.js';
import { CATALOGUE, generateCompany } from '../../src/demo/index.js';
import type { JournalLine, PrepareInput } from '../../src/posting/index.js';
import { journaledBalances, prepareJournal, targetBalances } from '../../src/posting/index.js';
import { dec, monthsBetween, sumMoney } from '../../src/revenue/index.js';

const ACCOUNTS = {
  receivable: '1100',
  deferredRevenue: '2400',
  contractAsset: '1300',
  revenue: '4000',
  taxPayable: '2200',
};
const REVENUE = new Map(CATALOGUE.map((c) => [c.sku, c.accounts.revenue]));

/** The revenue-schedule document of every contract of a generated company, folded as the projection does. */
function company(seed: number, contracts: number): RevenueScheduleDoc[] {
  const p = revenueSchedule;
  let shared = p.shared!.initial();
  shared = p.shared!.evolve(shared, {
    streamId: 'mapping-products',
    type: 'ProductMappingPublished',
    data: { version: 1, products: CATALOGUE.map((c) => ({ ...c })), reason: 'test' },
  } as unknown as RecordedEvent);
  const docs = new Map<string, RevenueScheduleDoc>();
  const seen = new Set<string>();
  for (const e of generateCompany({ contracts, seed }) as Iterable<InboundEvent>) {
    const key = idempotencyKey(e);
    if (seen.has(key)) continue; // a duplicate delivery is stored once
    seen.add(key);
    const stored = toStored(e);
    const recorded = {
      ...stored,
      eventId: eventIdFor(key),
      streamId: `contract-${e.contractId}`,
      metadata: { receivedAt: e.occurredAt },
    } as unknown as RecordedEvent;
    docs.set(e.contractId, p.evolve(docs.get(e.contractId) ?? p.initial(e.contractId), recorded, shared));
  }
  return [...docs.values()].map((d) => p.derive!(d, shared));
}

const sum = (lines: JournalLine[], side: 'debit' | 'credit') => sumMoney(lines.map((l) => dec(l[side])));

describe('journal preparation', () => {
  it('every journal balances, and journaling month by month reaches the target balances exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        for (const doc of company(seed, 12)) {
          const schedule = doc.schedule!;
          if (schedule.currency === null || schedule.status === 'exception') continue;
          const booking = doc.facts.find((f) => f.type === 'ContractBooked')!.data;
          const months = [
            ...schedule.periods.map((p) => p.period),
            ...doc.billing.map((b) => b.date.slice(0, 7)),
          ].sort();
          const journaled: JournalLine[] = [];
          for (const through of monthsBetween(months[0]!, months[months.length - 1]!)) {
            const input: PrepareInput = {
              contract: {
                contractId: doc.contractId,
                legalEntity: booking.legalEntity as string,
                customerId: booking.customerId as string,
                currency: schedule.currency,
              },
              schedule,
              billing: doc.billing,
              accounts: ACCOUNTS,
              revenueAccountOf: (sku) => REVENUE.get(sku) ?? ACCOUNTS.revenue,
              journaled,
              through,
              postIn: through,
              accountMappingVersion: 1,
            };
            const journal = prepareJournal(input);
            if (journal) {
              expect(sum(journal.lines, 'debit').eq(sum(journal.lines, 'credit'))).toBe(true);
              for (const l of journal.lines) expect(dec(l.debit).isZero() !== dec(l.credit).isZero()).toBe(true);
              journaled.push(...journal.lines);
            }
            const target = targetBalances(input);
            const done = journaledBalances(journaled);
            for (const [k, t] of target) expect(t.amount.eq(done.get(k)?.amount ?? 0)).toBe(true);
            expect(prepareJournal({ ...input, journaled })).toBeNull(); // nothing left to journal
          }
        }
      }),
      { numRuns: 8 },
    );
  });
});
