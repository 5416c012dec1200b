// The file connector against the real hledger (Debian package `hledger`): what it writes parses, balances, passes
// `hledger check --strict`, and `hledger bal` per account equals the totals of the submitted journals.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileConnector } from '../../../src/posting/connectors/index.js';
import type { FileConnector, JournalLine, JournalSubmission } from '../../../src/posting/connectors/index.js';
import { INSTALL_HINT, describeWith } from '../../support/tryton.js';
import { connectorConformance, journal, line } from './conformance.js';

const HLEDGER = '/usr/bin/hledger';
const CHART = ['1100', '1300', '2200', '2400', '4000', '4010', '4100', '4200', '4300'];
const run = promisify(execFile);

async function hledger(file: string, ...args: string[]): Promise<string> {
  return (await run(HLEDGER, ['-f', file, ...args])).stdout;
}

/** RFC 4180, enough for hledger's output and ours: quoted fields, doubled quotes, commas and newlines inside. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (quoted || (c !== ',' && c !== '\n' && c !== '\r')) field += c;
    else if (c === ',') endField();
    else if (c === '\n') {
      endField();
      rows.push(row);
      row = [];
    }
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

/** hledger's own reading of the journal: one record per posting. */
async function postings(file: string): Promise<Record<string, string>[]> {
  return records(await hledger(file, 'print', '-O', 'csv'));
}

describeWith(HLEDGER, INSTALL_HINT, 'file connector', () => {
  let dir: string;
  let connector: FileConnector;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'revtrail-file-connector-'));
    connector = openFileConnector({ dir, runId: 'conformance', accounts: CHART });
  });
  afterAll(async () => {
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the contract', () => {
    connectorConformance(
      () => ({
        connector: () => connector,
        documents: async (journalId) =>
          new Set((await postings(connector.journalPath)).filter((p) => p.code === journalId).map((p) => p.txnidx))
            .size,
        postedLines: async (_id, journalId) =>
          (await postings(connector.journalPath))
            .filter((p) => p.code === journalId)
            .map((p) => ({ account: p.account!, amount: p.amount! })),
      }),
      { knowsAccounts: true, closesPeriods: false }, // a file has no periods to close
    );
  });

  it('hledger bal per account equals the sum of the submitted journals, and hledger check --strict passes', async () => {
    const file = openFileConnector({ dir, runId: 'balances' });
    const journals = fc.sample(arbitraryJournal, { numRuns: 40, seed: 606 });
    for (const j of journals) expect(await file.submit(j)).toMatchObject({ status: 'posted', alreadyPosted: false });
    // Resubmitting everything appends nothing: the balances must not double.
    for (const j of journals) expect(await file.submit(j)).toMatchObject({ status: 'posted', alreadyPosted: true });

    await hledger(file.journalPath, 'check', '--strict');
    const expected = new Map<string, Decimal>();
    for (const j of journals) {
      for (const l of j.lines) {
        const amount = new Decimal(l.debit).minus(l.credit);
        expected.set(l.account, (expected.get(l.account) ?? new Decimal(0)).plus(amount));
      }
    }
    const balances = records(await hledger(file.journalPath, 'bal', '-E', '--no-total', '-O', 'csv'));
    const actual = new Map(balances.map((b) => [b.account!, new Decimal(b.balance!.replace(/ USD$/u, ''))]));
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [account, sum] of expected) expect(actual.get(account)?.toFixed(), account).toBe(sum.toFixed());
    expect(new Set((await postings(file.journalPath)).map((p) => p.txnidx)).size).toBe(journals.length);
  });

  it('reopening a run rebuilds its index from the journal: resubmissions append nothing, new journals continue', async () => {
    const first = openFileConnector({ dir, runId: 'reopen' });
    const odd = journal({ journalId: 'J 7 (retry), 100% über' });
    const plain = journal();
    const oddOutcome = await first.submit(odd);
    const plainOutcome = await first.submit(plain);
    await first.close();
    const before = readFileSync(first.journalPath, 'utf8');
    const csvBefore = readFileSync(first.csvPath, 'utf8');

    const second = openFileConnector({ dir, runId: 'reopen' });
    expect(await second.find(odd.journalId)).toBe((oddOutcome as { erpDocumentId: string }).erpDocumentId);
    expect(await second.submit(plain)).toEqual({ ...plainOutcome, alreadyPosted: true });
    expect(await second.submit(odd)).toEqual({ ...oddOutcome, alreadyPosted: true });
    expect(readFileSync(second.journalPath, 'utf8')).toBe(before);
    expect(readFileSync(second.csvPath, 'utf8')).toBe(csvBefore);

    const later = journal({ date: '2026-02-28', lines: [line('1300', '7.50', '0'), line('4100', '0', '7.50')] });
    const laterOutcome = await second.submit(later);
    // The document id names the transaction's first line.
    const [, lineNo] = (laterOutcome as { erpDocumentId: string }).erpDocumentId.split(':');
    const text = readFileSync(second.journalPath, 'utf8').split('\n');
    expect(text[Number(lineNo) - 1]).toMatch(new RegExp(`^2026-02-28 \\(${later.journalId}\\) `, 'u'));
    await hledger(second.journalPath, 'check', '--strict');
    const txns = new Set((await postings(second.journalPath)).map((p) => p.txnidx));
    expect(txns.size).toBe(3);
  });

  it('a journal an earlier run wrote is found by the next run in the same directory, not written again', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'revtrail-file-runs-'));
    try {
      const crashed = openFileConnector({ dir: runs, runId: 'run-1' });
      const j = journal({ journalId: 'J-cross-run' });
      const first = await crashed.submit(j); // its answer lost: Revtrail never recorded it as posted
      await crashed.close();
      const next = openFileConnector({ dir: runs, runId: 'run-2' });
      expect(await next.find(j.journalId)).toBe((first as { erpDocumentId: string }).erpDocumentId);
      expect(await next.submit(j)).toEqual({ ...first, alreadyPosted: true });
      expect(existsSync(next.journalPath)).toBe(false); // nothing to write: no file
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  });

  it('writes one CSV row per line with every dimension, quoting what needs it', async () => {
    const file = openFileConnector({ dir, runId: 'csv' });
    const tricky: JournalLine = line('4010', '0', '250.00', {
      description: 'Recognised, "pro" tier\nsecond line',
      dimensions: {
        legalEntity: 'LE-US',
        contractId: 'C-9',
        customerId: 'CUST, Inc.',
        sku: 'PRO',
        obligation: 'OB-2',
        region: 'EU',
      },
    });
    const j = journal({
      description: 'Contract C-9, March',
      date: '2026-03-31',
      lines: [line('1300', '250.00', '0'), tricky],
    });
    await file.submit(j);
    const rows = records(readFileSync(file.csvPath, 'utf8'));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({
      journalId: j.journalId,
      date: '2026-03-31',
      period: '2026-03',
      currency: 'USD',
      journalDescription: 'Contract C-9, March',
      line: '2',
      account: '4010',
      debit: '0',
      credit: '250.00',
      description: 'Recognised, "pro" tier\nsecond line',
      legalEntity: 'LE-US',
      contractId: 'C-9',
      customerId: 'CUST, Inc.',
      sku: 'PRO',
      obligation: 'OB-2',
      otherDimensions: '{"region":"EU"}',
    });
    // hledger still reads the journal, the newline flattened and the dimensions as tags.
    await hledger(file.journalPath, 'check', '--strict');
    const tagged = records(await hledger(file.journalPath, 'reg', 'tag:contractId=C-9', 'tag:region=EU', '-O', 'csv'));
    expect(tagged.map((p) => p.account)).toEqual(['4010']);
  });

  it('an unbalanced or unknown-account journal writes nothing: a run that posts nothing leaves no files', async () => {
    const file = openFileConnector({ dir, runId: 'refused', accounts: CHART });
    const unbalanced = journal({ lines: [line('1100', '10.00', '0'), line('4000', '0', '10.001')] });
    expect(await file.submit(unbalanced)).toMatchObject({ code: 'UNBALANCED' });
    expect(await file.submit(journal({ lines: [line('9', '1', '0'), line('4000', '0', '1')] }))).toMatchObject({
      code: 'UNKNOWN_ACCOUNT',
    });
    expect(existsSync(file.journalPath)).toBe(false);
    expect(existsSync(file.csvPath)).toBe(false);
  });
});

