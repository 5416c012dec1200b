// One contract: header, version timeline (held and cancelled versions included), the raw stream with source refs and
// hashes (REST /v1/contracts/:id/events), obligations and allocation, the schedule per period, balances, and the
// journals with their ERP status, each opening its lineage.
import { gql, rest } from './api';
import { CONTRACT_SUMMARY } from './contracts';
import type { ContractSummary } from './contracts';
import { money } from './data';
import { ExportButtons, Hash, PagedTable, Show, href, useLoad, useLocalPage } from './ui';
import type { ObligationView } from '../../src/audit/types';

export interface Version {
  version: number;
  type: string;
  effectiveDate: string;
  treatment: string | null;
  eventId: string;
  receivedAt: string;
  applied: boolean;
  source: { system: string; id: string } | null;
}

interface Contract extends ContractSummary {
  cancelledOn: string | null;
  versions: Version[];
  /** The audit view's obligation, named by its line id. */
  obligations: (Omit<ObligationView, 'obligation'> & { lineId: string })[];
  schedule: {
    status: string;
    transactionPrice: string;
    mappingVersion: number;
    periods: { period: string; amount: string; cumulative: string }[];
  } | null;
  balances: {
    period: string;
    billed: string;
    recognised: string;
    deferredRevenue: string;
    contractAsset: string;
  }[];
  journals: {
    id: string;
    period: string;
    date: string;
    status: string;
    attempts: number;
    erpDocumentId: string | null;
    revenue: string;
    rejection: { code: string; message: string } | null;
  }[];
}

interface ContractView {
  contract: Contract | null;
}

const QUERY = /* GraphQL */ `
  query Contract($id: ID!) {
    contract(id: $id) {
      ...ContractSummary
      cancelledOn
      versions {
        version
        type
        effectiveDate
        treatment
        eventId
        receivedAt
        applied
        source {
          system
          id
        }
      }
      obligations {
        lineId
        sku
        pattern
        allocated
        variable
        recognised
        serviceStart
        serviceEnd
        active
      }
      schedule {
        status
        transactionPrice
        mappingVersion
        periods {
          period
          amount
          cumulative
        }
      }
      balances {
        period
        billed
        recognised
        deferredRevenue
        contractAsset
      }
      journals {
        id
        period
        date
        status
        attempts
        erpDocumentId
        revenue
        rejection {
          code
          message
        }
      }
    }
  }
  ${CONTRACT_SUMMARY}
`;

export interface RawEvent {
  eventId: string;
  type: string;
  revision: number;
  position: string;
  metadata: {
    source: { system: string; id: string; version?: number } | null;
    receivedAt: string;
    contentHash: string;
    prevHash: string;
  };
}

export function ContractScreen({ id }: { id: string }) {
  const loaded = useLoad(
    () =>
      Promise.all([
        gql<ContractView>(QUERY, { id }),
        rest<{ events: RawEvent[] }>('GET', `/v1/contracts/${encodeURIComponent(id)}/events`),
      ]),
    [id],
  );
  return (
    <section aria-labelledby="contract-title">
      <h1 id="contract-title">
        Contract <span data-testid="contract-id">{id}</span>
      </h1>
      <Show loaded={loaded}>
        {([view, raw]) =>
          view.contract ? <ContractBody contract={view.contract} events={raw.events} /> : <p>No such contract.</p>
        }
      </Show>
    </section>
  );
}

