// Nothing is skipped silently: a booked contract that cannot be journaled (its legal entity has no account mapping,
// its currency is not the entity's and the rates to translate it are not published) is counted blocked per code in
// the run summary, listed by GraphQL `postingFailures` and `exceptions`, kept out of the ERP, and posted by the first
// run after its cause is fixed.
import { afterEach, describe, expect, it } from 'vitest';
import { CATALOGUE, DEMO_ENTITIES, generateCompany, publishMapping } from '../../src/demo/index.js';
import { Ingestor } from '../../src/ingest/index.js';
import { SimulatedConnector, postingRun } from '../../src/posting/index.js';
import { ProductMappingSet } from '../../schemas/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';

const BLOCKED = /* GraphQL */ `
  query ($code: String!) {
    postingFailures(code: $code) {
      code
      failures {
        contractId
      }
      blocked {
        contractId
        legalEntity
        code
        message
      }
    }
  }
`;

const EXCEPTIONS = /* GraphQL */ `
  query ($kind: String) {
    exceptions(kind: $kind) {
      contractId
      source
      code
      message
    }
  }
`;

type Message = { type: string; contractId?: string; data: Record<string, unknown> };

/**
 * USD/EUR rates for every date a generated contract can need: a spot every 7th day (so each date has one in its
 * look-back) and an average in every month, 2025-12 to 2027-12.
 */
function usdEurRates(): unknown[] {
  const out: unknown[] = [];
  const day = (n: number) => new Date(Date.UTC(2025, 11, 1) + n * 86_400_000).toISOString().slice(0, 10);
  const event = (id: string, rateDate: string, rateType: string) => ({
    type: 'FxRatesPublished',
    source: { system: 'ecb', id, version: 1 },
    occurredAt: '2025-12-01T16:00:00Z',
    data: { rateDate, base: 'USD', quote: 'EUR', rate: '0.9', rateType },
  });
  for (let n = 0; n < 25 * 31; n += 7) out.push(event(`spot-${day(n)}`, day(n), 'spot'));
  for (let m = 0; m < 25; m++) {
    const period = new Date(Date.UTC(2025, 11 + m, 15)).toISOString().slice(0, 10);
    out.push(event(`average-${period}`, period, 'average'));
  }
  return out;
}

/** A generated company with one USD contract moved to FR01 (no account mapping) and one to DE01 (a EUR entity). */
async function seed(t: TestApp): Promise<{ unmapped: string; mismatched: string }> {
  const messages = [...generateCompany({ contracts: 30, seed: 5 })] as unknown as Message[];
  const usd = messages
    .filter((m) => m.type === 'ContractBooked' && m.data.currency === 'USD')
    .map((m) => m.contractId!);
  const [unmapped, mismatched] = [usd[0]!, usd[1]!];
  for (const m of messages) {
    if (m.contractId === unmapped && 'legalEntity' in m.data) m.data.legalEntity = 'FR01';
    if (m.contractId === mismatched && 'legalEntity' in m.data) m.data.legalEntity = 'DE01';
  }
  const store = t.app.store;
  const products = ProductMappingSet.parse({ products: CATALOGUE, reason: 'catalogue' });
  await publishMapping(store, 'products', products, new Date());
  await publishMapping(store, 'accounts', { entities: DEMO_ENTITIES, reason: 'chart' }, new Date());
  await new Ingestor(store).ingestAll(messages, { actor: 'test' });
  return { unmapped, mismatched };
}

