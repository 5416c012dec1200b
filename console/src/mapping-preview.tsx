// A proposed product mapping, previewed before it is published: the proposal is edited as the JSON a publication takes
// (prefilled with the version in force), "Preview effect" asks POST /v1/mappings/products/dry-run (it writes nothing)
// for the revenue per period and currency it would move and the contracts it changes, a server page at a time; only
// then, and with mappings:approve, can the same proposal be published.
import { useEffect, useState } from 'react';
import { rest } from './api';
import { money } from './data';
import { useCan } from './session';
import { ErrorBox, PagedTable, href, message } from './ui';
import type { MappingPreview, PeriodEffect } from '../../src/audit/mapping-preview';

/** POST /v1/mappings/products/dry-run's answer. */
type Preview = MappingPreview & { unchanged: boolean };

interface InForce {
  version: number;
  products: unknown[];
}

/** Changed contracts a page asks for. */
const PAGE = 20;

const PERIOD_COLUMNS = [
  { header: 'Period', cell: (p: PeriodEffect) => p.period },
  { header: 'Currency', cell: (p: PeriodEffect) => p.currency },
  { header: 'In force', numeric: true, cell: (p: PeriodEffect) => money(p.before) },
  { header: 'Proposed', numeric: true, cell: (p: PeriodEffect) => money(p.after) },
  { header: 'Difference', numeric: true, cell: (p: PeriodEffect) => money(p.delta) },
];

export function ProposalPreview() {
  const canPublish = useCan('mappings:approve');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [first, setFirst] = useState<Preview | null>(null);
  // The pages of changed contracts: each entry the `after` it was asked with (null for the first).
  const [afters, setAfters] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Preview | null>(null);
  const [published, setPublished] = useState<string | null>(null);
  useEffect(() => {
    rest<InForce>('GET', '/v1/mappings/products').then(
      (m) => setText(JSON.stringify({ products: m.products, reason: '', basedOnVersion: m.version }, null, 2)),
      () => setText(JSON.stringify({ products: [], reason: '' }, null, 2)),
    );
  }, []);
  const proposal = (): unknown => JSON.parse(text);
  const ask = (after: string | null) =>
    rest<Preview>('POST', `/v1/mappings/products/dry-run?limit=${PAGE}${after ? `&after=${after}` : ''}`, proposal());
  const preview = () => {
    setError(null);
    setPublished(null);
    setFirst(null);
    setPage(null);
    Promise.resolve()
      .then(() => ask(null))
      .then(
        (p) => {
          setFirst(p);
          setPage(p);
          setAfters([null]);
        },
        (err: unknown) => setError(message(err)),
      );
  };
  const turn = (next: (string | null)[]) => {
    ask(next[next.length - 1] ?? null).then(
      (p) => {
        setAfters(next);
        setPage(p);
      },
      (err: unknown) => setError(message(err)),
    );
  };
  const publish = () => {
    setError(null);
    rest<{ version: number; status: string }>('POST', '/v1/mappings/products', proposal()).then(
      (r) => {
        setPublished(`Version ${r.version} ${r.status}.`);
        setFirst(null);
        setPage(null);
      },
      (err: unknown) => setError(message(err)),
    );
  };
  return (
    <section aria-labelledby="proposal-title" className="panel">
      <h2 id="proposal-title">Propose a product mapping</h2>
      <label className="field">
        <span>Proposed product mapping (JSON)</span>
        <textarea
          name="proposal"
          rows={12}
          cols={80}
          value={text}
          spellCheck={false}
          onChange={(e) => {
            setText(e.target.value);
            setFirst(null);
            setPage(null);
          }}
        />
      </label>
      <p>
        <button type="button" onClick={preview}>
          Preview effect
        </button>
      </p>
      {error ? <ErrorBox error={error} /> : null}
      {published ? <p role="status">{published}</p> : null}
      {first?.summary && page ? (
        <>
          <p role="status" data-testid="preview-summary">
            {first.unchanged
              ? `The proposal is version ${first.currentVersion} as in force: nothing changes.`
              : `v${first.currentVersion} → v${first.proposedVersion}: ${first.summary.changed} of ` +
                `${first.summary.examined} contracts using ${first.changedSkus.join(', ') || 'no changed SKU'} change.`}
          </p>
          <PagedTable
            caption="Revenue effect per period (all changed contracts)"
            rows={first.summary.totals}
            rowKey={(p) => `${p.period}/${p.currency}`}
            empty="No period's revenue changes."
            columns={PERIOD_COLUMNS}
          />
          <PagedTable
            caption="Contracts whose revenue changes"
            rows={page.contracts}
            rowKey={(c) => c.contractId}
            empty="No contract changes."
            columns={[
              { header: 'Contract', cell: (c) => <a href={href(['contract', c.contractId])}>{c.contractId}</a> },
              { header: 'Entity', cell: (c) => c.legalEntity ?? '—' },
              { header: 'Status', cell: (c) => `${c.statusBefore ?? '—'} → ${c.statusAfter ?? 'quarantined'}` },
              {
                header: 'Revenue moved',
                cell: (c) => c.periods.map((p) => `${p.period} ${money(p.delta)} ${p.currency}`).join('; ') || '—',
              },
              { header: 'Changes', cell: (c) => c.changes.join('; ') },
            ]}
            paging={{
              label: `Changed contracts, page ${afters.length}`,
              onPrevious: afters.length > 1 ? () => turn(afters.slice(0, -1)) : undefined,
              onNext: page.next ? () => turn([...afters, page.next]) : undefined,
            }}
          />
          {canPublish ? (
            <p>
              <button type="button" onClick={publish} disabled={first.unchanged}>
                Publish this mapping
              </button>
            </p>
          ) : (
            <p className="muted">This key cannot publish mappings (mappings:approve).</p>
          )}
        </>
      ) : null}
    </section>
  );
}
