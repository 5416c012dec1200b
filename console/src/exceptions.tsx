// The exceptions workbench (GraphQL `exceptions` and its mutations): filter, sort (the server orders the whole list by
// impact — amount at stake — or by age), page, assign, acknowledge, resolve, ignore with a reason, replay a refused
// input.
// Actions show only when the key holds exceptions:write (exceptions:ignore to ignore).
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { gql } from './api';
import { money, useEntities } from './data';
import { useCan } from './session';
import { ErrorBox, ExportButtons, Field, PagedTable, Select, Show, go, href, lastMonth, message, useLoad } from './ui';

interface Item {
  id: string;
  kind: string;
  code: string;
  message: string;
  contractId: string | null;
  legalEntity: string | null;
  amount: string;
  currency: string | null;
  ageHours: number;
  status: string;
  owner: string | null;
  overdue: boolean;
  details: { rejectionId?: string };
}

const QUERY = /* GraphQL */ `
  query Exceptions(
    $kind: String
    $entity: String
    $status: String
    $owner: String
    $sort: ExceptionSort
    $limit: Int
    $offset: Int
  ) {
    exceptions(
      kind: $kind
      entity: $entity
      status: $status
      owner: $owner
      sort: $sort
      limit: $limit
      offset: $offset
    ) {
      id
      kind
      code
      message
      contractId
      legalEntity
      amount
      currency
      ageHours
      status
      owner
      overdue
      details
    }
  }
`;

const PAGE = 25;

export function ExceptionsScreen({ query }: { query: URLSearchParams }) {
  const entities = useEntities();
  const asked = {
    kind: query.get('kind') ?? '',
    entity: query.get('entity') ?? '',
    status: query.get('status') ?? 'active',
    owner: query.get('owner') ?? '',
    sort: query.get('sort') === 'age' ? 'age' : 'impact',
  };
  const [form, setForm] = useState(asked);
  const [offset, setOffset] = useState(0);
  const key = JSON.stringify(asked);
  useEffect(() => {
    setForm(JSON.parse(key) as typeof asked);
    setOffset(0);
  }, [key]);
  const vars = Object.fromEntries(Object.entries(asked).filter(([, v]) => v !== ''));
  const loaded = useLoad(() => gql<{ exceptions: Item[] }>(QUERY, { ...vars, limit: PAGE + 1, offset }), [key, offset]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(['exceptions'], form);
  };
  return (
    <section aria-labelledby="exceptions-title">
      <h1 id="exceptions-title">Exceptions</h1>
      <form className="filters" onSubmit={submit} aria-label="Exception filters">
        <Field label="Kind or code" name="kind" value={form.kind} onChange={(kind) => setForm({ ...form, kind })} />
        <Select
          label="Legal entity"
          name="entity"
          value={form.entity}
          options={['', ...entities.map((e) => e.legalEntity)]}
          onChange={(entity) => setForm({ ...form, entity })}
        />
        <Select
          label="Status"
          name="status"
          value={form.status}
          options={['active', 'open', 'acknowledged', 'resolved', 'ignored', 'all']}
          onChange={(status) => setForm({ ...form, status })}
        />
        <Field label="Owner" name="owner" value={form.owner} onChange={(owner) => setForm({ ...form, owner })} />
        <button type="submit">Apply filters</button>
      </form>
      <p>
        <Select
          label="Sort by"
          name="sort"
          value={asked.sort}
          options={[
            { value: 'impact', label: 'impact (amount at stake)' },
            { value: 'age', label: 'age (oldest first)' },
          ]}
          onChange={(sort) => go(['exceptions'], { ...asked, sort })}
        />{' '}
        {asked.entity ? (
          <ExportButtons table="exceptions" params={{ legalEntity: asked.entity, period: lastMonth() }} />
        ) : null}
      </p>
      <Show loaded={loaded}>
        {({ exceptions }) => (
          <List
            items={exceptions.slice(0, PAGE)}
            offset={offset}
            hasNext={exceptions.length > PAGE}
            onPage={setOffset}
            reload={loaded.state === 'done' ? loaded.reload : () => undefined}
          />
        )}
      </Show>
    </section>
  );
}

