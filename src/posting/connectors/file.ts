// The file connector: a posting run becomes `<dir>/<runId>.journal`, an hledger journal (one transaction per journal,
// its code the journal id) that `hledger check` and `hledger bal` read as they are, and `<dir>/<runId>.csv`, one row
// per line with every dimension. The journal file is the record: reopening a run rebuilds the journal-id index from
// it, so a resubmission appends nothing, in this process or the next; the other runs' journal files in the same
// directory are indexed too, so a journal an interrupted run wrote is found by the run that retries it.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DIMENSION_KEYS,
  assertWellFormed,
  correlationTags,
  imbalanceOf,
  lineNote,
  oneLine,
  rejected,
  signedAmountOf,
} from './types.js';
import type { Connector, JournalSubmission } from './types.js';
import type { JournalLine, SubmitOutcome } from '../../../schemas/index.js';

export interface FileConnectorOptions {
  dir: string;
  /** Names the files; letters, digits, `.`, `_` and `-` only. */
  runId: string;
  /** The chart of account codes; absent, every code is accepted. */
  accounts?: Iterable<string>;
}

const CSV_COLUMNS = [
  'journalId',
  'date',
  'period',
  'currency',
  'journalDescription',
  'line',
  'account',
  'debit',
  'credit',
  'description',
  ...DIMENSION_KEYS,
  'otherDimensions',
] as const;

/** hledger guesses the decimal mark of an ambiguous amount such as "1.000"; the directive leaves nothing to guess. */
const JOURNAL_HEADER = (runId: string): string =>
  `; Revtrail posting run ${runId}: one transaction per journal, its code the journal id.\ndecimal-mark .\n`;

const TRANSACTION = /^\d{4}-\d{2}-\d{2} \(([^)]*)\)/;
const ACCOUNT_DIRECTIVE = /^account (.+)$/;
const COMMODITY_DIRECTIVE = /^commodity (.+)$/;
/**
 * Codes hledger reads back as the same account: no double spaces or tabs (they end the name), no `;`, and no
 * brackets or parentheses (they make a posting virtual).
 */
const SAFE_ACCOUNT = /^[^\s;()[\]]+( [^\s;()[\]]+)*$/;
const SAFE_COMMODITY = /^[A-Za-z]+$/;

/** Why the file connector cannot post to an account code; null when it can. */
export function fileAccountProblem(code: string): string | null {
  return SAFE_ACCOUNT.test(code)
    ? null
    : 'the file connector (hledger) cannot post to it: no double spaces, tabs, ";", brackets or parentheses';
}

/**
 * The transaction code for a journal id: hledger ends the code at `)`, so anything outside a plain set is
 * percent-encoded (UTF-8), `%` included, which keeps the mapping reversible.
 */
