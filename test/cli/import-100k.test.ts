// Acceptance: `revtrail generate` then `revtrail import` of 100,000+ generated events, as real processes: the
// progress bar runs to 100% and the summary accounts for every line exactly as the generator says it should.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCompany, summarise } from '../../src/demo/index.js';
import { SqliteEventStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';

describe('importing a generated company of 100,000 events', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-100k-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'completes with a progress bar and a summary that matches the generated deliveries',
    { timeout: 240_000 },
    async () => {
      const file = join(dir, 'company.jsonl');
      const generated = await run(['generate', '--contracts', '2800', '--seed', '7', '--out', file], {});
      expect(generated.code).toBe(0);
      const expected = summarise([...generateCompany({ contracts: 2800, seed: 7 })]);
      expect(expected.events).toBeGreaterThanOrEqual(100_000);

      // synchronous=normal: the acceptance is about the import path, not the disk's fsync rate.
      const env = { REVTRAIL_STORE: join(dir, 'r.db'), REVTRAIL_SQLITE_SYNC: 'normal' };
      const imported = await run(['import', file], env);
      expect(imported.code).toBe(0);
      const summary = JSON.parse(imported.stdout) as Record<string, number>;
      expect(summary.lines).toBe(expected.events);
      expect(summary.rejected).toBe(0);
      expect(summary.duplicate).toBe(expected.duplicates);
      expect(summary.appended! + summary.held!).toBe(expected.events - expected.duplicates);
      expect(imported.stderr).toMatch(/import \[#{30}\] 100\.0%/);

      const store = new SqliteEventStore({ path: join(dir, 'r.db') });
      let stored = 0;
      for await (const e of store.readAll({ filter: { streamPrefixes: ['contract-'] } })) if (e.eventId) stored++;
      await store.close();
      expect(stored).toBe(expected.events - expected.duplicates);
    },
  );
});