const cents = fc.bigInt({ min: 1n, max: 100_000_000n }).map((c) => new Decimal(c.toString()).div(100).toFixed(2));

/** Balanced journals: 1–4 random lines on the chart, and a last line that balances them. */
const arbitraryJournal: fc.Arbitrary<JournalSubmission> = fc
  .record({
    id: fc.uuid(),
    month: fc.integer({ min: 1, max: 12 }),
    description: fc.string({ maxLength: 30 }),
    lines: fc.array(
      fc.record({
        account: fc.constantFrom(...CHART),
        amount: cents,
        debit: fc.boolean(),
        note: fc.string({ maxLength: 20 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    balancing: fc.constantFrom(...CHART),
  })
  .map(({ id, month, description, lines, balancing }) => {
    const mm = String(month).padStart(2, '0');
    const jl = lines.map((l) =>
      line(l.account, l.debit ? l.amount : '0.00', l.debit ? '0.00' : l.amount, { description: l.note }),
    );
    const net = jl.reduce((s, l) => s.plus(l.debit).minus(l.credit), new Decimal(0));
    const last = net.isNegative()
      ? line(balancing, net.neg().toFixed(2), '0.00')
      : line(balancing, '0.00', net.toFixed(2));
    return journal({ journalId: `J-${id}`, date: `2026-${mm}-15`, description, lines: [...jl, last] });
  });
