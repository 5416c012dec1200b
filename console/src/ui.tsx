// Small building blocks every screen uses: loading a query, showing its error, the server-paged table, the export
// buttons, and the hash route the console navigates by (no server routes: the service serves one page).
import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { ApiError, download } from './api';

/** The current hash route: `#/contract/C-1?asOf=...` is path ['contract', 'C-1'] and its query. */
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return parseRoute(hash);
}

/** A link to a console route: `href('contract', id)` → `#/contract/<id>`, with optional query parameters. */
export function href(path: (string | number)[], query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const qs = q.toString();
  return `#/${path.map((p) => encodeURIComponent(String(p))).join('/')}${qs ? `?${qs}` : ''}`;
}

export function go(path: (string | number)[], query: Record<string, string | undefined> = {}): void {
  window.location.hash = href(path, query);
}

export type Loaded<T> =
  | { state: 'loading' }
  | { state: 'error'; error: string }
  | { state: 'done'; value: T; reload: () => void; tick?: number };

/** Runs `load` whenever `deps` change; an answer that arrives after a newer request started is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let current = true;
    // A reload of the same query keeps showing what it showed until the answer comes (forms and panels beside the
    // list keep their state); a different query shows that it is loading.
    setResult((before) => (before.state === 'done' && tick !== before.tick ? before : { state: 'loading' }));
    load().then(
      (value) => current && setResult({ state: 'done', value, reload, tick }),
      (err: unknown) => current && setResult({ state: 'error', error: message(err) }),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return result;
}

export function message(err: unknown): string {
  return err instanceof ApiError || err instanceof Error ? err.message : String(err);
}

export function ErrorBox({ error }: { error: string }) {
  return (
    <p role="alert" className="error">
      {error}
    </p>
  );
}

/** The loading / error / done states of a query, the last rendered by `children`. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ReactNode }) {
  if (loaded.state === 'loading')
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  if (loaded.state === 'error') return <ErrorBox error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}

export interface Column<Row> {
  header: string;
  cell: (row: Row) => ReactNode;
  numeric?: boolean;
  /** Marks the cell as changed (the as-of view's highlighting). */
  changed?: (row: Row) => boolean;
}

export interface Paging {
  /** "Rows 21–40 of 33,000", or what the server can say. */
  label: string;
  onPrevious?: (() => void) | undefined;
  onNext?: (() => void) | undefined;
}

/**
 * A table of one page of rows with Previous/Next controls. The page is whatever the caller fetched: the server
 * pages (GraphQL cursors, REST offsets), the table only shows.
 */
export function PagedTable<Row>(props: {
  caption: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row, index: number) => string;
  paging?: Paging;
  empty?: string;
  rowClass?: (row: Row) => string | undefined;
}) {
  const { caption, columns, rows, rowKey, paging, empty, rowClass } = props;
  return (
    // Focusable, so that a table wider than the screen scrolls from the keyboard too.
    <div className="table-wrap" tabIndex={0} role="group" aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="muted">
                {empty ?? 'Nothing to show.'}
              </td>
            </tr>
          ) : (
            rows.map((row, i) => (
              <tr key={rowKey(row, i)} className={rowClass?.(row)}>
                {columns.map((c) => {
                  const changed = c.changed?.(row) ?? false;
                  const classes = [c.numeric ? 'num' : '', changed ? 'changed' : ''].filter(Boolean).join(' ');
                  return (
                    <td key={c.header} className={classes || undefined}>
                      {c.cell(row)}
                      {changed ? <span className="visually-hidden"> (changed)</span> : null}
                    </td>
                  );
                })}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {paging ? (
        <nav className="pager" aria-label={`${caption} pages`}>
          <button type="button" onClick={paging.onPrevious} disabled={!paging.onPrevious}>
            Previous page
          </button>
          <span aria-live="polite">{paging.label}</span>
          <button type="button" onClick={paging.onNext} disabled={!paging.onNext}>
            Next page
          </button>
        </nav>
      ) : null}
    </div>
  );
}

/** Pages a list already in hand (a contract's own events or periods: bounded by one contract). */
export function useLocalPage<Row>(rows: Row[], size = 20): { rows: Row[]; paging: Paging } {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(page, pages - 1);
  const from = current * size;
  return {
    rows: rows.slice(from, from + size),
    paging: {
      label: rows.length === 0 ? 'No rows' : `Rows ${from + 1}–${Math.min(from + size, rows.length)} of ${rows.length}`,
      onPrevious: current > 0 ? () => setPage(current - 1) : undefined,
      onNext: current < pages - 1 ? () => setPage(current + 1) : undefined,
    },
  };
}

/** CSV and XLSX buttons for one export table (GET /v1/exports/<table>.<format>), fetched with the key header. */
export function ExportButtons({ table, params }: { table: string; params: Record<string, string> }) {
  const [error, setError] = useState<string | null>(null);
  const get = (format: 'csv' | 'xlsx') => {
    setError(null);
    const query = new URLSearchParams(params).toString();
    const name = [table, ...Object.values(params)].join('-');
    download(`/v1/exports/${table}.${format}?${query}`, `${name}.${format}`).catch((err: unknown) =>
      setError(message(err)),
    );
  };
  return (
    <span className="exports">
      <button type="button" onClick={() => get('csv')}>
        Download {table} CSV
      </button>
      <button type="button" onClick={() => get('xlsx')}>
        Download {table} XLSX
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}

/** The audit evidence pack (GET /v1/evidence) of an entity and period, as a ZIP. */
export function EvidenceButton({ legalEntity, period }: { legalEntity: string; period: string }) {
  const [error, setError] = useState<string | null>(null);
  const get = () => {
    setError(null);
    const query = new URLSearchParams({ legalEntity, period }).toString();
    download(`/v1/evidence?${query}`, `evidence-${legalEntity}-${period}.zip`).catch((err: unknown) =>
      setError(message(err)),
    );
  };
  return (
    <span className="exports">
      <button type="button" onClick={get}>
        Evidence pack (ZIP)
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}

/** A labelled text input (every input has a visible label). */
export function Field(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  type?: string;
  name?: string;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <input
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}

export function Select(props: {
  label: string;
  value: string;
  options: (string | { value: string; label: string })[];
  onChange: (value: string) => void;
  name?: string;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((o) => {
          const { value, label } = typeof o === 'string' ? { value: o, label: o || '(any)' } : o;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
    </label>
  );
}

/** The short form of a hash (the full one in its title). */
export function Hash({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  return (
    <code title={value} className="hash">
      {value.slice(0, 12)}…
    </code>
  );
}

/** The previous month of today, YYYY-MM: the period a close usually works on. */
export function lastMonth(): string {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

export const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
