import { defineConfig } from 'vitest/config';

// Two cores: run test files in two forked workers; long conformance cases (10k-event streams, 1 MB bodies) get room.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
