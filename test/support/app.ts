// Starts the real app on port 0 over a temp-dir SQLite store, with two known API keys, and talks HTTP to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.js';
import type { App, AppDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { hashKey, keysFromEnv } from '../../src/auth/index.js';
import type { ApiKey } from '../../src/auth/index.js';
import type { IngestResult, IngestStatus } from '../../src/ingest/index.js';

export interface IngestResponse {
  results: IngestResult[];
  counts: Record<IngestStatus, number>;
}

export const KEYS = {
  writer: 'test-writer-key-0123456789',
  reader: 'test-reader-key-0123456789',
} as const;

const apiKeys: ApiKey[] = [
  { name: 'crm-sync', scopes: ['ingest', 'read'], sha256: hashKey(KEYS.writer) },
  { name: 'auditor', scopes: ['read'], sha256: hashKey(KEYS.reader) },
];

export interface TestApp {
  app: App;
  url: string;
  dir: string;
  /** fetch with the writer key unless `key` says otherwise (null: no Authorization header). */
  call(
    method: string,
    path: string,
    body?: unknown,
    key?: string | null,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  post(events: unknown[]): Promise<IngestResponse>;
  close(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}, deps: AppDeps = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'revtrail-app-'));
  const config = loadConfig({
    REVTRAIL_STORE: join(dir, 'revtrail.db'),
    REVTRAIL_DATA_DIR: dir,
    REVTRAIL_LOG_LEVEL: 'silent',
    // The metrics' read-model watcher reads the read store on its own schedule; an hour keeps it out of the tests
    // that count read-store queries (the metrics test runs the real service with its own interval).
    REVTRAIL_METRICS_REFRESH_MS: '3600000',
    // Commits reach the OS, not the platter: these tests stop processes, never the machine, so an fsync per request
    // (the default) would only cost time. The crash tests choose their own setting.
    REVTRAIL_SQLITE_SYNC: 'normal',
    ...env,
  });
  const app = await buildApp(config, { keys: [...apiKeys, ...keysFromEnv(config.apiKeys)], ...deps });
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  const call: TestApp['call'] = async (method, path, body, key = KEYS.writer) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(`${url}${path}`, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
  };
  return {
    app,
    url,
    dir,
    call,
    async post(events) {
      const r = await call('POST', '/v1/events', { events });
      if (r.status !== 200) throw new Error(`POST /v1/events: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as IngestResponse;
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
