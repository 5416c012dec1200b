// Reconciliation (GraphQL `reconciliation`): billed / recognised / journaled / posted per account and per contract
// for an entity and period, contracts with breaks first; a break opens the contract's journals behind it.
import { useEffect, useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { gql } from './api';
import { money, useEntities } from './data';
import {
  EvidenceButton,
  ExportButtons,
  Field,
  PERIOD,
  PagedTable,
  Select,
  Show,
  go,
  href,
  lastMonth,
  useLoad,
  useLocalPage,
} from './ui';

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

interface Answer {
  reconciliation: {
    breaks: number;
    contracts: Row[];
    accounts: { account: string; currency: string | null; journaled: string; posted: string; rejected: string }[];
  };
}

const QUERY = /* GraphQL */ `
  query Reconciliation($legalEntity: String!, $period: String!) {
    reconciliation(legalEntity: $legalEntity, period: $period) {
      breaks
      accounts {
        account
        currency
        journaled
        posted
        rejected
      }
      contracts {
        contractId
        currency
        billed
        recognised
        journaled
        posted
        rejected
        breaks {
          code
          amount
          message
        }
      }
    }
  }
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
  const entities = useEntities();
  const legalEntity = query.get('legalEntity') ?? entities[0]?.legalEntity ?? '';
  const period = query.get('period') ?? lastMonth();
  const [form, setForm] = useState({ legalEntity, period });
  useEffect(() => setForm({ legalEntity, period }), [legalEntity, period]);
  const valid = legalEntity !== '' && PERIOD.test(period);
  const loaded = useLoad(
    () =>
      valid
        ? gql<Answer>(QUERY, { legalEntity, period })
        : Promise.reject(new Error('choose an entity and a period (YYYY-MM)')),
    [legalEntity, period],
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(['reconciliation'], form);
  };
  return (
    <section aria-labelledby="recon-title">
      <h1 id="recon-title">Reconciliation</h1>
      <form className="filters" onSubmit={submit} aria-label="Reconciliation scope">
        <Select
          label="Legal entity"
          name="legalEntity"
          value={form.legalEntity}
          options={entities.map((e) => e.legalEntity)}
          onChange={(v) => setForm({ ...form, legalEntity: v })}
        />
        <Field
          label="Period (YYYY-MM)"
          name="period"
          value={form.period}
          onChange={(v) => setForm({ ...form, period: v })}
        />
        <button type="submit">Show</button>
      </form>
      {valid ? (
        <p>
          <ExportButtons table="reconciliation" params={{ legalEntity, period }} />{' '}
          <ExportButtons table="journals" params={{ legalEntity, period }} />{' '}
          <EvidenceButton legalEntity={legalEntity} period={period} />
        </p>
      ) : null}
      <Show loaded={loaded}>{({ reconciliation }) => <Body r={reconciliation} />}</Show>
    </section>
  );
}

function Body({ r }: { r: Answer['reconciliation'] }) {
  const sorted = useMemo(
    () =>
      [...r.contracts].sort(
        (a, b) => Number(b.breaks.length > 0) - Number(a.breaks.length > 0) || a.contractId.localeCompare(b.contractId),
      ),
    [r],
  );
  const page = useLocalPage(sorted, 25);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <p role="status" data-testid="recon-breaks">
        {r.breaks} contracts with breaks, of {r.contracts.length}.
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
        rows={page.rows}
        paging={page.paging}
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
      {open ? <BreakJournals contractId={open} row={sorted.find((c) => c.contractId === open)} /> : null}
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