describe('contracts a posting run cannot journal', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('are counted blocked per code, listed by postingFailures, and posted once the cause is fixed', async () => {
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    const { unmapped, mismatched } = await seed(t);
    const store = t.app.store;
    const erp = new SimulatedConnector();
    const contractsIn = () => new Set(erp.documents().map((d) => d.journal.lines[0]!.dimensions.contractId));

    const first = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(first.blocked).toMatchObject({ UNMAPPED_ENTITY: 1, FX_RATE_MISSING: 1 });
    expect(first.posted).toBeGreaterThan(0);
    expect(contractsIn().has(unmapped)).toBe(false);
    expect(contractsIn().has(mismatched)).toBe(false);

    const ask = async (code: string) => {
      const res = await t.call('POST', '/graphql', { query: BLOCKED, variables: { code } }, KEYS.reader);
      expect(res.body.errors).toBeUndefined();
      return res.body.data.postingFailures;
    };
    expect(await ask('UNMAPPED_ENTITY')).toEqual({
      code: 'UNMAPPED_ENTITY',
      failures: [],
      blocked: [
        {
          contractId: unmapped,
          legalEntity: 'FR01',
          code: 'UNMAPPED_ENTITY',
          message: 'legal entity FR01 has no entry in the account mapping',
        },
      ],
    });
    const fxBlocked = (await ask('FX_RATE_MISSING')).blocked;
    expect(fxBlocked).toMatchObject([{ contractId: mismatched, legalEntity: 'DE01', code: 'FX_RATE_MISSING' }]);
    expect(fxBlocked[0].message).toMatch(new RegExp(`^contract ${mismatched}: no (spot|average) rate USD/EUR dated `));
    expect((await ask('PERIOD_CLOSED')).blocked).toBeNull();
    const exceptions = async (kind?: string) => {
      const res = await t.call('POST', '/graphql', { query: EXCEPTIONS, variables: { kind } }, KEYS.reader);
      expect(res.body.errors).toBeUndefined();
      return res.body.data.exceptions as { contractId: string; source: string; code: string }[];
    };
    expect(await exceptions('UNMAPPED_ENTITY')).toEqual([
      {
        contractId: unmapped,
        source: 'posting',
        code: 'UNMAPPED_ENTITY',
        message: 'legal entity FR01 has no entry in the account mapping',
      },
    ]);
    const all = await exceptions();
    expect(
      all
        .filter((x) => x.source === 'posting')
        .map((x) => [x.contractId, x.code])
        .sort(),
    ).toEqual(
      [
        [unmapped, 'UNMAPPED_ENTITY'],
        [mismatched, 'FX_RATE_MISSING'],
      ].sort(([a], [b]) => (a! < b! ? -1 : 1)),
    );

    // One cause fixed: FR01 gets its accounts (in USD). The next run posts that contract; the USD contract in the
    // EUR entity stays blocked and unposted.
    const fr01 = { ...DEMO_ENTITIES[0]!, legalEntity: 'FR01', currency: 'USD' };
    await publishMapping(store, 'accounts', { entities: [...DEMO_ENTITIES, fr01], reason: 'FR01 opened' }, new Date());
    const second = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(second).toMatchObject({ prepared: 1, posted: 1, blocked: { FX_RATE_MISSING: 1 } });
    expect(second.blocked.UNMAPPED_ENTITY).toBeUndefined();
    expect(contractsIn().has(unmapped)).toBe(true);
    expect(contractsIn().has(mismatched)).toBe(false);
    expect((await ask('UNMAPPED_ENTITY')).blocked).toEqual([]);
    expect(await exceptions('UNMAPPED_ENTITY')).toEqual([]);
    expect((await exceptions('FX_RATE_MISSING')).map((x) => x.contractId)).toEqual([mismatched]);

    // The other fixed: the USD/EUR rates are published. The next run translates and posts it, nothing re-prepared.
    const published = await t.post(usdEurRates());
    expect(published.counts.rejected).toBe(0);
    const third = await postingRun(store, { period: '2026-03', connector: erp, backoffMs: 1 });
    expect(third).toMatchObject({ prepared: 1, posted: 1, blocked: {} });
    expect(contractsIn().has(mismatched)).toBe(true);
    const translated = erp.documents().find((d) => d.journal.lines[0]!.dimensions.contractId === mismatched)!.journal;
    expect(translated.currency).toBe('EUR');
    expect(translated.lines.filter((l) => l.fx).every((l) => l.fx!.currency === 'USD' && l.fx!.rate === '0.9')).toBe(
      true,
    );
    expect(await exceptions('FX_RATE_MISSING')).toEqual([]);
  });
});
