// The sequencing worked examples (test/fixtures/sequencing) to the cent, in every delivery order of their events:
// a price reduction approved before a modification stays in the transaction price after it, whichever order the
// facts arrive in. Each order goes through the contract command (held or appended) and the revenue-schedule fold.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ContractState } from '../../commands/contract.js';
import { asFoldable, decide, fold, initialContractState } from '../../commands/contract.js';
import { revenueSchedule } from '../../projections/index.js';
import type { ProductsInForce } from '../../projections/index.js';
import type { InboundEvent, ProductMapping, RecordedEvent } from '../../schemas/index.js';
import { parseInbound } from '../../schemas/index.js';
import { revenueByYear } from '../../src/revenue/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sequencing');

interface Example {
  name: string;
  mapping: { products: ProductMapping[] };
  events: unknown[];
  expect: {
    transactionPrice: string;
    periods: Record<string, Record<string, string>>;
    revenueByYear: Record<string, Record<string, string>>;
  };
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

const products = (mapping: ProductMapping[]): ProductsInForce => ({
  version: 1,
  products: Object.fromEntries(mapping.map((m) => [m.sku, { since: 1, mapping: m }])),
});

/** Delivers the events one by one through the contract command; the stream it builds, as recorded events. */
function deliver(contractId: string, events: readonly InboundEvent[]): { stream: RecordedEvent[]; statuses: string[] } {
  let state: ContractState = initialContractState(contractId);
  const stream: RecordedEvent[] = [];
  const statuses: string[] = [];
  for (const event of events) {
    const decision = decide(state, { event, receivedAt: '2026-07-01T00:00:00Z', actor: 'test' });
    statuses.push(decision.outcome);
    if (decision.outcome !== 'appended' && decision.outcome !== 'held') continue;
    const revision = stream.length;
    state = fold(state, [asFoldable(decision, revision)]);
    stream.push({
      ...asFoldable(decision, revision),
      streamId: `contract-${contractId}`,
      position: { commit: BigInt(revision), prepare: BigInt(revision) },
      recordedAt: '2026-07-01T00:00:00Z',
    });
  }
  return { stream, statuses };
}

const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('a price reduction persists through later modifications, in every delivery order', () => {
  it('finds the examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  for (const file of files) {
    const example = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Example;
    const events = example.events.map((raw) => {
      const parsed = parseInbound(raw);
      if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
      return parsed.event;
    });
    const contractId = events[0]!.contractId;
    const orders = permutations(events);

    it(`${file}: ${example.name} — all ${orders.length} orders give the hand-computed schedule`, () => {
      expect(orders).toHaveLength(24);
      const shared = products(example.mapping.products);
      const documents = new Set<string>();
      for (const order of orders) {
        const { stream, statuses } = deliver(contractId, order);
        expect(statuses).not.toContain('rejected');
        let doc = revenueSchedule.initial(contractId);
        for (const e of stream) doc = revenueSchedule.evolve(doc, e, shared);
        doc = revenueSchedule.derive!(doc, shared);
        const schedule = doc.schedule!;
        const where = order.map((e) => e.type).join(' > ');
        expect({ where, status: schedule.status, price: schedule.transactionPrice }).toEqual({
          where,
          status: 'ok',
          price: example.expect.transactionPrice,
        });
        const periods = Object.fromEntries(schedule.periods.map((p) => [p.period, p.lines]));
        expect({ where, periods }).toEqual({ where, periods: example.expect.periods });
        expect(revenueByYear(schedule)).toEqual(example.expect.revenueByYear);
        const { eventCount: _count, ...rest } = doc;
        documents.add(JSON.stringify(rest));
      }
      expect(documents.size).toBe(1);
    });
  }
});
