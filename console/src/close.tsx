// Close: the closed periods of an entity (GET /v1/periods/:legalEntity), closing and reopening one with a reason
// (periods:close scope), posting runs (post scope) and the batches they submitted (GET /v1/posting-batches/:id).
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { rest } from './api';
import { useEntities } from './data';
import { useCan } from './session';
import {
  ErrorBox,
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
  message,
  useLoad,
} from './ui';

interface Periods {
  legalEntity: string;
  closed: string[];
}

interface RunSummary {
  runName: string;
  runId: string;
  period: string;
  contracts: number;
  prepared: number;
  posted: number;
  rejected: Record<string, number>;
  retrying: number;
  blocked: Record<string, number>;
}

interface Batch {
  batchId: string;
  journalCount: number;
  offset: number;
  journals: { journalId: string; contractId: string; status: string; erpDocumentId: string | null }[];
}

/** A batch's journals a request asks for (the server pages them: a run posts one per contract). */
const BATCH_PAGE = 25;

export function CloseScreen({ query }: { query: URLSearchParams }) {
  const entities = useEntities();
  const legalEntity = query.get('legalEntity') ?? entities[0]?.legalEntity ?? '';
  const canClose = useCan('periods:close');
  const canPost = useCan('post');
  const loaded = useLoad(
    () =>
      legalEntity
        ? rest<Periods>('GET', `/v1/periods/${encodeURIComponent(legalEntity)}`)
        : Promise.reject(new Error('choose a legal entity')),
    [legalEntity],
  );
  const [period, setPeriod] = useState(lastMonth());
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (action: 'close' | 'reopen') => {
    setError(null);
    setOutcome(null);
    rest<{ status: string; changed: boolean }>(
      'POST',
      `/v1/periods/${encodeURIComponent(legalEntity)}/${encodeURIComponent(period)}/${action}`,
      { reason },
    ).then(
      (r) => {
        setOutcome(`${legalEntity} ${period}: ${r.status}${r.changed ? '' : ' (already)'}`);
        if (loaded.state === 'done') loaded.reload();
      },
      (err: unknown) => setError(message(err)),
    );
  };
  return (
    <section aria-labelledby="close-title">
      <h1 id="close-title">Close</h1>
      <form className="filters" aria-label="Entity" onSubmit={(e) => e.preventDefault()}>
        <Select
          label="Legal entity"
          name="legalEntity"
          value={legalEntity}
          options={entities.map((e) => e.legalEntity)}
          onChange={(v) => go(['close'], { legalEntity: v })}
        />
      </form>
      <Show loaded={loaded}>
        {(p) => (
          <PagedTable
            caption={`Closed periods of ${p.legalEntity}`}
            rows={p.closed}
            rowKey={(c) => c}
            empty="No closed period."
            columns={[
              { header: 'Period', cell: (c) => <span data-testid={`closed-${c}`}>{c}</span> },
              {
                header: 'Reports',
                cell: (c) => (
                  <a href={href(['reconciliation'], { legalEntity: p.legalEntity, period: c })}>Reconciliation</a>
                ),
              },
            ]}
          />
        )}
      </Show>
      <h2>Close or reopen a period</h2>
      <div className="actions">
        <Field label="Period (YYYY-MM)" name="period" value={period} onChange={setPeriod} />
        {canClose ? (
          <>
            <Field label="Reason" name="reason" value={reason} onChange={setReason} />
            <button type="button" disabled={!PERIOD.test(period) || !reason} onClick={() => act('close')}>
              Close period
            </button>
            <button type="button" disabled={!PERIOD.test(period) || !reason} onClick={() => act('reopen')}>
              Reopen period
            </button>
          </>
        ) : (
          <p className="muted">This key cannot close periods (no periods:close scope).</p>
        )}
        {legalEntity && PERIOD.test(period) ? (
          <>
            <EvidenceButton legalEntity={legalEntity} period={period} />
            <ExportButtons table="journals" params={{ legalEntity, period }} />
          </>
        ) : null}
      </div>
      {outcome ? <p role="status">{outcome}</p> : null}
      {error ? <ErrorBox error={error} /> : null}
      {canPost ? <PostingRun legalEntity={legalEntity} period={period} /> : null}
      <BatchLookup />
    </section>
  );
}

