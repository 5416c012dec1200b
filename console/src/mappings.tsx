// Mappings: the published versions of the product or account mapping (GET /v1/mappings/:kind/versions, newest first,
// paged), who published each and why, the difference between two versions entry by entry, and a proposed product
// mapping's revenue effect before it is published (./mapping-preview.tsx).
import { useState } from 'react';
import { rest } from './api';
import { ProposalPreview } from './mapping-preview';
import { PagedTable, Select, Show, go, useLoad } from './ui';

interface VersionSummary {
  version: number;
  publishedAt: string;
  publishedBy: string | null;
  reason: string | null;
  entries: number;
}

interface VersionPage {
  versions: VersionSummary[];
  nextBefore: number | null;
}

type Entry = Record<string, unknown>;

interface VersionFull extends VersionSummary {
  products?: Entry[];
  entities?: Entry[];
}

export interface EntryChange {
  key: string;
  change: 'added' | 'removed' | 'changed';
  before: string;
  after: string;
}

/** Entries of two versions by their key (the SKU of a product, the legal entity of an account set). */
export function diffEntries(kind: string, older: Entry[], newer: Entry[]): EntryChange[] {
  const keyOf = (e: Entry) => String(kind === 'products' ? e.sku : e.legalEntity);
  const before = new Map(older.map((e) => [keyOf(e), JSON.stringify(e)]));
  const after = new Map(newer.map((e) => [keyOf(e), JSON.stringify(e)]));
  const changes: EntryChange[] = [];
  for (const [key, was] of before) {
    const now = after.get(key);
    if (now === undefined) changes.push({ key, change: 'removed', before: was, after: '' });
    else if (now !== was) changes.push({ key, change: 'changed', before: was, after: now });
  }
  for (const [key, now] of after) if (!before.has(key)) changes.push({ key, change: 'added', before: '', after: now });
  return changes.sort((a, b) => a.key.localeCompare(b.key));
}

export function MappingsScreen({ query }: { query: URLSearchParams }) {
  const kind = query.get('kind') === 'accounts' ? 'accounts' : 'products';
  const [befores, setBefores] = useState<(number | null)[]>([null]);
  const before = befores[befores.length - 1] ?? null;
  const loaded = useLoad(
    () => rest<VersionPage>('GET', `/v1/mappings/${kind}/versions?limit=20${before ? `&before=${before}` : ''}`),
    [kind, before],
  );
  const [compare, setCompare] = useState<[number, number] | null>(null);
  return (
    <section aria-labelledby="mappings-title">
      <h1 id="mappings-title">Mappings</h1>
      <form className="filters" aria-label="Mapping kind" onSubmit={(e) => e.preventDefault()}>
        <Select
          label="Mapping"
          name="kind"
          value={kind}
          options={['products', 'accounts']}
          onChange={(v) => {
            setBefores([null]);
            setCompare(null);
            go(['mappings'], { kind: v });
          }}
        />
      </form>
      <Show loaded={loaded}>
        {(page) => (
          <PagedTable
            caption={`Published ${kind} mapping versions`}
            rows={page.versions}
            rowKey={(v) => String(v.version)}
            empty="No version published."
            columns={[
              { header: 'Version', numeric: true, cell: (v) => v.version },
              { header: 'Published', cell: (v) => v.publishedAt },
              { header: 'By', cell: (v) => v.publishedBy ?? '—' },
              { header: 'Why', cell: (v) => v.reason ?? '—' },
              { header: 'Entries', numeric: true, cell: (v) => v.entries },
              {
                header: 'Difference',
                cell: (v) =>
                  v.version > 1 ? (
                    <button type="button" onClick={() => setCompare([v.version - 1, v.version])}>
                      Compare v{v.version - 1} with v{v.version}
                    </button>
                  ) : (
                    'first version'
                  ),
              },
            ]}
            paging={{
              label: page.versions.length
                ? `Versions ${page.versions[0]?.version}–${page.versions.at(-1)?.version}`
                : 'No versions',
              onPrevious: befores.length > 1 ? () => setBefores(befores.slice(0, -1)) : undefined,
              onNext: page.nextBefore ? () => setBefores([...befores, page.nextBefore]) : undefined,
            }}
          />
        )}
      </Show>
      {compare ? <Diff kind={kind} older={compare[0]} newer={compare[1]} /> : null}
      {kind === 'products' ? <ProposalPreview /> : null}
    </section>
  );
}

function Diff({ kind, older, newer }: { kind: string; older: number; newer: number }) {
  const loaded = useLoad(
    () =>
      Promise.all([
        rest<VersionFull>('GET', `/v1/mappings/${kind}/versions/${older}`),
        rest<VersionFull>('GET', `/v1/mappings/${kind}/versions/${newer}`),
      ]),
    [kind, older, newer],
  );
  return (
    <Show loaded={loaded}>
      {([a, b]) => {
        const entries = (v: VersionFull) => (kind === 'products' ? v.products : v.entities) ?? [];
        const changes = diffEntries(kind, entries(a), entries(b));
        return (
          <PagedTable
            caption={`v${older} → v${newer}: ${changes.length} entries differ (v${newer}: ${b.reason ?? 'no reason'})`}
            rows={changes}
            rowKey={(c) => c.key}
            empty="The two versions hold the same entries."
            columns={[
              { header: 'Entry', cell: (c) => c.key },
              { header: 'Change', cell: (c) => c.change },
              { header: `v${older}`, cell: (c) => <code className="json">{c.before}</code> },
              { header: `v${newer}`, cell: (c) => <code className="json">{c.after}</code> },
            ]}
          />
        );
      }}
    </Show>
  );
}
