// Exports over HTTP (docs/http.md, "Exports"), `read` scope: any report table as CSV or XLSX
// (GET /v1/exports/<table>.<csv|xlsx>), and the audit evidence pack of a legal entity's period (GET /v1/evidence).
// Both load through the audit readers GraphQL answers with; a bad table, format or parameter is a 400 naming it,
// a table or pack over its bound a 413 naming the rule.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ExceptionDeps } from '../audit/exceptions.js';
import type { KeyRing } from '../auth/index.js';
import type { Config } from '../config.js';
import {
  EXPORT_FORMATS,
  EXPORT_QUERIES,
  EXPORT_TABLES,
  isExportProblem,
  evidenceFileName,
  evidencePack,
  isEvidencePack,
  loadTable,
  readModelCheckpoints,
  toCsv,
  toXlsx,
} from '../exports/index.js';
import type { ExportFormat, ExportProblem, ExportQuery, ExportTableName } from '../exports/index.js';
import { Id, Period } from '../../schemas/index.js';
import type { ProjectionStatus } from '../runner/index.js';
import { parseOrReply, sendProblem } from './problem.js';

export interface ExportRoutesOptions {
  deps: ExceptionDeps;
  keys: KeyRing;
  limits: Config['exports'];
  /** The projections' status: where the read models stand, recorded in an evidence pack's manifest. */
  status: () => Promise<ProjectionStatus[]>;
}

const EvidenceQuery = z.strictObject({ legalEntity: Id, period: Period });

export const CONTENT_TYPES: Record<ExportFormat | 'zip', string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  zip: 'application/zip',
};

const FileParams = z.object({ file: z.string().max(64) });
const FILE = /^([a-z-]+)\.([a-z]+)$/;

/** `<table>.<format>` checked: the table and the format, or the problem naming which part is wrong. */
function parseFile(file: string): { table: ExportTableName; format: ExportFormat } | ExportProblem {
  const m = FILE.exec(file);
  const table = m?.[1] as ExportTableName | undefined;
  const format = m?.[2] as ExportFormat | undefined;
  if (!table || !EXPORT_TABLES.includes(table))
    return {
      status: 404,
      code: 'UNKNOWN_EXPORT',
      detail: `table: ${JSON.stringify(table ?? file)} is not exported; tables: ${EXPORT_TABLES.join(', ')}`,
    };
  if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format))
    return {
      status: 404,
      code: 'UNKNOWN_EXPORT',
      detail: `format: ${JSON.stringify(format ?? '')} is not an export format; formats: ${EXPORT_FORMATS.join(', ')}`,
    };
  return { table, format };
}

export function sendExportProblem(reply: FastifyReply, p: ExportProblem): FastifyReply {
  const title = { 400: 'Bad Request', 404: 'Not Found', 413: 'Payload Too Large' }[p.status];
  return sendProblem(reply, { title, status: p.status, code: p.code, detail: p.detail });
}

export function sendFile(reply: FastifyReply, format: ExportFormat | 'zip', name: string, body: string | Buffer) {
  return reply
    .header('content-type', CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="${name}.${format}"`)
    .header('cache-control', 'no-store')
    .send(body);
}

/** A file name that says what is in it: `waterfall-US01-2026-01-2026-03`. */
function fileName(table: string, query: Record<string, unknown>): string {
  const parts = ['legalEntity', 'contractId', 'period', 'from', 'to', 'kind', 'status']
    .map((k) => query[k])
    .filter((v): v is string => typeof v === 'string');
  return [table, ...parts].join('-').replace(/[^A-Za-z0-9._-]/g, '_');
}

export const exportRoutes: FastifyPluginAsync<ExportRoutesOptions> = async (app, options) => {
  const { deps, keys, limits, status } = options;
  app.get(
    '/v1/exports/:file',
    {
      preHandler: keys.require('read'),
      schema: {
        summary: `A report table as CSV (RFC 4180) or XLSX: ${EXPORT_TABLES.join(', ')}`,
        description:
          'waterfall: legalEntity, from, to (or period); rollforward, reconciliation, reconciliation-contracts, ' +
          'journals: legalEntity, period; schedule: contractId; exceptions: legalEntity, kind, status, contractId ' +
          `(all optional). At most REVTRAIL_EXPORT_MAX_ROWS rows (413 EXPORT_TOO_LARGE beyond).`,
        tags: ['exports'],
        params: { type: 'object', properties: { file: { type: 'string', pattern: '^[a-z-]+\\.(csv|xlsx)$' } } },
      },
    },
    async (req, reply) => {
      const params = parseOrReply(FileParams, req.params, reply);
      if (!params) return reply;
      const file = parseFile(params.file);
      if ('code' in file) return sendExportProblem(reply, file);
      const query = parseOrReply<ExportQuery<ExportTableName>>(EXPORT_QUERIES[file.table], req.query, reply);
      if (!query) return reply;
      const table = await loadTable(deps, file.table, query, limits.maxRows);
      if (isExportProblem(table)) return sendExportProblem(reply, table);
      const name = fileName(file.table, query);
      return sendFile(reply, file.format, name, file.format === 'csv' ? toCsv(table) : await toXlsx(table));
    },
  );

  app.get(
    '/v1/evidence',
    {
      preHandler: keys.require('read'),
      schema: {
        summary: "A legal entity's period as an audit evidence pack (ZIP with a SHA-256 manifest; docs/evidence.md)",
        description:
          'Reconciliation, waterfall (year to date), roll-forward and journals as CSV and XLSX, the lineage of every ' +
          'journal of the period, the verification of the whole log and its anchor. At most ' +
          'REVTRAIL_EVIDENCE_MAX_JOURNALS journals (413 EVIDENCE_TOO_LARGE beyond). The same bytes as `revtrail evidence`.',
        tags: ['exports'],
        querystring: {
          type: 'object',
          required: ['legalEntity', 'period'],
          properties: { legalEntity: { type: 'string' }, period: { type: 'string', pattern: '^\\d{4}-\\d{2}$' } },
        },
      },
    },
    async (req, reply) => {
      const query = parseOrReply(EvidenceQuery, req.query, reply);
      if (!query) return reply;
      const pack = await evidencePack(deps, {
        ...query,
        readModels: readModelCheckpoints(await status()),
        limits: { maxRows: limits.maxRows, maxJournals: limits.evidenceMaxJournals },
      });
      if (!isEvidencePack(pack)) return sendExportProblem(reply, pack);
      return sendFile(reply, 'zip', evidenceFileName(query.legalEntity, query.period), pack.archive);
    },
  );
};