function PostingRun({ legalEntity, period }: { legalEntity: string; period: string }) {
  const [running, setRunning] = useState(false);
  const [summary, setSummary] = useState<RunSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    setRunning(true);
    setError(null);
    rest<RunSummary>('POST', '/v1/posting-runs', { period, legalEntity }).then(
      (s) => {
        setSummary(s);
        setRunning(false);
      },
      (err: unknown) => {
        setError(message(err));
        setRunning(false);
      },
    );
  };
  return (
    <>
      <h2>Posting run</h2>
      <button type="button" disabled={running || !PERIOD.test(period) || !legalEntity} onClick={run}>
        {running ? 'Posting…' : `Post ${legalEntity} ${period}`}
      </button>
      {error ? <ErrorBox error={error} /> : null}
      {summary ? (
        <p role="status" data-testid="run-summary">
          Run {summary.runName}: {summary.contracts} contracts, {summary.prepared} prepared, {summary.posted} posted,{' '}
          {summary.retrying} retrying, refused {JSON.stringify(summary.rejected)}, blocked{' '}
          {JSON.stringify(summary.blocked)}. Batch{' '}
          <a href={href(['close'], { legalEntity, batch: summary.runId })}>{summary.runId}</a>
        </p>
      ) : null}
    </>
  );
}

function BatchLookup() {
  const [batchId, setBatchId] = useState(
    new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('batch') ?? '',
  );
  const [shown, setShown] = useState(batchId);
  useEffect(() => setShown(batchId), []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setShown(batchId);
  };
  return (
    <>
      <h2>Posting batch</h2>
      <form className="filters" onSubmit={submit} aria-label="Posting batch">
        <Field label="Batch id" name="batchId" value={batchId} onChange={setBatchId} />
        <button type="submit">Show batch</button>
      </form>
      {shown ? <BatchView batchId={shown} /> : null}
    </>
  );
}

function BatchView({ batchId }: { batchId: string }) {
  const [offset, setOffset] = useState(0);
  useEffect(() => setOffset(0), [batchId]);
  const loaded = useLoad(
    () => rest<Batch>('GET', `/v1/posting-batches/${encodeURIComponent(batchId)}?limit=${BATCH_PAGE}&offset=${offset}`),
    [batchId, offset],
  );
  return <Show loaded={loaded}>{(b) => <BatchTable batch={b} onPage={setOffset} />}</Show>;
}

function BatchTable({ batch, onPage }: { batch: Batch; onPage: (offset: number) => void }) {
  const { offset, journalCount, journals } = batch;
  return (
    <PagedTable
      caption={`Batch ${batch.batchId}: ${journalCount} journals`}
      rows={journals}
      paging={{
        label: journals.length
          ? `Journals ${offset + 1}–${offset + journals.length} of ${journalCount}`
          : 'No journals',
        onPrevious: offset > 0 ? () => onPage(Math.max(0, offset - BATCH_PAGE)) : undefined,
        onNext: offset + journals.length < journalCount ? () => onPage(offset + BATCH_PAGE) : undefined,
      }}
      rowKey={(j) => j.journalId}
      columns={[
        { header: 'Journal', cell: (j) => <a href={href(['lineage', j.journalId])}>{j.journalId}</a> },
        { header: 'Contract', cell: (j) => <a href={href(['contract', j.contractId])}>{j.contractId}</a> },
        { header: 'Status', cell: (j) => j.status },
        { header: 'ERP document', cell: (j) => j.erpDocumentId ?? '—' },
      ]}
    />
  );
}