function ContractBody({ contract: c, events }: { contract: Contract; events: RawEvent[] }) {
  const periods = useLocalPage(c.schedule?.periods ?? [], 12);
  const balances = useLocalPage(c.balances, 12);
  const rawPage = useLocalPage(events, 15);
  return (
    <>
      <dl className="header-list">
        <dt>Status</dt>
        <dd data-testid="contract-status">{c.status}</dd>
        <dt>Legal entity</dt>
        <dd>{c.legalEntity ?? '—'}</dd>
        <dt>Customer</dt>
        <dd>{c.customerId ?? '—'}</dd>
        <dt>Currency</dt>
        <dd>{c.currency ?? '—'}</dd>
        <dt>Booked</dt>
        <dd>{c.bookingDate ?? '—'}</dd>
        <dt>Version in force</dt>
        <dd>{c.versionInForce}</dd>
        <dt>Held versions</dt>
        <dd>{c.heldVersions.length ? c.heldVersions.join(', ') : 'none'}</dd>
        <dt>Cancelled on</dt>
        <dd>{c.cancelledOn ?? '—'}</dd>
        <dt>Transaction price</dt>
        <dd>{money(c.schedule?.transactionPrice)}</dd>
      </dl>
      <p>
        <a href={href(['as-of', c.id])}>See this contract as of a past moment</a>
      </p>
      <h2>Version timeline</h2>
      <ol className="timeline">
        {c.versions.map((v) => (
          <li key={v.eventId} className={v.applied ? undefined : 'held'}>
            <strong>
              v{v.version} {v.type}
            </strong>{' '}
            effective {v.effectiveDate}
            {v.treatment ? `, ${v.treatment}` : ''} — {v.applied ? 'applied' : 'held (waits for an earlier version)'}
            {v.source ? ` — from ${v.source.system} ${v.source.id}` : ''}, received {v.receivedAt}
          </li>
        ))}
      </ol>
      <h2>Obligations and allocation</h2>
      <PagedTable
        caption="Performance obligations"
        rows={c.obligations}
        rowKey={(o) => o.lineId}
        columns={[
          { header: 'Line', cell: (o) => o.lineId },
          { header: 'SKU', cell: (o) => o.sku },
          { header: 'Pattern', cell: (o) => o.pattern },
          { header: 'Allocated', numeric: true, cell: (o) => money(o.allocated) },
          { header: 'Variable', numeric: true, cell: (o) => money(o.variable) },
          { header: 'Recognised', numeric: true, cell: (o) => money(o.recognised) },
          { header: 'Service', cell: (o) => `${o.serviceStart ?? '—'} to ${o.serviceEnd ?? '—'}` },
          { header: 'Active', cell: (o) => (o.active ? 'yes' : 'no') },
        ]}
      />
      <h2>Schedule per period</h2>
      <p className="muted">
        Status {c.schedule?.status ?? 'none'}, product mapping v{c.schedule?.mappingVersion ?? '—'}{' '}
        {c.legalEntity ? (
          <ExportButtons table="schedule" params={{ legalEntity: c.legalEntity, contractId: c.id }} />
        ) : null}
      </p>
      <PagedTable
        caption="Revenue schedule"
        rows={periods.rows}
        paging={periods.paging}
        rowKey={(p) => p.period}
        columns={[
          { header: 'Period', cell: (p) => p.period },
          {
            header: 'Revenue',
            numeric: true,
            cell: (p) => <span data-testid={`schedule-${p.period}`}>{money(p.amount)}</span>,
          },
          { header: 'Cumulative', numeric: true, cell: (p) => money(p.cumulative) },
        ]}
      />
      <h2>Balances</h2>
      <PagedTable
        caption="Balances at period end"
        rows={balances.rows}
        paging={balances.paging}
        rowKey={(b) => b.period}
        columns={[
          { header: 'Period', cell: (b) => b.period },
          { header: 'Billed', numeric: true, cell: (b) => money(b.billed) },
          { header: 'Recognised', numeric: true, cell: (b) => money(b.recognised) },
          { header: 'Deferred revenue', numeric: true, cell: (b) => money(b.deferredRevenue) },
          { header: 'Contract asset', numeric: true, cell: (b) => money(b.contractAsset) },
        ]}
      />
      <h2>Journals</h2>
      <PagedTable
        caption="Journals and their ERP status"
        rows={c.journals}
        rowKey={(j) => j.id}
        empty="No journal yet: a posting run prepares them."
        columns={[
          { header: 'Journal', cell: (j) => <a href={href(['lineage', j.id])}>{j.id}</a> },
          { header: 'Period', cell: (j) => j.period },
          { header: 'Status', cell: (j) => j.status },
          { header: 'ERP document', cell: (j) => j.erpDocumentId ?? '—' },
          { header: 'Attempts', numeric: true, cell: (j) => j.attempts },
          { header: 'Revenue', numeric: true, cell: (j) => money(j.revenue) },
          { header: 'Rejection', cell: (j) => (j.rejection ? `${j.rejection.code}: ${j.rejection.message}` : '—') },
        ]}
      />
      <h2>Raw events</h2>
      <PagedTable
        caption="The contract stream as stored"
        rows={rawPage.rows}
        paging={rawPage.paging}
        rowKey={(e) => e.eventId}
        columns={[
          { header: 'Revision', numeric: true, cell: (e) => e.revision },
          { header: 'Type', cell: (e) => e.type },
          {
            header: 'Source',
            cell: (e) =>
              e.metadata.source ? (
                <a href={href(['trace'], { system: e.metadata.source.system, id: e.metadata.source.id })}>
                  {e.metadata.source.system} {e.metadata.source.id}
                </a>
              ) : (
                '—'
              ),
          },
          { header: 'Received', cell: (e) => e.metadata.receivedAt },
          { header: 'Position', cell: (e) => e.position },
          { header: 'Content hash', cell: (e) => <Hash value={e.metadata.contentHash} /> },
          { header: 'Previous hash', cell: (e) => <Hash value={e.metadata.prevHash} /> },
        ]}
      />
    </>
  );
}
