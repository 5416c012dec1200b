// As of: a contract as the ledger knew it at a past `recordedAt` and/or as in effect on an `effectiveAt` date
// (GraphQL `contractAsOf`), beside the same contract now; every value that differs from now is highlighted.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { gql } from './api';
import { money } from './data';
import { Field, PagedTable, Show, go, href, useLoad } from './ui';

interface AsOfView {
  status: string;
  versionInForce: number;
  heldVersions: number[];
  events: number;
  productMapping: { version: number };
  schedule: {
    status: string;
    transactionPrice: string;
    periods: { period: string; total: string; cumulative: string }[];
  } | null;
  balances: { period: string; billed: string; recognised: string; deferredRevenue: string }[];
}

interface AsOfAnswer {
  then: AsOfView | null;
  now: AsOfView | null;
}

const FIELDS = `
  status versionInForce heldVersions events
  productMapping { version }
  schedule { status transactionPrice periods { period total cumulative } }
  balances { period billed recognised deferredRevenue }
`;

const QUERY = /* GraphQL */ `
  query AsOf($id: ID!, $recordedAt: String, $effectiveAt: String) {
    then: contractAsOf(id: $id, recordedAt: $recordedAt, effectiveAt: $effectiveAt) { ${FIELDS} }
    now: contractAsOf(id: $id) { ${FIELDS} }
  }
`;

export function AsOfScreen({ id, query }: { id: string; query: URLSearchParams }) {
  const asked = { recordedAt: query.get('recordedAt') ?? '', effectiveAt: query.get('effectiveAt') ?? '' };
  const [form, setForm] = useState(asked);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(['as-of', id], form);
  };
  const vars = {
    id,
    recordedAt: asked.recordedAt || null,
    effectiveAt: asked.effectiveAt || null,
  };
  const loaded = useLoad(() => gql<AsOfAnswer>(QUERY, vars), [JSON.stringify(vars)]);
  return (
    <section aria-labelledby="asof-title">
      <h1 id="asof-title">
        Contract <a href={href(['contract', id])}>{id}</a> as of a past moment
      </h1>
      <form className="filters" onSubmit={submit} aria-label="As of">
        <Field
          label="Recorded at (ISO 8601 instant)"
          name="recordedAt"
          value={form.recordedAt}
          placeholder="2026-01-31T23:59:59Z"
          onChange={(recordedAt) => setForm({ ...form, recordedAt })}
        />
        <Field
          label="Effective at (YYYY-MM-DD)"
          name="effectiveAt"
          value={form.effectiveAt}
          placeholder="2026-01-31"
          onChange={(effectiveAt) => setForm({ ...form, effectiveAt })}
        />
        <button type="submit">Show as of</button>
      </form>
      <Show loaded={loaded}>
        {({ then, now }) => (then && now ? <Comparison then={then} now={now} /> : <p>No such contract.</p>)}
      </Show>
    </section>
  );
}

function Comparison({ then, now }: { then: AsOfView; now: AsOfView }) {
  const nowPeriods = new Map((now.schedule?.periods ?? []).map((p) => [p.period, p]));
  const nowBalances = new Map(now.balances.map((b) => [b.period, b]));
  const header: [string, string, string][] = [
    ['Status', then.status, now.status],
    ['Version in force', String(then.versionInForce), String(now.versionInForce)],
    ['Held versions', then.heldVersions.join(', ') || 'none', now.heldVersions.join(', ') || 'none'],
    ['Events folded', String(then.events), String(now.events)],
    ['Product mapping', `v${then.productMapping.version}`, `v${now.productMapping.version}`],
    ['Transaction price', money(then.schedule?.transactionPrice), money(now.schedule?.transactionPrice)],
  ];
  const changes = header.filter(([, a, b]) => a !== b).length;
  return (
    <>
      <p role="status" data-testid="asof-summary">
        {changes === 0 ? 'The header is the same as now.' : `${changes} header values differ from now (highlighted).`}
      </p>
      <PagedTable
        caption="Then and now"
        rows={header}
        rowKey={(r) => r[0]}
        columns={[
          { header: 'Field', cell: (r) => r[0] },
          { header: 'Then', cell: (r) => r[1], changed: (r) => r[1] !== r[2] },
          { header: 'Now', cell: (r) => r[2] },
        ]}
      />
      <PagedTable
        caption="Schedule then (changed periods highlighted)"
        rows={then.schedule?.periods ?? []}
        rowKey={(p) => p.period}
        columns={[
          { header: 'Period', cell: (p) => p.period },
          {
            header: 'Revenue then',
            numeric: true,
            cell: (p) => money(p.total),
            changed: (p) => nowPeriods.get(p.period)?.total !== p.total,
          },
          { header: 'Revenue now', numeric: true, cell: (p) => money(nowPeriods.get(p.period)?.total) },
        ]}
      />
      <PagedTable
        caption="Balances then (changed periods highlighted)"
        rows={then.balances}
        rowKey={(b) => b.period}
        columns={[
          { header: 'Period', cell: (b) => b.period },
          {
            header: 'Billed then',
            numeric: true,
            cell: (b) => money(b.billed),
            changed: (b) => nowBalances.get(b.period)?.billed !== b.billed,
          },
          { header: 'Billed now', numeric: true, cell: (b) => money(nowBalances.get(b.period)?.billed) },
          {
            header: 'Deferred then',
            numeric: true,
            cell: (b) => money(b.deferredRevenue),
            changed: (b) => nowBalances.get(b.period)?.deferredRevenue !== b.deferredRevenue,
          },
          { header: 'Deferred now', numeric: true, cell: (b) => money(nowBalances.get(b.period)?.deferredRevenue) },
        ]}
      />
    </>
  );
}
