import { defineConfig } from 'vitest/config';

// Two cores: run test files in two forked workers; long conformance cases (10k-event streams, 1 MB bodies) get room.
export default defineConfig({
  // graphql ships a CommonJS build (`main`, what Node loads, and what mercurius requires) and an ESM one (`module`,
  // what Vite would pick): tests must load the same one, or graphql's classes from one copy fail the other's checks.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
