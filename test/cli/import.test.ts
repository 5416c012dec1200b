// `revtrail import FILE` as a real process over a temp store: every line accounted for, retries harmless.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/store/index.js';
import { run } from '../support/cli.js';
import { booking, invoice as invoiceFor } from '../support/fixtures.js';

const invoice = (c: string, n: number) => invoiceFor(c, `INV-${c}-${n}`);

describe('revtrail import', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-import-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accounts for every line (appended, duplicate, held, rejected) and a second import is all duplicates', async () => {
    const lines: unknown[] = [];
    for (let c = 0; c < 30; c++) {
      lines.push(booking(`C-${c}`));
      for (let n = 0; n < 5; n++) lines.push(invoice(`C-${c}`, n));
    }
    lines.push(invoice('C-0', 0)); // a duplicate delivery
    lines.push(invoice('C-late', 1)); // before its booking: held
    lines.push({ ...invoice('C-1', 9), data: { invoiceId: 'X', invoiceDate: '2026-02-30', lines: [] } }); // refused
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{not json}\n`);
    const env = { REVTRAIL_STORE: join(dir, 'r.db') };

    const first = await run(['import', file], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ lines: 184, appended: 180, duplicate: 1, held: 1, rejected: 2 });
    expect(first.stderr).toMatch(/import \[#+\]/);
    const summary = JSON.parse(first.stdout) as {
      firstRejections: { line: number; errors: { path?: string; code: string }[] }[];
    };
    expect(summary.firstRejections.map((r) => r.line).sort((a, b) => a - b)).toEqual([183, 184]);

    const again = await run(['import', file], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, duplicate: 182, held: 0, rejected: 2 });

    const store = new SqliteEventStore({ path: join(dir, 'r.db') });
    let contractEvents = 0;
    for await (const e of store.readAll({ filter: { streamPrefixes: ['contract-'] } })) if (e.type) contractEvents++;
    await store.close();
    expect(contractEvents).toBe(181);
  });
});
