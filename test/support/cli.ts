// Runs the built `revtrail` CLI as a child process (see global-setup.ts).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { POSTING_LOCK_STREAM, evolvePostingLock, initialPostingLockState } from '../../commands/posting-lock.js';
import { seedDemo } from '../../src/demo/index.js';
import { SqliteEventStore } from '../../src/store/index.js';

export const CLI = 'dist/src/cli/main.js';

export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const started = new Set<ChildProcess>();
// A test that times out while a service starts must not leave the service behind.
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/**
 * Starts `revtrail start` on a free port and resolves once it listens (its "Server listening" line), or rejects when
 * it exits first. No clock of its own: a start-up slowed by a loaded machine is waited for, within the test's timeout.
 */
export function startService(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...process.env, REVTRAIL_PORT: '0', REVTRAIL_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      started.delete(child);
      reject(new Error(`service exited with ${code ?? signal}:\n${out}`));
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

/** The shortest posting-run lease the configuration allows: a killed run's lock is free again soon after. */
export const SHORT_POSTING_LEASE_MS = '300';

/**
 * Waits until the posting-run lock in the CLI's store is free: released, or its holder's lease has run out (a run
 * killed with SIGKILL holds it until then, and the next run is refused meanwhile).
 */
export async function untilPostingLockFree(env: Record<string, string>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lock = await withCliStore(env, async (store) => {
      let state = initialPostingLockState;
      for await (const e of store.readStream(POSTING_LOCK_STREAM, { direction: 'backwards', maxCount: 1 }))
        state = evolvePostingLock(state, e);
      return state;
    });
    if (lock.holder === null || lock.expiresAt === null || Date.parse(lock.expiresAt) < Date.now()) return;
    if (Date.now() > deadline) throw new Error(`the posting lock is still held: ${JSON.stringify(lock)}`);
    await sleep(Math.min(50, Math.max(1, Date.parse(lock.expiresAt) - Date.now() + 1)));
  }
}
