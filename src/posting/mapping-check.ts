// Checks a mapping set against the ERP it will be posted to before it is published, so an account code that cannot
// be posted is refused where it is typed rather than found by a posting run. Two kinds of check: a code the
// configured connector cannot write at all (its syntax) refuses the publication, with the field path; a code the
// ERP's chart does not hold (Tryton) is a warning — the mapping is often published before the account is opened in
// the ERP, and a journal refused UNKNOWN_ACCOUNT meanwhile is re-prepared and posted once it is.
import type {
  AccountMappingSet,
  DomainError,
  MappingKind,
  MappingSet,
  ProductMappingSet,
} from '../../schemas/index.js';
import { domainError } from '../../schemas/index.js';
import type { Erp } from './erp.js';
import { fileAccountProblem } from './connectors/index.js';

/** Every account code of a mapping set, with its field path. */
export function mappingAccountCodes(kind: MappingKind, set: MappingSet): { path: string; code: string }[] {
  if (kind === 'entities') return [];
  if (kind === 'accounts')
    return (set as AccountMappingSet).entities.flatMap((e, i) =>
      Object.entries(e.accounts).map(([name, code]) => ({ path: `entities.${i}.accounts.${name}`, code })),
    );
  return (set as ProductMappingSet).products.flatMap((p, i) =>
    Object.entries(p.accounts ?? {}).map(([name, code]) => ({ path: `products.${i}.accounts.${name}`, code })),
  );
}

/** The account codes the configured connector cannot post to (ACCOUNT_NOT_POSTABLE, with the field path). */
export function unpostableAccounts(connector: Erp['kind'], kind: MappingKind, set: MappingSet): DomainError[] {
  if (connector !== 'file') return [];
  return mappingAccountCodes(kind, set).flatMap(({ path, code }) => {
    const problem = fileAccountProblem(code);
    return problem ? [domainError('ACCOUNT_NOT_POSTABLE', `${JSON.stringify(code)}: ${problem}`, path)] : [];
  });
}

export interface MappingWarning {
  code: 'ACCOUNT_NOT_IN_ERP_CHART' | 'ERP_CHART_UNCHECKED';
  message: string;
  path?: string;
}

/** Where the ERP keeps a chart (Tryton): the mapping's codes it does not hold, as warnings with their field paths. */
export async function chartWarnings(erp: Erp, kind: MappingKind, set: MappingSet): Promise<MappingWarning[]> {
  if (erp.kind !== 'tryton') return [];
  const codes = mappingAccountCodes(kind, set);
  let missing: Set<string>;
  try {
    const connector = erp.open(`mapping-check-${Date.now()}`);
    try {
      missing = new Set((await connector.missingAccounts?.(codes.map((c) => c.code))) ?? []);
    } finally {
      await erp.release(connector);
    }
  } catch (err) {
    return [{ code: 'ERP_CHART_UNCHECKED', message: `the ERP's chart could not be read: ${(err as Error).message}` }];
  }
  return codes
    .filter((c) => missing.has(c.code))
    .map(({ path, code }) => ({
      code: 'ACCOUNT_NOT_IN_ERP_CHART',
      path,
      message: `account ${JSON.stringify(code)} is not among the ERP's postable accounts`,
    }));
}
