// Exports: the audit readers' answers as tables (table.ts, pure), written as RFC 4180 CSV or XLSX (exceljs), and
// the audit evidence pack, a deterministic ZIP with a SHA-256 manifest (evidence.ts).
export * from './table.js';
export { moneyFormat, moneyText, toCsv } from './csv.js';
export { addWorksheet, toXlsx } from './xlsx.js';
export { deterministicZip, normaliseZip } from './zip.js';
export type { ZipEntry } from './zip.js';
export {
  DEFAULT_EXPORT_MAX_ROWS,
  EXPORT_FORMATS,
  EXPORT_QUERIES,
  EXPORT_TABLES,
  isExportProblem,
  loadTable,
  tooLarge,
} from './load.js';
export type { ExportFormat, ExportProblem, ExportQuery, ExportTableName } from './load.js';
export {
  DEFAULT_EVIDENCE_MAX_JOURNALS,
  EVIDENCE_FORMAT,
  EVIDENCE_READ_MODELS,
  evidenceFileName,
  evidencePack,
  isEvidencePack,
  readModelCheckpoints,
} from './evidence.js';
export type { EvidenceManifest, EvidencePack, EvidenceRequest, ManifestFile } from './evidence.js';
