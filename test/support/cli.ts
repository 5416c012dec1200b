// Runs the built `revtrail` CLI as a child process (see global-setup.ts).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from '../../src/demo/index.js';
import { SqliteEventStore } from '../../src/store/index.js';

export const CLI = 'dist/src/cli/main.js';

export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `revtrail start` on a free port and resolves once it listens. */
export function startService(env: Record<string, string>, timeoutMs = 45_000): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...process.env, REVTRAIL_PORT: '0', REVTRAIL_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${out}`));
    });
  });
}

export function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/**
 * A temp dir holding an embedded store seeded with the demo company, and the environment that points the CLI at it
 * (plus the connector's settings, given the dir).
 */
export async function seededCliStore(
  prefix: string,
  connector: (dir: string) => Record<string, string>,
  demo: { contracts: number; seed: number },
): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env = { REVTRAIL_STORE: join(dir, 'events.db'), REVTRAIL_DATA_DIR: dir, ...connector(dir) };
  const store = new SqliteEventStore({ path: env.REVTRAIL_STORE, synchronous: 'normal' });
  await seedDemo(store, demo);
  await store.close();
  return { dir, env };
}

/** The file connector (hledger journal + CSV) in `dir`/erp, retrying quickly. */
export const fileConnectorEnv = (dir: string): Record<string, string> => ({
  REVTRAIL_CONNECTOR: 'file',
  REVTRAIL_ERP_DIR: join(dir, 'erp'),
  REVTRAIL_POSTING_BACKOFF_MS: '1',
});

/** Opens the CLI's event store (`REVTRAIL_STORE` of env) from the test process for one look, then closes it. */
export async function withCliStore<T>(
  env: Record<string, string>,
  f: (store: SqliteEventStore) => Promise<T>,
): Promise<T> {
  const store = new SqliteEventStore({ path: env.REVTRAIL_STORE! });
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}
