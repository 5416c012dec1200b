// The audit evidence pack (GET /v1/evidence, `revtrail evidence`) on the audit company: every file's SHA-256 matches
// the manifest, the reconciliation and journals in it are the API's, each journal of the period has its lineage,
// the service and the CLI write the same bytes, a period over the pack's bound is refused naming the rule, and a
// tampered log shows in the pack as a failed verification without an anchor.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineage } from '../../src/audit/index.js';
import { KEYS, startTestApp } from '../support/app.js';
import type { TestApp } from '../support/app.js';
import { seedAuditCompany } from '../support/audit-company.js';
import { run } from '../support/cli.js';
import { csvRecords, openXlsx, columns } from './support.js';

interface Manifest {
  format: string;
  legalEntity: string;
  period: string;
  journals: number;
  verified: boolean;
  anchor: string | null;
  readModels: { projection: string; checkpoint: string | null }[];
  files: { name: string; bytes: number; sha256: string }[];
}

describe('the audit evidence pack', () => {
  let t: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ REVTRAIL_PROJECTIONS: 'off' });
    await seedAuditCompany(t.app.store, () => t.app.projections.catchUp());
    env = {
      REVTRAIL_STORE: join(t.dir, 'revtrail.db'),
      REVTRAIL_READ_STORE: join(t.dir, 'readmodel.db'),
      REVTRAIL_DATA_DIR: t.dir,
      REVTRAIL_LOG_LEVEL: 'silent',
    };
  }, 120_000);
  afterAll(() => t.close());

  const pack = async (query: string) => {
    const res = await fetch(`${t.url}/v1/evidence?${query}`, { headers: { authorization: `Bearer ${KEYS.reader}` } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const open = async (bytes: Buffer) => {
    const zip = await JSZip.loadAsync(bytes);
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string')) as Manifest;
    return { zip, manifest, text: (name: string) => zip.file(name)!.async('string') };
  };
  const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const cliPack = async (out: string) => {
    const r = await run(['evidence', '--legal-entity', 'US01', '--period', '2026-03', '--out', out], env);
    return { ...r, bytes: readFileSync(out) };
  };

  it('every file of the pack is in the manifest with its SHA-256 and size, and nothing else is in the pack', async () => {
    const got = await pack('legalEntity=US01&period=2026-03');
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/zip');
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="evidence-US01-2026-03.zip"');
    const { zip, manifest } = await open(got.bytes);
    expect(manifest).toMatchObject({ format: 'revtrail-evidence/1', legalEntity: 'US01', period: '2026-03' });
    const names = Object.values(zip.files)
      .filter((f) => !f.dir)
      .map((f) => f.name);
    expect(names).toEqual(['manifest.json', ...manifest.files.map((f) => f.name)]);
    expect(manifest.files.map((f) => f.name)).toEqual([...manifest.files.map((f) => f.name)].sort());
    for (const f of manifest.files) {
      const data = await zip.file(f.name)!.async('uint8array');
      expect([f.name, sha256(data), data.byteLength]).toEqual([f.name, f.sha256, f.bytes]);
    }
    for (const name of ['reconciliation', 'reconciliation-contracts', 'waterfall', 'rollforward', 'journals'])
      expect(names).toEqual(expect.arrayContaining([`${name}.csv`, `${name}.xlsx`]));
    expect(manifest.readModels.map((r) => r.projection)).toEqual([
      'contract-versions',
      'revenue-schedule',
      'posting-status',
    ]);
  });

  it('the log verified clean: verify.json and anchor.txt hold what `revtrail verify` says of it', async () => {
    const { manifest, text } = await open((await pack('legalEntity=US01&period=2026-03')).bytes);
    const verify = await run(['verify'], env);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; anchor: string };
    expect(JSON.parse(await text('verify.json'))).toEqual(report);
    expect(await text('anchor.txt')).toBe(`${report.anchor}\n`);
    expect(manifest).toMatchObject({ verified: true, anchor: report.anchor });
  });

  it('the reconciliation in the pack is the GraphQL reconciliation, to the cent, in CSV and XLSX', async () => {
    const { zip, text } = await open((await pack('legalEntity=US01&period=2026-03')).bytes);
    const r = await t.call(
      'POST',
      '/graphql',
      {
        query:
          '{ reconciliation(legalEntity: "US01", period: "2026-03") { accounts { account journaled posted rejected } contracts { contractId billed posted breaks { code } } } }',
      },
      KEYS.reader,
    );
    const { accounts, contracts } = r.body.data.reconciliation as {
      accounts: Record<string, string>[];
      contracts: { contractId: string; billed: string; posted: string; breaks: { code: string }[] }[];
    };
    const csv = csvRecords(await text('reconciliation.csv'));
    expect(csv.map((a) => [a.account, a.journaled, a.posted, a.rejected])).toEqual(
      accounts.map((a) => [a.account, a.journaled, a.posted, a.rejected]),
    );
    const sheet = await openXlsx(await zip.file('reconciliation.xlsx')!.async('uint8array'));
    const col = columns(sheet);
    accounts.forEach((a, i) =>
      expect((sheet.getRow(i + 2).getCell(col.get('posted')!).value as number).toFixed(2)).toBe(a.posted),
    );
    const byContract = csvRecords(await text('reconciliation-contracts.csv'));
    const rej = byContract.find((c) => c.contractId === 'A-REJ')!;
    const expected = contracts.find((c) => c.contractId === 'A-REJ')!;
    expect([rej.billed, rej.posted]).toEqual([expected.billed, expected.posted]);
    expect(rej.breaks).toMatch(/JOURNAL_REJECTED/);
    // Contracts with a break come first.
    const broken = byContract.map((c) => c.breaks !== '');
    expect(broken).toEqual([...broken].sort((a, b) => Number(b) - Number(a)));
  });

  it('each journal of the period has its lineage, the one the lineage reader answers', async () => {
    const { zip, manifest, text } = await open((await pack('legalEntity=US01&period=2026-03')).bytes);
    const journals = csvRecords(await text('journals.csv'));
    expect(journals.length).toBe(manifest.journals);
    expect(journals.length).toBeGreaterThan(1);
    const lineageFiles = Object.keys(zip.files).filter((n) => n.startsWith('lineage/'));
    expect(lineageFiles.sort()).toEqual(journals.map((j) => `lineage/${j.journalId}.json`).sort());
    const deps = { store: t.app.store, read: t.app.read };
    for (const j of journals.filter((x) => x.contractId!.startsWith('A-'))) {
      const traced = JSON.parse(await text(`lineage/${j.journalId}.json`));
      expect(traced).toEqual(JSON.parse(JSON.stringify(await lineage(deps, j.journalId!))));
      expect(traced.journal).toMatchObject({ journalId: j.journalId, contractId: j.contractId, status: j.status });
      expect(traced.sourceEvents.length).toBeGreaterThan(0);
    }
  });

  it('the CLI writes the same bytes as the service, and the same ledger gives the same bytes again', async () => {
    const http = (await pack('legalEntity=US01&period=2026-03')).bytes;
    expect((await pack('legalEntity=US01&period=2026-03')).bytes.equals(http)).toBe(true);
    const cli = await cliPack(join(t.dir, 'evidence.zip'));
    expect(cli.code).toBe(0);
    expect(cli.bytes.equals(http)).toBe(true);
  });

  it('bad parameters are refused naming them, on HTTP (400) and in the CLI (exit 2)', async () => {
    const bad = await pack('legalEntity=US01&period=March');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.bytes.toString())).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [expect.objectContaining({ path: 'period' })],
    });
    const missing = await run(['evidence', '--period', '2026-03'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--legal-entity is required/);
    const wrong = await run(['evidence', '--legal-entity', 'US01', '--period', '2026-3'], env);
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringMatching(/--period "2026-3"/)]);
  });

  it('a period with more journals than a pack holds is refused with 413 naming the rule', async () => {
    const capped = await startTestApp({
      REVTRAIL_PROJECTIONS: 'off',
      REVTRAIL_STORE: env.REVTRAIL_STORE!,
      REVTRAIL_READ_STORE: env.REVTRAIL_READ_STORE!,
      REVTRAIL_EVIDENCE_MAX_JOURNALS: '1',
    });
    try {
      const r = await capped.call('GET', '/v1/evidence?legalEntity=US01&period=2026-03', undefined, KEYS.reader);
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({
        code: 'EVIDENCE_TOO_LARGE',
        detail: expect.stringMatching(/at most 1 \(REVTRAIL_EVIDENCE_MAX_JOURNALS\)/),
      });
    } finally {
      await capped.close();
    }
    const cli = await run(['evidence', '--legal-entity', 'US01', '--period', '2026-03'], {
      ...env,
      REVTRAIL_EVIDENCE_MAX_JOURNALS: '1',
    });
    expect([cli.code, cli.stdout]).toEqual([1, '']);
    expect(JSON.parse(cli.stderr)).toMatchObject({ code: 'EVIDENCE_TOO_LARGE' });
  });

  it('a tampered log shows in the pack: verification failed at the edited event, no anchor; the CLI exits 3', async () => {
    const db = new Database(env.REVTRAIL_STORE);
    try {
      const changed = db
        .prepare(
          `UPDATE events SET data = json_set(data, '$.lines[0].amount', '1.00')
           WHERE position = (SELECT min(position) FROM events WHERE type = 'InvoiceIssued')`,
        )
        .run().changes;
      expect(changed).toBe(1);
    } finally {
      db.close();
    }
    const { manifest, text } = await open((await pack('legalEntity=US01&period=2026-03')).bytes);
    expect(manifest).toMatchObject({ verified: false, anchor: null });
    const report = JSON.parse(await text('verify.json')) as { ok: boolean; problems: { kind: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
    expect(await text('anchor.txt')).toBe('');
    const cli = await cliPack(join(t.dir, 'tampered.zip'));
    expect(cli.code).toBe(3);
  });
});
