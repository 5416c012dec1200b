// ERP tie-out as a product feature: `revtrail reconcile --period` compares hledger's own balances of the file
// connector's journals with what Revtrail recorded as posted; they agree after a run, and an entry made on purpose in
// the ERP shows as a difference on its account, with the entry named, and exit code 3.
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileConnectorEnv, run, seededCliStore } from '../support/cli.js';
import { INSTALL_HINT, describeWith } from '../support/tryton.js';

const HLEDGER = '/usr/bin/hledger';

describeWith(HLEDGER, INSTALL_HINT, 'revtrail reconcile against hledger', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ dir, env } = await seededCliStore('revtrail-tie-out-', fileConnectorEnv, { contracts: 40, seed: 12 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ties out after a run; a manual ERP entry is a difference with the entry behind it (exit 3)', async () => {
    const posted = await run(['post', '--period', '2026-03'], env);
    expect(posted.code).toBe(0);
    const clean = await run(['reconcile', '--period', '2026-03'], env);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    const tie = JSON.parse(clean.stdout) as { compared: number; differences: unknown[] };
    expect(tie.compared).toBeGreaterThan(4);
    expect(tie.differences).toEqual([]);

    // An accountant's entry straight in the ERP: 100 USD from 4000 to 1100 for US01.
    const [file] = readdirSync(env.REVTRAIL_ERP_DIR!).filter((f) => f.endsWith('.journal'));
    appendFileSync(
      join(env.REVTRAIL_ERP_DIR!, file!),
      '\n2026-03-15 manual adjustment  ; legalEntity: US01\n    1100    100.00 USD\n    4000    -100.00 USD\n',
    );
    const off = await run(['reconcile', '--period', '2026-03', '--legal-entity', 'US01'], env);
    expect(off.code).toBe(3);
    const result = JSON.parse(off.stdout) as {
      legalEntity: string;
      differences: { account: string; difference: string; journals: string[] }[];
    };
    expect(result.legalEntity).toBe('US01');
    expect(result.differences.map((d) => [d.account, d.difference])).toEqual([
      ['1100', '100.00'],
      ['4000', '-100.00'],
    ]);
    for (const d of result.differences) expect(d.journals).toContain('erp:2026-03-15 manual adjustment');
    // Another legal entity still ties out.
    expect((await run(['reconcile', '--period', '2026-03', '--legal-entity', 'DE01'], env)).code).toBe(0);
    // Before the entry's period, nothing differs.
    expect((await run(['reconcile', '--period', '2026-02', '--legal-entity', 'US01'], env)).code).toBe(0);
  });
});
