// Once per test run: builds dist/ (CLI tests run the real `revtrail` entry point as a separate process) and, meanwhile,
// starts the throwaway PostgreSQL cluster the PostgreSQL read store's tests use (test/support/postgres.ts), handed to
// test files as inject('postgres'). A cluster that cannot start fails only the tests that need it, with the reason.
import { spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from './postgres.js';
import type { PostgresCluster } from './postgres.js';

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      stdio: 'inherit',
    });
    tsc.once('error', reject);
    tsc.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json: exit ${code}`)),
    );
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = process.env.REVTRAIL_TEST_POSTGRES;
  const cluster: Promise<PostgresCluster | Error> | null = shared
    ? null
    : startPostgresCluster().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  try {
    await build();
  } catch (err) {
    const started = await cluster;
    if (started && !(started instanceof Error)) await started.stop();
    throw err;
  }
  const started = await cluster;
  if (shared) project.provide('postgres', { adminUrl: shared });
  else if (started instanceof Error || !started) project.provide('postgres', { error: String(started) });
  else project.provide('postgres', { adminUrl: started.adminUrl });
  return async () => {
    if (started && !(started instanceof Error)) await started.stop();
  };
}
