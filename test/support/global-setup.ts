// Once per test run: builds dist/ (CLI tests run the real `revtrail` entry point as a separate process), the console
// into dist/console when it is missing or older than its sources (the console's tests load it in a browser), and, meanwhile,
// starts the throwaway PostgreSQL cluster the PostgreSQL read store's tests use (test/support/postgres.ts), handed to
// test files as inject('postgres'). A cluster that cannot start fails only the tests that need it, with the reason.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** The newest modification time of a file under `dir` (0 for none). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/** Vite's build of the console, unless dist/console is at least as new as every file of console/. */
function buildConsole(): Promise<void> {
  const built = 'dist/console/index.html';
  if (existsSync(built) && statSync(built).mtimeMs >= newest('console')) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const vite = spawn(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts'],
      { stdio: 'inherit' },
    );
    vite.once('error', reject);
    vite.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build: exit ${code}`))));
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = process.env.REVTRAIL_TEST_POSTGRES;
  const cluster: Promise<PostgresCluster | Error> | null = shared
    ? null
    : startPostgresCluster().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  try {
    await Promise.all([build(), buildConsole()]);
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
