// One posting run, many ERPs (simulated and file, fast): once an entity register is published each legal entity's
// journals go to the ERP its entry names and nowhere else, outcomes are counted per entity, an entity outside the
// register is blocked UNMAPPED_ENTITY (never passed over), an entry whose variables are not set fails that entity
// alone, and publishing the fixed register lets the next run post what was held back.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishMapping } from '../../src/demo/index.js';
import { SimulatedConnector, postingBlocks, postingMappings, postingRun } from '../../src/posting/index.js';
import type { PostingRunSummary } from '../../src/posting/index.js';
import type { EntityRegisterSet } from '../../schemas/index.js';
import type { SqliteEventStore } from '../../src/store/index.js';
import { useSeededCompany } from '../support/stores.js';

const AT = new Date('2026-10-02T08:00:00Z');
const PERIOD = '2026-09';

describe('one posting run, many ERPs', () => {
  let store: SqliteEventStore;
  let dir: string;
  const company = useSeededCompany('revtrail-many-erps-', { contracts: 120, seed: 9 });
  beforeEach(() => {
    store = company.open().store;
    dir = mkdtempSync(join(tmpdir(), 'revtrail-many-erps-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const register = (entities: EntityRegisterSet['entities'], reason: string): EntityRegisterSet => ({
    entities,
    reportingCurrency: 'USD',
    reason,
  });
  const US01 = { legalEntity: 'US01', functionalCurrency: 'USD', erp: { connector: 'simulated' as const } };
  const DE01 = { legalEntity: 'DE01', functionalCurrency: 'EUR', erp: { connector: 'file' as const, dir: '' } };
  const JP01_TRYTON = {
    legalEntity: 'JP01',
    functionalCurrency: 'JPY',
    erp: {
      connector: 'tryton' as const,
      urlEnv: 'REVTRAIL_TEST_JP01_URL_UNSET',
      databaseEnv: 'REVTRAIL_TEST_JP01_DB_UNSET',
      passwordEnv: 'REVTRAIL_TEST_JP01_PASSWORD_UNSET',
    },
  };
  const fileText = (): string =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.journal'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
  /** The legal entities the file connector's journals name. */
  const entitiesInFiles = (): Set<string> => new Set([...fileText().matchAll(/legalEntity: (\w+)/g)].map((m) => m[1]!));
  /** The totals are the sum of the entities' outcomes. */
  const expectTotalsAddUp = (s: PostingRunSummary) => {
    const outcomes = Object.values(s.entities);
    for (const field of ['contracts', 'prepared', 'posted', 'retrying'] as const)
      expect(
        outcomes.reduce((n, o) => n + o[field], 0),
        field,
      ).toBe(s[field]);
  };

  it('posts each entity to its own ERP, blocks the unregistered one, fails the unconfigured one alone', async () => {
    const de01 = { ...DE01, erp: { connector: 'file' as const, dir } };
    await publishMapping(store, 'entities', register([US01, de01, JP01_TRYTON], 'three ERPs'), AT);
    expect((await postingMappings(store)).entityCurrencies).toEqual(
      new Map([
        ['US01', 'USD'],
        ['DE01', 'EUR'],
        ['JP01', 'JPY'],
      ]),
    );
    const simulated = new SimulatedConnector();
    const run = await postingRun(store, { period: PERIOD, connector: simulated, backoffMs: 1, now: () => AT });
    expect(run.registerVersion).toBe(1);
    expectTotalsAddUp(run);
    const { US01: us, DE01: de, JP01: jp, BH01: bh } = run.entities;
    expect(us).toMatchObject({ connector: 'simulated', rejected: {}, retrying: 0 });
    expect(us!.posted).toBeGreaterThan(0);
    expect(de).toMatchObject({ connector: 'file', rejected: {}, retrying: 0 });
    expect(de!.posted).toBeGreaterThan(0);
    // The simulated ERP holds US01's journals only; the file DE01's only.
    expect(new Set(simulated.documents().map((d) => d.journal.legalEntity))).toEqual(new Set(['US01']));
    expect(simulated.documents()).toHaveLength(us!.posted);
    expect(entitiesInFiles()).toEqual(new Set(['DE01']));
    // JP01's entry names variables that are not set: its journals wait, named in its outcome, and nothing else stops.
    expect(jp).toMatchObject({ connector: 'tryton', posted: 0 });
    expect(jp!.erpUnavailable).toMatch(/REVTRAIL_TEST_JP01_PASSWORD_UNSET \(password\)/);
    expect(jp!.retrying).toBe(jp!.prepared);
    // BH01 is not in the register: blocked, never skipped, and listed as such.
    expect(bh).toMatchObject({ connector: null, posted: 0, prepared: 0 });
    expect(bh!.blocked.UNMAPPED_ENTITY).toBeGreaterThan(0);
    expect(run.blocked.UNMAPPED_ENTITY).toBe(bh!.blocked.UNMAPPED_ENTITY);
    const blocks = await postingBlocks(store, 'UNMAPPED_ENTITY');
    expect(blocks).toHaveLength(bh!.blocked.UNMAPPED_ENTITY!);
    expect(blocks.every((b) => b.legalEntity === 'BH01' && /not in the entity register/.test(b.message))).toBe(true);

    // The register fixed: JP01 to the simulated ERP, BH01 added. The next run posts what waited, and only that.
    const BH01 = { legalEntity: 'BH01', functionalCurrency: 'BHD', erp: { connector: 'file' as const, dir } };
    const fixed = { ...register([US01, de01, { ...JP01_TRYTON, erp: US01.erp }, BH01], 'JP01 and BH01 routed') };
    await publishMapping(store, 'entities', { ...fixed, basedOnVersion: 1 }, AT);
    const later = new Date(AT.getTime() + 60_000);
    const again = await postingRun(store, { period: PERIOD, connector: simulated, backoffMs: 1, now: () => later });
    expect(again.registerVersion).toBe(2);
    expect(again.blocked.UNMAPPED_ENTITY).toBeUndefined();
    expect(again.entities.US01).toMatchObject({ prepared: 0, posted: 0 });
    expect(again.entities.DE01).toMatchObject({ prepared: 0, posted: 0 });
    expect(again.entities.JP01).toMatchObject({ connector: 'simulated', prepared: 0, posted: jp!.prepared });
    expect(again.entities.BH01!.posted).toBe(again.entities.BH01!.prepared);
    expect(again.entities.BH01!.posted).toBeGreaterThan(0);
    expect(entitiesInFiles()).toEqual(new Set(['DE01', 'BH01']));
    expect(await postingBlocks(store, 'UNMAPPED_ENTITY')).toEqual([]);
  });

  it('without a register, every entity posts to the given connector as before', async () => {
    const simulated = new SimulatedConnector();
    const run = await postingRun(store, { period: PERIOD, connector: simulated, backoffMs: 1 });
    expect(run.registerVersion).toBeNull();
    expect(run.blocked.UNMAPPED_ENTITY).toBeUndefined();
    expect(Object.keys(run.entities).sort()).toEqual(['BH01', 'DE01', 'JP01', 'US01']);
    expect(Object.values(run.entities).every((o) => o.connector === 'simulated')).toBe(true);
    expect(simulated.documents()).toHaveLength(run.posted);
    expectTotalsAddUp(run);
  });
});
