// Reconciliation (GraphQL `reconciliation`): billed / recognised / journaled / posted per account and per contract
// for an entity and period; the contracts come a server page at a time (`contractPage`, breaks first, "More" asks for
// the next), and a break opens the contract's journals behind it.
import { useEffect, useState } from 'react';
import { gql } from './api';
import { money } from './data';
import { RECONCILIATION_ACCOUNT, RECONCILIATION_ROW } from './fragments';
import { PeriodFilters, usePeriodReport } from './report-filters';
import { ErrorBox, EvidenceButton, ExportButtons, PagedTable, Show, href, message, useLoad } from './ui';

interface Row {
  contractId: string;
  currency: string | null;
  billed: string;
  recognised: string | null;
  journaled: string;
  posted: string;
  rejected: string;
  breaks: { code: string; amount: string; message: string }[];
}

interface RowPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Row }[];
}

interface Answer {
  reconciliation: {
    breaks: number;
    contractCount: number;
    contractPage: RowPage;
    accounts: { account: string; currency: string | null; journaled: string; posted: string; rejected: string }[];
  };
}

/** Contract rows a request asks for: the first page with the accounts, then "More" for each next one. */
const ROWS = 25;

const ROW_FIELDS = /* GraphQL */ `
  pageInfo {
    hasNextPage
    endCursor
  }
  edges {
    node {
      ...ReconciliationRow
    }
  }
`;

const QUERY = /* GraphQL */ `
  query Reconciliation($legalEntity: String!, $period: String!, $first: Int) {
    reconciliation(legalEntity: $legalEntity, period: $period) {
      breaks
      contractCount
      accounts {
        ...ReconciliationAccount
      }
      contractPage(first: $first) {
        ${ROW_FIELDS}
      }
    }
  }
  ${RECONCILIATION_ACCOUNT}
  ${RECONCILIATION_ROW}
`;

const MORE = /* GraphQL */ `
  query ReconciliationMore($legalEntity: String!, $period: String!, $first: Int, $after: String) {
    reconciliation(legalEntity: $legalEntity, period: $period) {
      contractPage(first: $first, after: $after) {
        ${ROW_FIELDS}
      }
    }
  }
  ${RECONCILIATION_ROW}
`;

interface Journals {
  contract: {
    journals: { id: string; period: string; status: string; erpDocumentId: string | null; revenue: string }[];
  } | null;
}

const JOURNALS = /* GraphQL */ `
  query BreakJournals($id: ID!) {
    contract(id: $id) {
      journals {
        id
        period
        status
        erpDocumentId
        revenue
      }
    }
  }
`;

export function ReconciliationScreen({ query }: { query: URLSearchParams }) {
  const report = usePeriodReport(query, (scope) => gql<Answer>(QUERY, { ...scope, first: ROWS }));
  const { legalEntity, period, valid, loaded } = report;
  return (
    <section aria-labelledby="recon-title">
      <h1 id="recon-title">Reconciliation</h1>
      <PeriodFilters screen="reconciliation" label="Reconciliation scope" report={report} />
      {valid ? (
        <p>
          <ExportButtons table="reconciliation" params={{ legalEntity, period }} />{' '}
          <ExportButtons table="journals" params={{ legalEntity, period }} />{' '}
          <EvidenceButton legalEntity={legalEntity} period={period} />
        </p>
      ) : null}
      <Show loaded={loaded}>
        {({ reconciliation }) => <Body r={reconciliation} legalEntity={legalEntity} period={period} />}
      </Show>
    </section>
  );
}