function List(props: {
  items: Item[];
  offset: number;
  hasNext: boolean;
  onPage: (offset: number) => void;
  reload: () => void;
}) {
  const { items, offset, hasNext, onPage, reload } = props;
  // The item as chosen: it stays open after an action takes it out of the filtered list (resolved, ignored).
  const [selected, setSelected] = useState<Item | null>(null);
  const chosen = selected ? (items.find((i) => i.id === selected.id) ?? selected) : null;
  return (
    <>
      <PagedTable
        caption="Exceptions"
        rows={items}
        rowKey={(i) => i.id}
        rowClass={(i) => (i.overdue ? 'break' : undefined)}
        columns={[
          {
            header: 'Exception',
            cell: (i) => (
              <button
                type="button"
                className="link"
                onClick={() => setSelected(i)}
                aria-pressed={selected?.id === i.id}
              >
                {i.code}
              </button>
            ),
          },
          { header: 'Kind', cell: (i) => i.kind },
          {
            header: 'Contract',
            cell: (i) => (i.contractId ? <a href={href(['contract', i.contractId])}>{i.contractId}</a> : '—'),
          },
          { header: 'Entity', cell: (i) => i.legalEntity ?? '—' },
          { header: 'At stake', numeric: true, cell: (i) => `${money(i.amount)} ${i.currency ?? ''}` },
          { header: 'Age (hours)', numeric: true, cell: (i) => i.ageHours.toFixed(1) },
          { header: 'Status', cell: (i) => <span data-testid={`status-${i.id}`}>{i.status}</span> },
          { header: 'Owner', cell: (i) => i.owner ?? '—' },
        ]}
        paging={{
          label: items.length === 0 ? 'No exceptions' : `Exceptions ${offset + 1}–${offset + items.length}`,
          onPrevious: offset > 0 ? () => onPage(Math.max(0, offset - PAGE)) : undefined,
          onNext: hasNext ? () => onPage(offset + PAGE) : undefined,
        }}
      />
      {chosen ? <Actions item={chosen} onDone={reload} /> : null}
    </>
  );
}

const RESULT = 'exceptionId status owner changed';

/** The mutation behind each action; every one takes the exception's (or the refused input's) `$id`. */
const MUTATIONS = {
  assign: `mutation($id: ID!, $owner: String!) { assignException(id: $id, owner: $owner) { ${RESULT} } }`,
  acknowledge: `mutation($id: ID!) { acknowledgeException(id: $id) { ${RESULT} } }`,
  resolve: `mutation($id: ID!, $reason: String) { resolveException(id: $id, reason: $reason) { ${RESULT} } }`,
  ignore: `mutation($id: ID!, $reason: String!) { ignoreException(id: $id, reason: $reason) { ${RESULT} } }`,
  replay: `mutation($id: ID!) { replayRejection(id: $id) { status } }`,
};

function Actions({ item, onDone }: { item: Item; onDone: () => void }) {
  const canWrite = useCan('exceptions:write');
  const canIgnore = useCan('exceptions:ignore');
  const [owner, setOwner] = useState(item.owner ?? '');
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = (label: string, mutation: string, vars: Record<string, unknown>) => {
    setError(null);
    setOutcome(null);
    gql<Record<string, { status: string }>>(mutation, { id: item.id, ...vars }).then(
      (answer) => {
        const first = Object.values(answer)[0];
        setOutcome(`${label}: ${first?.status ?? 'done'}`);
        // The list reads the exceptions read model, which follows the log a moment later: read it now and once more.
        onDone();
        setTimeout(onDone, 1000);
      },
      (err: unknown) => setError(message(err)),
    );
  };
  return (
    <section className="panel" aria-labelledby="exception-actions-title">
      <h2 id="exception-actions-title">
        {item.code} — {item.message}
      </h2>
      <p>
        Status <strong>{item.status}</strong>, owner {item.owner ?? 'none'}, id <code>{item.id}</code>
      </p>
      {!canWrite ? (
        <p className="muted">This key reads only: it holds no exceptions:write scope.</p>
      ) : (
        <div className="actions">
          <Field label="Owner" name="owner" value={owner} onChange={setOwner} />
          <button type="button" onClick={() => run('Assigned', MUTATIONS.assign, { owner })} disabled={!owner}>
            Assign
          </button>
          <button type="button" onClick={() => run('Acknowledged', MUTATIONS.acknowledge, {})}>
            Acknowledge
          </button>
          <Field label="Reason" name="reason" value={reason} onChange={setReason} />
          <button type="button" onClick={() => run('Resolved', MUTATIONS.resolve, { reason: reason || null })}>
            Resolve
          </button>
          {canIgnore ? (
            <button type="button" disabled={!reason} onClick={() => run('Ignored', MUTATIONS.ignore, { reason })}>
              Ignore with reason
            </button>
          ) : null}
          {item.kind === 'refused_input' && item.details.rejectionId ? (
            <button type="button" onClick={() => run('Replayed', MUTATIONS.replay, { id: item.details.rejectionId })}>
              Replay the refused input
            </button>
          ) : null}
        </div>
      )}
      {outcome ? <p role="status">{outcome}</p> : null}
      {error ? <ErrorBox error={error} /> : null}
    </section>
  );
}
