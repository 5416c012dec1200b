// The audit evidence pack of a legal entity's period (docs/evidence.md): one ZIP holding the reconciliation, the
// waterfall (the year to date), the deferred revenue roll-forward and the period's journals, each as CSV and XLSX;
// every journal's lineage as JSON; the hash-chain verification of the whole log and its head's anchor; and
// manifest.json with each file's size and SHA-256. Everything comes from the readers GraphQL answers with (src/audit)
// and `revtrail verify` (src/store), so the pack says what the API says. No moment of making is recorded in it and
// its archive is deterministic (zip.ts): the same ledger state gives the same bytes, from the service or the CLI.
import { createHash } from 'node:crypto';
import {
  deferredRevenueRollforward,
  lineage,
  periodJournals,
  reconciliation,
  revenueWaterfall,
} from '../audit/index.js';
import type { AuditDeps } from '../audit/index.js';
import { verify } from '../store/index.js';
import { toCsv } from './csv.js';
import type { ExportProblem } from './load.js';
import { tooLarge } from './load.js';
import type { Table } from './table.js';
import {
  journalsTable,
  reconciliationContractsTable,
  reconciliationTable,
  rollforwardTable,
  waterfallTable,
} from './table.js';
import { toXlsx } from './xlsx.js';
import type { ZipEntry } from './zip.js';
import { deterministicZip } from './zip.js';

/** Journals one pack holds unless configured otherwise (REVTRAIL_EVIDENCE_MAX_JOURNALS). */
export const DEFAULT_EVIDENCE_MAX_JOURNALS = 5_000;

export const EVIDENCE_FORMAT = 'revtrail-evidence/1';

/** The read models the pack's figures come from: where each stood is recorded in the manifest. */
export const EVIDENCE_READ_MODELS = ['contract-versions', 'revenue-schedule', 'posting-status'];

/** The checkpoints of the pack's read models, out of the projections' status. */
export function readModelCheckpoints(
  status: readonly { projection: string; checkpoint: string | null }[],
): EvidenceRequest['readModels'] {
  return status
    .filter((s) => EVIDENCE_READ_MODELS.includes(s.projection))
    .map(({ projection, checkpoint }) => ({ projection, checkpoint }));
}

export interface EvidenceRequest {
  legalEntity: string;
  period: string;
  /** Where each read model stood (its checkpoint, a log position) when the pack was read: recorded in the manifest. */
  readModels: { projection: string; checkpoint: string | null }[];
  limits: { maxRows: number; maxJournals: number };
}

export interface ManifestFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface EvidenceManifest {
  format: typeof EVIDENCE_FORMAT;
  legalEntity: string;
  period: string;
  /** The waterfall's range: the calendar year to date through the period. */
  waterfall: { from: string; to: string };
  journals: number;
  verified: boolean;
  /** The digest of the log head (`rt1:<position>:<chain hash>`, as `revtrail verify --anchor`); null unless verified. */
  anchor: string | null;
  readModels: EvidenceRequest['readModels'];
  files: ManifestFile[];
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

async function tableFiles(table: Table, name: string): Promise<ZipEntry[]> {
  return [
    { name: `${name}.csv`, data: toCsv(table) },
    { name: `${name}.xlsx`, data: await toXlsx(table) },
  ];
}

/** The report tables of the pack, each checked against the row cap. */
async function reportTables(deps: AuditDeps, r: EvidenceRequest, from: string): Promise<Table[] | ExportProblem> {
  const [recon, waterfall, rollforward] = await Promise.all([
    reconciliation(deps, r.legalEntity, r.period),
    revenueWaterfall(deps, r.legalEntity, from, r.period),
    deferredRevenueRollforward(deps, r.legalEntity, r.period),
  ]);
  const tables = [
    reconciliationTable(recon),
    reconciliationContractsTable(recon),
    waterfallTable(waterfall),
    rollforwardTable(rollforward),
  ];
  const largest = Math.max(...tables.map((t) => t.rows.length));
  return largest > r.limits.maxRows ? tooLarge(largest, r.limits.maxRows) : tables;
}

/** The pack's file name, without its extension: `evidence-US01-2026-03`. */
export const evidenceFileName = (legalEntity: string, period: string): string => `evidence-${legalEntity}-${period}`;

export interface EvidencePack {
  archive: Buffer;
  manifest: EvidenceManifest;
}

export const isEvidencePack = (x: EvidencePack | ExportProblem): x is EvidencePack => 'archive' in x;

/** The pack as a ZIP and its manifest, or why it is refused (a bound exceeded); never a partial pack. */
export async function evidencePack(deps: AuditDeps, r: EvidenceRequest): Promise<EvidencePack | ExportProblem> {
  const journals = await periodJournals(deps.read, r.legalEntity, r.period);
  if (journals.length > r.limits.maxJournals)
    return {
      status: 413,
      code: 'EVIDENCE_TOO_LARGE',
      detail: `the period has ${journals.length} journals; a pack holds the lineage of at most ${r.limits.maxJournals} (REVTRAIL_EVIDENCE_MAX_JOURNALS)`,
    };
  const from = `${r.period.slice(0, 4)}-01`;
  const tables = await reportTables(deps, r, from);
  if (!Array.isArray(tables)) return tables;
  const entries: ZipEntry[] = [];
  for (const table of [...tables, journalsTable(journals)]) entries.push(...(await tableFiles(table, table.name)));
  for (const { contractId, journal } of journals) {
    const traced = await lineage(deps, journal.journalId, { contractId });
    entries.push({ name: `lineage/${journal.journalId}.json`, data: json(traced) });
  }
  const report = await verify(deps.store);
  entries.push({ name: 'verify.json', data: json(report) });
  entries.push({ name: 'anchor.txt', data: report.anchor === null ? '' : `${report.anchor}\n` });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const manifest: EvidenceManifest = {
    format: EVIDENCE_FORMAT,
    legalEntity: r.legalEntity,
    period: r.period,
    waterfall: { from, to: r.period },
    journals: journals.length,
    verified: report.ok,
    anchor: report.anchor,
    readModels: r.readModels,
    files: entries.map((e) => ({
      name: e.name,
      bytes: typeof e.data === 'string' ? Buffer.byteLength(e.data) : e.data.byteLength,
      sha256: sha256(e.data),
    })),
  };
  const archive = await deterministicZip([{ name: 'manifest.json', data: json(manifest) }, ...entries]);
  return { archive, manifest };
}
