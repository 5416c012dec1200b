// Contracts: the GraphQL `contracts` connection, 20 a page, with its filters; each id opens the contract.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { gql } from './api';
import { useEntities } from './data';
import { Field, PagedTable, Select, Show, go, href, useLoad } from './ui';

/** A contract's header: a row of the list, and the top of one contract's page (./contract.tsx). */
export interface ContractSummary {
  id: string;
  status: string;
  legalEntity: string | null;
  customerId: string | null;
  currency: string | null;
  bookingDate: string | null;
  versionInForce: number;
  heldVersions: number[];
}

interface ContractPage {
  contracts: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: ContractSummary }[];
  };
}

export const CONTRACT_SUMMARY = /* GraphQL */ `
  fragment ContractSummary on Contract {
    id
    status
    legalEntity
    customerId
    currency
    bookingDate
    versionInForce
    heldVersions
  }
`;

const QUERY = /* GraphQL */ `
  query Contracts($filter: ContractFilter, $first: Int, $after: String) {
    contracts(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...ContractSummary
        }
      }
    }
  }
  ${CONTRACT_SUMMARY}
`;

const PAGE = 20;

export function ContractsScreen({ query }: { query: URLSearchParams }) {
  const entities = useEntities();
  const applied = {
    legalEntity: query.get('legalEntity') ?? '',
    status: query.get('status') ?? '',
    sku: query.get('sku') ?? '',
    exception: query.get('exception') ?? '',
  };
  const [form, setForm] = useState(applied);
  // The cursors of the pages before this one: Previous goes back one, the first page has none.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const filter = Object.fromEntries(Object.entries(applied).filter(([, v]) => v !== ''));
  const loaded = useLoad(
    () => gql<ContractPage>(QUERY, { filter, first: PAGE, after }),
    [JSON.stringify(filter), after],
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCursors([null]);
    go(['contracts'], form);
  };
  return (
    <section aria-labelledby="contracts-title">
      <h1 id="contracts-title">Contracts</h1>
      <form className="filters" onSubmit={submit} aria-label="Contract filters">
        <Select
          label="Legal entity"
          name="legalEntity"
          value={form.legalEntity}
          options={['', ...entities.map((e) => e.legalEntity)]}
          onChange={(legalEntity) => setForm({ ...form, legalEntity })}
        />
        <Select
          label="Status"
          name="status"
          value={form.status}
          options={['', 'awaiting_booking', 'active', 'cancelled']}
          onChange={(status) => setForm({ ...form, status })}
        />
        <Field label="SKU" name="sku" value={form.sku} onChange={(sku) => setForm({ ...form, sku })} />
        <Field
          label="Exception code"
          name="exception"
          value={form.exception}
          onChange={(exception) => setForm({ ...form, exception })}
        />
        <button type="submit">Apply filters</button>
      </form>
      <Show loaded={loaded}>
        {({ contracts }) => {
          const first = (cursors.length - 1) * PAGE;
          return (
            <PagedTable
              caption={`Contracts (${contracts.totalCount})`}
              rows={contracts.edges.map((e) => e.node)}
              rowKey={(c) => c.id}
              columns={[
                { header: 'Contract', cell: (c) => <a href={href(['contract', c.id])}>{c.id}</a> },
                { header: 'Status', cell: (c) => c.status },
                { header: 'Legal entity', cell: (c) => c.legalEntity ?? '—' },
                { header: 'Customer', cell: (c) => c.customerId ?? '—' },
                { header: 'Currency', cell: (c) => c.currency ?? '—' },
                { header: 'Booked', cell: (c) => c.bookingDate ?? '—' },
                { header: 'Version', numeric: true, cell: (c) => c.versionInForce },
                { header: 'Held', cell: (c) => (c.heldVersions.length ? c.heldVersions.join(', ') : '—') },
              ]}
              paging={{
                label:
                  contracts.edges.length === 0
                    ? 'No contracts'
                    : `Contracts ${first + 1}–${first + contracts.edges.length} of ${contracts.totalCount}`,
                onPrevious: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined,
                onNext:
                  contracts.pageInfo.hasNextPage && contracts.pageInfo.endCursor
                    ? () => setCursors([...cursors, contracts.pageInfo.endCursor])
                    : undefined,
              }}
            />
          );
        }}
      </Show>
    </section>
  );
}