function Body(props: { r: Answer['reconciliation']; legalEntity: string; period: string }) {
  const { r, legalEntity, period } = props;
  // The rows shown: the first page, then each page "More" fetched appended (the server orders them breaks first).
  const [pages, setPages] = useState<RowPage[]>([r.contractPage]);
  useEffect(() => setPages([r.contractPage]), [r]);
  const [moreError, setMoreError] = useState<string | null>(null);
  const rows = pages.flatMap((p) => p.edges.map((e) => e.node));
  const last = pages[pages.length - 1]!;
  const more = () => {
    setMoreError(null);
    gql<{ reconciliation: { contractPage: RowPage } }>(MORE, {
      legalEntity,
      period,
      first: ROWS,
      after: last.pageInfo.endCursor,
    }).then(
      (answer) => setPages([...pages, answer.reconciliation.contractPage]),
      (err: unknown) => setMoreError(message(err)),
    );
  };
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <p role="status" data-testid="recon-breaks">
        {r.breaks} contracts with breaks, of {r.contractCount}.
      </p>
      <PagedTable
        caption="Per account"
        rows={r.accounts}
        rowKey={(a) => `${a.account}/${a.currency ?? ''}`}
        columns={[
          { header: 'Account', cell: (a) => a.account },
          { header: 'Currency', cell: (a) => a.currency ?? '—' },
          { header: 'Journaled', numeric: true, cell: (a) => money(a.journaled) },
          { header: 'Posted', numeric: true, cell: (a) => money(a.posted) },
          { header: 'Refused', numeric: true, cell: (a) => money(a.rejected) },
        ]}
      />
      <PagedTable
        caption="Per contract, breaks first"
        rows={rows}
        rowKey={(c) => c.contractId}
        rowClass={(c) => (c.breaks.length ? 'break' : undefined)}
        columns={[
          { header: 'Contract', cell: (c) => <a href={href(['contract', c.contractId])}>{c.contractId}</a> },
          { header: 'Currency', cell: (c) => c.currency ?? '—' },
          { header: 'Billed', numeric: true, cell: (c) => money(c.billed) },
          { header: 'Recognised', numeric: true, cell: (c) => money(c.recognised) },
          { header: 'Journaled', numeric: true, cell: (c) => money(c.journaled) },
          { header: 'Posted', numeric: true, cell: (c) => money(c.posted) },
          {
            header: 'Breaks',
            cell: (c) =>
              c.breaks.length === 0 ? (
                'none'
              ) : (
                <button
                  type="button"
                  aria-expanded={open === c.contractId}
                  onClick={() => setOpen(open === c.contractId ? null : c.contractId)}
                >
                  {c.breaks.map((b) => `${b.code} ${money(b.amount)}`).join('; ')}
                </button>
              ),
          },
        ]}
      />
      <p>
        <span data-testid="recon-shown">
          {rows.length} of {r.contractCount} contracts shown.
        </span>{' '}
        {last.pageInfo.hasNextPage ? (
          <button type="button" onClick={more}>
            More contracts
          </button>
        ) : null}
      </p>
      {moreError ? <ErrorBox error={moreError} /> : null}
      {open ? <BreakJournals contractId={open} row={rows.find((c) => c.contractId === open)} /> : null}
    </>
  );
}

function BreakJournals({ contractId, row }: { contractId: string; row: Row | undefined }) {
  const loaded = useLoad(() => gql<Journals>(JOURNALS, { id: contractId }), [contractId]);
  return (
    <section aria-label={`Behind the break of ${contractId}`} className="panel">
      <h2>
        Behind the break: contract <a href={href(['contract', contractId])}>{contractId}</a>
      </h2>
      <ul>
        {row?.breaks.map((b) => (
          <li key={b.code}>
            {b.code}: {b.message}
          </li>
        ))}
      </ul>
      <Show loaded={loaded}>
        {({ contract }) => (
          <PagedTable
            caption="Its journals"
            rows={contract?.journals ?? []}
            rowKey={(j) => j.id}
            empty="No journal: nothing prepared for this contract yet."
            columns={[
              { header: 'Journal', cell: (j) => <a href={href(['lineage', j.id])}>{j.id}</a> },
              { header: 'Period', cell: (j) => j.period },
              { header: 'Status', cell: (j) => j.status },
              { header: 'ERP document', cell: (j) => j.erpDocumentId ?? '—' },
              { header: 'Revenue', numeric: true, cell: (j) => money(j.revenue) },
            ]}
          />
        )}
      </Show>
    </section>
  );
}
