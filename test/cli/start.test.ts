// The newcomer path: the real `revtrail start` process on a fresh data folder, and `revtrail verify`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, startService, stop } from '../support/cli.js';

describe('revtrail start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the embedded store on first use and serves /health until SIGTERM', async () => {
    const store = join(dir, 'nested', 'revtrail.db');
    const svc = await startService({ REVTRAIL_STORE: store, REVTRAIL_DATA_DIR: join(dir, 'nested') });
    try {
      const res = await fetch(`${svc.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', store: { kind: 'sqlite' } });
      expect(existsSync(store)).toBe(true);
    } finally {
      expect(await stop(svc.child)).toBe(0);
    }
  });

  it('refuses a bad configuration with the variable named', async () => {
    const r = await run(['start'], { REVTRAIL_STORE: join(dir, 'r.db'), REVTRAIL_PORT: '99999' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/REVTRAIL_PORT/);
  });

  it('verify reports an intact empty store with exit 0', async () => {
    const r = await run(['verify'], { REVTRAIL_STORE: join(dir, 'r.db') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, eventsChecked: 0 });
  });
});
