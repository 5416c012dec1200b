// Property: a contract's outcome is a function of the set of its facts, never of their arrival order. Contracts from
// the company generator (every kind of fact; a share of the price changes made cumulative catch-ups), each delivered
// in random permutations with random duplicates and facts before their booking, through the contract command; then
// the contract-versions, revenue-schedule and posting-status documents are byte-identical to in-order delivery, the
// journal each period would get is identical, and the documents derived after every random batch (live) equal the
// ones derived once at the end (rebuild).
//
// Runs on pure code (the command's decide/fold and the projections' evolve/derive): bench/order-independence.ts runs
// the same check on more contracts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runOrderIndependence } from '../../bench/order-independence.js';

describe('order independence', () => {
  it(
    '200 contracts x 5 delivery orders with duplicates and early facts: identical documents and journals',
    { timeout: 300_000 },
    () => {
      const report = runOrderIndependence({ contracts: 200, seed: 18, permutations: 5, assert: fc.assert });
      expect(report.contracts).toBe(200);
      expect(report.deliveries).toBe(5);
      // The company exercises every kind of fact and every treatment, and deliveries hold facts before their booking.
      for (const type of [
        'ContractAmended',
        'ContractCancelled',
        'InvoiceIssued',
        'CreditMemoIssued',
        'ServiceCreditApproved',
        'UsageRecorded',
        'MilestoneCompleted',
        'ServiceActivated',
      ])
        expect(report.byType[type] ?? 0, type).toBeGreaterThan(0);
      for (const treatment of ['separate', 'prospective', 'cumulative_catch_up'])
        expect(report.treatments[treatment] ?? 0, treatment).toBeGreaterThan(0);
      expect(report.held).toBeGreaterThan(0);
      expect(report.duplicates).toBeGreaterThan(0);
    },
  );
});
