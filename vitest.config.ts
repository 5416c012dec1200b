import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first. Two workers finish together only when the long files start early; a
 * fresh clone has no timing cache, and vitest would order them by size (these are short files running long cases).
 */
const SLOWEST_FIRST = [
  'test/posting/tryton-e2e.test.ts',
  'test/cli/import-100k.test.ts',
  'test/properties/order-independence.test.ts',
  'test/runner/rebuild.test.ts',
  'test/scale/workers.test.ts',
  'test/runner/by-stream.test.ts',
  'test/generate/company.test.ts',
  'test/console/console.test.ts',
  'test/http/fuzz.test.ts',
  'test/runner/crash-live.test.ts',
  'test/posting/connectors/tryton.test.ts',
  'test/runner/quarantine.test.ts',
  'test/eventstore/conformance.test.ts',
  'test/posting/multi-erp.test.ts',
  'test/eventstore/verify.test.ts',
  'test/posting/tryton-recovery.test.ts',
  'test/posting/lock-processes.test.ts',
  'test/cli/start.test.ts',
  'test/http/events.test.ts',
  'test/runner/crash-rebuild.test.ts',
  'test/runner/crash-project.test.ts',
  'test/exports/evidence.test.ts',
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = SLOWEST_FIRST.indexOf(relative(process.cwd(), f.moduleId).replaceAll('\\', '/'));
      return i === -1 ? SLOWEST_FIRST.length : i;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}

// Two cores: run test files in two forked workers; long conformance cases (10k-event streams, 1 MB bodies) get room.
// Files share their worker's module cache (isolate: false): loading fastify, mercurius, graphql and the stores once per
// worker instead of once per file took the suite's import time from ~45 to ~16 s over the pure and GraphQL folders.
// It holds because no test mocks a module or edits process.env, every server, store and child process a file opens
// it closes, and the process-wide metrics registry is only asserted through real `revtrail` processes.
export default defineConfig({
  // graphql ships a CommonJS build (`main`, what Node loads, and what mercurius requires) and an ESM one (`module`,
  // what Vite would pick): tests must load the same one, or graphql's classes from one copy fail the other's checks.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    isolate: false,
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