function codeOf(journalId: string): string {
  return journalId.replace(/[^A-Za-z0-9._:/-]/gu, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** A tag value ends at a comma in hledger; the CSV keeps the exact value. */
function tagValue(text: string): string {
  return oneLine(text).replaceAll(',', ' ');
}

/** Debit minus credit, written with as many decimals as the journal gave ("100.00" stays "-100.00", not "-100"). */
function amountText(l: JournalLine): string {
  const places = Math.max(...[l.debit, l.credit].map((s) => s.split('.')[1]?.length ?? 0));
  return signedAmountOf(l).toFixed(places);
}

function csvField(value: string): string {
  return /[",\r\n]/u.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export class FileConnector implements Connector {
  readonly name = 'file';
  readonly journalPath: string;
  readonly csvPath: string;
  private readonly runId: string;
  private readonly chart: Set<string> | null;
  private readonly byJournalId = new Map<string, string>();
  private readonly declaredAccounts = new Set<string>();
  private readonly declaredCommodities = new Set<string>();
  private lineCount = 0;
  private closed = false;

  constructor(options: FileConnectorOptions) {
    if (!/^[A-Za-z0-9._-]+$/u.test(options.runId) || options.runId.startsWith('.')) {
      throw new Error(`file connector: run id ${JSON.stringify(options.runId)} cannot name a file`);
    }
    this.runId = options.runId;
    this.chart = options.accounts ? new Set(options.accounts) : null;
    this.journalPath = join(options.dir, `${options.runId}.journal`);
    this.csvPath = join(options.dir, `${options.runId}.csv`);
    mkdirSync(options.dir, { recursive: true });
    // The directory is the ERP: a journal an earlier run's file holds (its answer lost in a crash) is found there,
    // not written a second time into this run's file.
    for (const name of readdirSync(options.dir).sort()) {
      if (name.endsWith('.journal') && name !== `${options.runId}.journal`) {
        this.index(readFileSync(join(options.dir, name), 'utf8'), name);
      }
    }
    // A run that posts nothing leaves nothing behind: the files are created by the first journal written.
    if (existsSync(this.journalPath)) this.recover(readFileSync(this.journalPath, 'utf8'));
  }

  async submit(journal: JournalSubmission): Promise<SubmitOutcome> {
    this.assertOpen();
    assertWellFormed(journal);
    for (const l of journal.lines) {
      if (!SAFE_ACCOUNT.test(l.account)) throw new Error(`file connector: account ${JSON.stringify(l.account)}`);
    }
    if (!SAFE_COMMODITY.test(journal.currency)) {
      throw new Error(`file connector: currency ${JSON.stringify(journal.currency)}`);
    }
    const existing = this.byJournalId.get(journal.journalId);
    if (existing) return { status: 'posted', erpDocumentId: existing, alreadyPosted: true };
    const unknown = this.chart ? journal.lines.find((l) => !this.chart?.has(l.account)) : undefined;
    if (unknown) return rejected('UNKNOWN_ACCOUNT', `account ${unknown.account} is not in the chart`);
    const imbalance = imbalanceOf(journal.lines);
    if (!imbalance.isZero()) {
      return rejected('UNBALANCED', `debits minus credits is ${imbalance.toFixed()}, not zero`);
    }
    // Synchronous appends: concurrent submissions cannot interleave. The CSV goes first so that a crash between the
    // two writes leaves a journal absent from the record (the retry writes it, the CSV gets its rows twice, each
    // carrying the journal id) rather than a recorded journal whose CSV rows are missing for good.
    if (!existsSync(this.csvPath)) writeFileSync(this.csvPath, `${CSV_COLUMNS.join(',')}\n`);
    appendFileSync(this.csvPath, this.csvRows(journal));
    if (!existsSync(this.journalPath)) this.write(JOURNAL_HEADER(this.runId));
    const { text, header } = this.transaction(journal);
    // The document id is where the transaction starts: `<runId>.journal:<line>`.
    const erpDocumentId = `${this.runId}.journal:${this.lineCount + header + 1}`;
    this.write(text);
    this.byJournalId.set(journal.journalId, erpDocumentId);
    this.declaredCommodities.add(journal.currency);
    for (const l of journal.lines) this.declaredAccounts.add(l.account);
    return { status: 'posted', erpDocumentId, alreadyPosted: false };
  }

  async find(journalId: string): Promise<string | null> {
    this.assertOpen();
    return this.byJournalId.get(journalId) ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * The text appended for a journal: directives for the accounts and commodity not declared yet (`hledger check
   * --strict` wants them), then the transaction, whose header is line `header` (0-based) of the text.
   */
  private transaction(j: JournalSubmission): { text: string; header: number } {
    const directives = [
      ...(this.declaredCommodities.has(j.currency) ? [] : [`commodity ${j.currency}`]),
      ...[...new Set(j.lines.map((l) => l.account))]
        .filter((a) => !this.declaredAccounts.has(a))
        .map((a) => `account ${a}`),
    ];
    const before = ['', ...directives, ...(directives.length > 0 ? [''] : [])];
    // The correlation ids as transaction tags: `hledger print tag:correlationId=<id>` finds the journal.
    const meta = [
      `journalId: ${tagValue(j.journalId)}, legalEntity: ${tagValue(j.legalEntity)}, period: ${j.period}`,
      correlationTags(j.correlationIds),
    ]
      .filter((s) => s !== '')
      .join(', ');
    const text = [
      ...before,
      // hledger ends a description at `;` (a comment follows): keep the whole description in it.
      `${j.date} (${codeOf(j.journalId)}) ${oneLine(j.description).replaceAll(';', ',')}`.trimEnd(),
      `    ; ${meta}`,
      ...j.lines.map((l) => `    ${l.account}  ${amountText(l)} ${j.currency}  ; ${lineNote(l)}`),
    ];
    return { text: `${text.join('\n')}\n`, header: before.length };
  }

  private csvRows(j: JournalSubmission): string {
    const known = new Set<string>(DIMENSION_KEYS);
    return j.lines
      .map((l, i) => {
        const dims: Record<string, string> = { legalEntity: j.legalEntity, ...l.dimensions };
        const other = Object.fromEntries(Object.entries(dims).filter(([k]) => !known.has(k)));
        const row: Record<(typeof CSV_COLUMNS)[number], string> = {
          journalId: j.journalId,
          date: j.date,
          period: j.period,
          currency: j.currency,
          journalDescription: j.description,
          line: String(i + 1),
          account: l.account,
          debit: l.debit,
          credit: l.credit,
          description: l.description,
          legalEntity: dims.legalEntity ?? '',
          contractId: dims.contractId ?? '',
          customerId: dims.customerId ?? '',
          sku: dims.sku ?? '',
          obligation: dims.obligation ?? '',
          otherDimensions: Object.keys(other).length > 0 ? JSON.stringify(other) : '',
        };
        return `${CSV_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;
      })
      .join('');
  }

  private write(text: string): void {
    appendFileSync(this.journalPath, text);
    this.lineCount += text.split('\n').length - 1;
  }

  /** Records the journal ids a journal file holds, as `<file>:<line of the transaction>`. */
  private index(text: string, file: string): void {
    for (const [i, line] of text.split('\n').entries()) {
      const code = TRANSACTION.exec(line)?.[1];
      if (code !== undefined && !this.byJournalId.has(decodeURIComponent(code)))
        this.byJournalId.set(decodeURIComponent(code), `${file}:${i + 1}`);
    }
  }

  private recover(text: string): void {
    this.index(text, `${this.runId}.journal`);
    const lines = text.split('\n');
    for (const line of lines) {
      const account = ACCOUNT_DIRECTIVE.exec(line)?.[1];
      if (account !== undefined) this.declaredAccounts.add(account);
      const commodity = COMMODITY_DIRECTIVE.exec(line)?.[1];
      if (commodity !== undefined) this.declaredCommodities.add(commodity);
    }
    this.lineCount = lines.length - 1;
    // A write cut short leaves no final newline; the next transaction must still start on a line of its own.
    if (!text.endsWith('\n')) this.write('\n');
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('file connector: used after close()');
  }
}

/** Opens (or reopens) the files of one posting run. */
export function openFileConnector(options: FileConnectorOptions): FileConnector {
  return new FileConnector(options);
}
