// Which tables can be exported, what each needs to be asked (its query, checked by zod), and loading one through the
// same reader GraphQL and REST answer with (src/audit): an export never computes a figure of its own. Every table is
// bounded: the waterfall by its span, the others by a row cap checked before anything is written.
import { z } from 'zod';
import { EXCEPTION_KINDS } from '../../projections/index.js';
import type { RevenueScheduleDoc } from '../../projections/index.js';
import { Id, Period } from '../../schemas/index.js';
import {
  deferredRevenueRollforward,
  periodJournals,
  reconciliation,
  revenueWaterfall,
  scheduleView,
  waterfallSpanProblem,
} from '../audit/index.js';
import type { ExceptionDeps } from '../audit/exceptions.js';
import { listExceptions } from '../audit/exceptions.js';
import type { Table } from './table.js';
import {
  exceptionsTable,
  journalsTable,
  reconciliationContractsTable,
  reconciliationTable,
  rollforwardTable,
  scheduleTable,
  waterfallTable,
} from './table.js';

/** Rows an export holds unless configured otherwise (REVTRAIL_EXPORT_MAX_ROWS). */
export const DEFAULT_EXPORT_MAX_ROWS = 100_000;

const EntityPeriod = z.strictObject({ legalEntity: Id, period: Period });

/** The query each table takes. */
export const EXPORT_QUERIES = {
  waterfall: z.strictObject({
    legalEntity: Id,
    /** Shorthand for from = to = period. */
    period: Period.optional(),
    from: Period.optional(),
    to: Period.optional(),
  }),
  rollforward: EntityPeriod,
  reconciliation: EntityPeriod,
  'reconciliation-contracts': EntityPeriod,
  journals: EntityPeriod,
  schedule: z.strictObject({ contractId: Id }),
  exceptions: z.strictObject({
    legalEntity: Id.optional(),
    kind: z.enum(EXCEPTION_KINDS).optional(),
    status: z.enum(['open', 'acknowledged', 'resolved', 'ignored', 'active', 'all']).optional(),
    contractId: Id.optional(),
  }),
} as const;

export type ExportTableName = keyof typeof EXPORT_QUERIES;
export const EXPORT_TABLES = Object.keys(EXPORT_QUERIES) as ExportTableName[];
export type ExportQuery<T extends ExportTableName> = z.infer<(typeof EXPORT_QUERIES)[T]>;

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Why an export is refused: an HTTP status, a code, and a detail naming the parameter and the rule. */
export interface ExportProblem {
  status: 400 | 404 | 413;
  code: string;
  detail: string;
}

export const isExportProblem = (x: Table | ExportProblem): x is ExportProblem => 'code' in x;

export function tooLarge(rows: number, maxRows: number, what = 'rows'): ExportProblem {
  return {
    status: 413,
    code: 'EXPORT_TOO_LARGE',
    detail: `the export would hold ${rows} ${what}; at most ${maxRows} (REVTRAIL_EXPORT_MAX_ROWS): narrow it by legal entity, period or filter`,
  };
}

async function waterfall(deps: ExceptionDeps, q: ExportQuery<'waterfall'>): Promise<Table | ExportProblem> {
  const from = q.from ?? q.period;
  const to = q.to ?? q.period;
  if (from === undefined || to === undefined)
    return { status: 400, code: 'VALIDATION_FAILED', detail: 'from, to: both required (YYYY-MM), or period' };
  const span = waterfallSpanProblem(from, to);
  if (span) return { status: 400, code: 'VALIDATION_FAILED', detail: span };
  return waterfallTable(await revenueWaterfall(deps, q.legalEntity, from, to));
}

async function schedule(deps: ExceptionDeps, q: ExportQuery<'schedule'>): Promise<Table | ExportProblem> {
  const doc = (await deps.read.get('revenue-schedule', q.contractId)) as RevenueScheduleDoc | null;
  if (!doc?.schedule)
    return { status: 404, code: 'UNKNOWN_CONTRACT', detail: `contractId: no revenue schedule for ${q.contractId}` };
  return scheduleTable(q.contractId, scheduleView(doc.schedule));
}

async function exceptions(
  deps: ExceptionDeps,
  q: ExportQuery<'exceptions'>,
  maxRows: number,
): Promise<Table | ExportProblem> {
  const filter = {
    kind: q.kind ?? null,
    legalEntity: q.legalEntity ?? null,
    status: q.status ?? null,
    contractId: q.contractId ?? null,
  };
  const { items, total } = await listExceptions(deps, filter, { limit: maxRows, offset: 0 });
  return total > maxRows ? tooLarge(total, maxRows) : exceptionsTable(items);
}

/** Loads a table for a query its schema accepted; a table longer than `maxRows` is refused, not truncated. */
export async function loadTable<T extends ExportTableName>(
  deps: ExceptionDeps,
  name: T,
  query: ExportQuery<T>,
  maxRows: number,
): Promise<Table | ExportProblem> {
  const table = await load(deps, name, query, maxRows);
  if (!isExportProblem(table) && table.rows.length > maxRows) return tooLarge(table.rows.length, maxRows);
  return table;
}

async function load(
  deps: ExceptionDeps,
  name: ExportTableName,
  query: unknown,
  maxRows: number,
): Promise<Table | ExportProblem> {
  switch (name) {
    case 'waterfall':
      return waterfall(deps, query as ExportQuery<'waterfall'>);
    case 'schedule':
      return schedule(deps, query as ExportQuery<'schedule'>);
    case 'exceptions':
      return exceptions(deps, query as ExportQuery<'exceptions'>, maxRows);
  }
  const { legalEntity, period } = query as ExportQuery<'rollforward'>;
  switch (name) {
    case 'rollforward':
      return rollforwardTable(await deferredRevenueRollforward(deps, legalEntity, period));
    case 'reconciliation':
      return reconciliationTable(await reconciliation(deps, legalEntity, period));
    case 'reconciliation-contracts':
      return reconciliationContractsTable(await reconciliation(deps, legalEntity, period));
    case 'journals':
      return journalsTable(await periodJournals(deps.read, legalEntity, period));
  }
}
