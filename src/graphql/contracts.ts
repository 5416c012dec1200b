// `contracts(filter, first, after)`: a page of contracts in contract id order (the read store's key order) with an
// opaque cursor. SKU and exception filters come from the projections' tag index (`sku:`, `exception:` on
// revenue-schedule documents, `rejection:` on posting-status documents); legal entity and status are read off the
// contract-versions documents of the candidates, a chunk at a time, so a page costs a few queries whatever the filter.
import type { ContractDocsAsOf } from '../audit/index.js';
import type { ContractVersions } from '../../projections/index.js';
import type { ReadStore } from '../readmodel/index.js';
import { codedError } from './errors.js';
import { MAX_PAGE } from './limits.js';
import type { DocLoader } from './loader.js';

export const VERSIONS = 'contract-versions';
export const SCHEDULES = 'revenue-schedule';
export const POSTINGS = 'posting-status';

export interface ContractFilter {
  legalEntity?: string | null;
  status?: ContractVersions['status'] | null;
  sku?: string | null;
  exception?: string | null;
}

export interface ContractRef {
  id: string;
  /** Set for `contract(id, asOf)`: the documents as of that moment, instead of the read models'. */
  asOf?: ContractDocsAsOf;
}

export interface ContractConnection {
  edges: { cursor: string; node: ContractRef }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Keys of shared state (`$products`) sit beside the documents; they are no contract. */
const isContract = (key: string): boolean => !key.startsWith('$');

export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (v && typeof v === 'object' && typeof (v as { after?: unknown }).after === 'string')
      return (v as { after: string }).after;
  } catch {
    // refused below
  }
  throw codedError('INVALID_CURSOR', 'the cursor is not one this API handed out');
}

/** Keys carrying the filter's tags (every tag filter must match), or null when the filter has no tag part. */
async function taggedKeys(read: ReadStore, filter: ContractFilter): Promise<string[] | null> {
  const sets: Set<string>[] = [];
  if (filter.sku) sets.push(new Set(await read.keysByTag(SCHEDULES, [`sku:${filter.sku}`])));
  if (filter.exception) {
    const [scheduled, rejected] = await Promise.all([
      read.keysByTag(SCHEDULES, [`exception:${filter.exception}`]),
      read.keysByTag(POSTINGS, [`rejection:${filter.exception}`]),
    ]);
    sets.push(new Set([...scheduled, ...rejected]));
  }
  if (sets.length === 0) return null;
  const [first, ...rest] = sets;
  return [...first!].filter((k) => isContract(k) && rest.every((s) => s.has(k))).sort();
}

export async function contractsPage(
  read: ReadStore,
  docs: DocLoader,
  filter: ContractFilter,
  first: number,
  after: string | null | undefined,
): Promise<ContractConnection> {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE)
    throw codedError('INVALID_ARGUMENT', `first must be between 0 and ${MAX_PAGE}`);
  const afterKey = after ? decodeCursor(after) : '';
  const byDoc = Boolean(filter.legalEntity || filter.status);
  const keeps = (v: ContractVersions): boolean =>
    (!filter.legalEntity || v.legalEntity === filter.legalEntity) && (!filter.status || v.status === filter.status);
  const tagged = await taggedKeys(read, filter);
  // One more than the page, to know whether another page follows.
  const want = first + 1;
  const matched: string[] = [];

  if (tagged !== null) {
    const rest = tagged.filter((k) => k > afterKey);
    if (!byDoc) matched.push(...rest.slice(0, want));
    const chunk = Math.max(want, 200);
    for (let i = 0; byDoc && i < rest.length && matched.length < want; i += chunk) {
      const keys = rest.slice(i, i + chunk);
      const found = await read.getMany(VERSIONS, keys);
      for (const key of keys) {
        const doc = found.get(key) ?? null;
        docs.prime(VERSIONS, key, doc);
        if (doc && keeps(doc as ContractVersions) && matched.length < want) matched.push(key);
      }
    }
  } else {
    const limit = byDoc ? Math.max(want, 500) : want;
    for (let cursor = afterKey; matched.length < want;) {
      const rows = await read.list(VERSIONS, { afterKey: cursor, limit });
      for (const { key, doc } of rows) {
        docs.prime(VERSIONS, key, doc);
        if (isContract(key) && keeps(doc as ContractVersions) && matched.length < want) matched.push(key);
      }
      if (rows.length < limit) break;
      cursor = rows[rows.length - 1]!.key;
    }
  }

  const edges = matched.slice(0, first).map((id) => ({ cursor: encodeCursor(id), node: { id } }));
  return {
    edges,
    pageInfo: { hasNextPage: matched.length > first, endCursor: edges[edges.length - 1]?.cursor ?? null },
    totalCount: async () => {
      if (tagged !== null && !byDoc) return tagged.length;
      if (tagged === null && !byDoc) return read.count(VERSIONS);
      let n = 0;
      if (tagged !== null) {
        for (let i = 0; i < tagged.length; i += 500) {
          const found = await read.getMany(VERSIONS, tagged.slice(i, i + 500));
          for (const doc of found.values()) if (keeps(doc as ContractVersions)) n++;
        }
        return n;
      }
      for (let cursor = ''; ;) {
        const rows = await read.list(VERSIONS, { afterKey: cursor, limit: 1000 });
        for (const { key, doc } of rows) if (isContract(key) && keeps(doc as ContractVersions)) n++;
        if (rows.length < 1000) return n;
        cursor = rows[rows.length - 1]!.key;
      }
    },
  };
}
